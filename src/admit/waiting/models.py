"""Tables of the waiting room: one room per session that has one, and its queue entries. The
tables keep the `sales_` names they were created with (the room was part of `sales` until
it became a slice of its own; a rename would be a migration for nothing)."""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import BigInteger, ForeignKey, Index, String, UniqueConstraint
from sqlalchemy.orm import Mapped, mapped_column

from admit.core.db import Base, BigIntKey, UTCDateTime


class WaitingRoom(Base):
    """A session's waiting room: from ``opens_at`` buyers are let in at ``rate_per_minute``;
    ``next_place`` numbers the queue once the draw has put the early arrivals in order."""

    __tablename__ = "sales_waiting_room"

    session_id: Mapped[int] = mapped_column(ForeignKey("session.id"), primary_key=True)
    opens_at: Mapped[datetime] = mapped_column(UTCDateTime())
    rate_per_minute: Mapped[int]
    admission_minutes: Mapped[int] = mapped_column(default=20)
    enabled: Mapped[bool] = mapped_column(default=True)
    drawn_at: Mapped[datetime | None] = mapped_column(UTCDateTime(), default=None)
    next_place: Mapped[int] = mapped_column(default=0)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime())


class QueueEntry(Base):
    """One signed-in customer in a room, at most one entry per customer and per device.
    ``draw`` is a secret random number that orders the early arrivals; ``place`` is set by the
    draw (or on arrival after it); ``device`` is a keyed digest of the device the customer
    joined from (``None`` when it named none)."""

    __tablename__ = "sales_queue_entry"
    __table_args__ = (
        UniqueConstraint("session_id", "place"),
        Index("ix_sales_queue_entry_draw", "session_id", "draw"),
        Index("uq_sales_queue_entry_customer", "session_id", "customer_id", unique=True),
        Index("uq_sales_queue_entry_device", "session_id", "device", unique=True),
    )

    id: Mapped[int] = mapped_column(BigIntKey, primary_key=True)
    session_id: Mapped[int] = mapped_column(ForeignKey("sales_waiting_room.session_id"))
    entry: Mapped[str] = mapped_column(String(32), unique=True)
    draw: Mapped[int] = mapped_column(BigInteger)
    place: Mapped[int | None] = mapped_column(default=None)
    arrived_at: Mapped[datetime] = mapped_column(UTCDateTime())
    # Nullable for entries made before joining needed an account (migration 0014).
    customer_id: Mapped[int | None] = mapped_column(ForeignKey("customer.id"), default=None)
    device: Mapped[str | None] = mapped_column(String(32), default=None)
