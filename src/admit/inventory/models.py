"""Tables of the inventory slice: one row per (session, seat), one per (session, GA area);
low-stock alert levels and the levels raised."""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import (
    JSON,
    CheckConstraint,
    ForeignKey,
    Index,
    SmallInteger,
    String,
    UniqueConstraint,
)
from sqlalchemy.orm import Mapped, column_property, mapped_column

from admit.core.db import Base, BigIntKey, UTCDateTime
from admit.core.sliced_counters import CounterSlice, total_of


class SessionPlan(Base):
    """A session's seat plan: built from the venue map, then adjusted for the session only."""

    __tablename__ = "session_plan"

    session_id: Mapped[int] = mapped_column(ForeignKey("session.id"), primary_key=True)
    seat_map_id: Mapped[int] = mapped_column(ForeignKey("seat_map.id"), index=True)
    confirmed_at: Mapped[datetime | None] = mapped_column(UTCDateTime(), default=None)
    confirmed_by: Mapped[str | None] = mapped_column(String(120), default=None)
    # Bumped by every change of any seat's public state: the availability ETag depends on it.
    version: Mapped[int] = mapped_column(default=1)


class SessionSeat(Base):
    """The state of one seat in one session: the row the hold path claims with one UPDATE."""

    __tablename__ = "session_seat"
    __table_args__ = (
        UniqueConstraint("session_id", "ordinal"),
        UniqueConstraint("session_id", "seat_id"),
        Index("ix_session_seat_status", "session_id", "status"),
        Index("ix_session_seat_hold", "hold_id"),  # a hold's seats: release, sale, reads
        CheckConstraint(
            "reserved_client_id IS NULL OR reserved_group_id IS NULL", name="one_reservation"
        ),
    )

    id: Mapped[int] = mapped_column(BigIntKey, primary_key=True)
    session_id: Mapped[int] = mapped_column(ForeignKey("session_plan.session_id"))
    seat_id: Mapped[int] = mapped_column(ForeignKey("seat.id"))
    ordinal: Mapped[int]
    category: Mapped[str] = mapped_column(String(12), default="sellable")
    confirmed_category: Mapped[str | None] = mapped_column(String(12), default=None)
    excluded: Mapped[bool] = mapped_column(default=False)  # session-only override
    unusable: Mapped[bool] = mapped_column(default=False)  # venue seat damaged or removed
    price_level_id: Mapped[int | None] = mapped_column(
        ForeignKey("price_level.id", ondelete="SET NULL"), default=None
    )
    status: Mapped[str] = mapped_column(String(10), default="available")
    # A reservation names a client or a client group (INV3); it stays on the seat while the
    # client's buyer holds it, so that a released hold gives the seat back to the client.
    reserved_client_id: Mapped[int | None] = mapped_column(ForeignKey("clients.id"), default=None)
    reserved_group_id: Mapped[int | None] = mapped_column(
        ForeignKey("client_groups.id"), default=None
    )
    reserved_until: Mapped[datetime | None] = mapped_column(UTCDateTime(), default=None)
    hold_id: Mapped[int | None] = mapped_column(default=None)
    hold_expires_at: Mapped[datetime | None] = mapped_column(UTCDateTime(), default=None)
    order_id: Mapped[int | None] = mapped_column(default=None)


class SessionGASlice(CounterSlice, Base):
    """One slice of a session GA area's counter (``admit.core.sliced_counters``)."""

    __tablename__ = "session_ga_slice"
    __counter_of__ = "session_ga"


class SessionGA(Base):
    """A general-admission area in one session: its capacity, split over ``slices`` counter
    rows (``SessionGASlice``) that holds update; ``held`` and ``sold`` are their sums."""

    __tablename__ = "session_ga"
    __table_args__ = (UniqueConstraint("session_id", "ga_area_id"),)

    id: Mapped[int] = mapped_column(BigIntKey, primary_key=True)
    session_id: Mapped[int] = mapped_column(ForeignKey("session_plan.session_id"))
    ga_area_id: Mapped[int] = mapped_column(ForeignKey("ga_area.id"))
    capacity: Mapped[int]
    slices: Mapped[int] = mapped_column(SmallInteger, default=1, server_default="1")
    held: Mapped[int] = column_property(total_of(SessionGASlice, "held", id))
    sold: Mapped[int] = column_property(total_of(SessionGASlice, "sold", id))
    price_level_id: Mapped[int | None] = mapped_column(
        ForeignKey("price_level.id", ondelete="SET NULL"), default=None
    )


class StockAlertRule(Base):
    """A session's own low-stock alert levels (percentages of each price level's sellable
    total), instead of the ``stock_alert_levels`` setting: ``levels`` for its price levels,
    ``by_level`` (price level id → levels) for the ones that differ."""

    __tablename__ = "stock_alert_rule"

    session_id: Mapped[int] = mapped_column(
        ForeignKey("session.id", ondelete="CASCADE"), primary_key=True
    )
    levels: Mapped[list[int]] = mapped_column(JSON)
    by_level: Mapped[dict[str, list[int]]] = mapped_column(JSON, default=dict)
    updated_at: Mapped[datetime] = mapped_column(UTCDateTime())


class StockAlert(Base):
    """A level raised for a session × price level: the key makes the alert once per crossing
    (inserted with ``ON CONFLICT DO NOTHING``); deleted when stock is back above the level."""

    __tablename__ = "stock_alert"

    session_id: Mapped[int] = mapped_column(
        ForeignKey("session.id", ondelete="CASCADE"), primary_key=True
    )
    price_level_id: Mapped[int] = mapped_column(
        ForeignKey("price_level.id", ondelete="CASCADE"), primary_key=True
    )
    level: Mapped[int] = mapped_column(SmallInteger, primary_key=True)
    raised_at: Mapped[datetime] = mapped_column(UTCDateTime())
