"""Tables of the partners slice: cinemas sold through their own box-office systems, their
halls and sessions as imported and the platform's locks at the cinema (one per partner hold).
The daily reconciliation with a cinema is stored by the finance slice (``recon_run``)."""

from __future__ import annotations

from datetime import datetime
from typing import Literal

from sqlalchemy import JSON, ForeignKey, Index, String, Text, UniqueConstraint
from sqlalchemy.orm import Mapped, mapped_column

from admit.core.db import Base, BigIntKey, UTCDateTime

# The states of a lock at a cinema (``partners.locks``, the partner jobs).
LockStatus = Literal["locked", "confirming", "confirmed", "refused", "releasing", "released"]


class PartnerCinema(Base):
    """A cinema whose seats belong to its own system; the platform sells them as an agent."""

    __tablename__ = "partner_cinema"
    __table_args__ = (UniqueConstraint("system", "code"),)

    id: Mapped[int] = mapped_column(BigIntKey, primary_key=True)
    system: Mapped[str] = mapped_column(String(40))
    code: Mapped[str] = mapped_column(String(40))
    name: Mapped[str] = mapped_column(String(200))
    venue_id: Mapped[int] = mapped_column(ForeignKey("venue.id"))
    organiser_id: Mapped[int] = mapped_column(ForeignKey("organiser.id"))
    created_at: Mapped[datetime] = mapped_column(UTCDateTime())
    synced_at: Mapped[datetime | None] = mapped_column(UTCDateTime(), default=None)


class PartnerHall(Base):
    """A hall as the cinema describes it, imported as a seat map; ``seats`` maps the cinema's
    seat codes to the map's seat keys, ``areas`` to the hall areas the cinema prices by."""

    __tablename__ = "partner_hall"
    __table_args__ = (UniqueConstraint("cinema_id", "code"),)

    id: Mapped[int] = mapped_column(BigIntKey, primary_key=True)
    cinema_id: Mapped[int] = mapped_column(ForeignKey("partner_cinema.id"))
    code: Mapped[str] = mapped_column(String(40))
    seat_map_id: Mapped[int] = mapped_column(ForeignKey("seat_map.id"))
    seats: Mapped[dict[str, str]] = mapped_column(JSON, default=dict)
    areas: Mapped[dict[str, str]] = mapped_column(JSON, default=dict)


class PartnerSession(Base):
    """A session whose inventory is the cinema's: its seat plan here mirrors the cinema's
    (refreshed when viewed and when a lock is refused), never assumed."""

    __tablename__ = "partner_session"
    __table_args__ = (UniqueConstraint("cinema_id", "code"),)

    session_id: Mapped[int] = mapped_column(ForeignKey("session.id"), primary_key=True)
    cinema_id: Mapped[int] = mapped_column(ForeignKey("partner_cinema.id"))
    hall_id: Mapped[int] = mapped_column(ForeignKey("partner_hall.id"))
    code: Mapped[str] = mapped_column(String(60))
    plan_checked_at: Mapped[datetime | None] = mapped_column(UTCDateTime(), default=None)


class PartnerLock(Base):
    """The platform's lock at the cinema behind one hold, and what became of it:
    locked → confirming → confirmed | refused; locked → releasing → released."""

    __tablename__ = "partner_lock"
    __table_args__ = (Index("ix_partner_lock_cinema_confirmed", "cinema_id", "confirmed_at"),)

    id: Mapped[int] = mapped_column(BigIntKey, primary_key=True)
    hold_id: Mapped[int] = mapped_column(ForeignKey("sales_hold.id"), unique=True)
    session_id: Mapped[int] = mapped_column(ForeignKey("session.id"))
    cinema_id: Mapped[int] = mapped_column(ForeignKey("partner_cinema.id"))
    ref: Mapped[str] = mapped_column(String(64), unique=True)
    lock_id: Mapped[str] = mapped_column(String(64))
    seats: Mapped[list[str]] = mapped_column(JSON)
    expires_at: Mapped[datetime] = mapped_column(UTCDateTime())
    status: Mapped[str] = mapped_column(String(12), default="locked")
    order_number: Mapped[str | None] = mapped_column(String(20), default=None, index=True)
    payment_number: Mapped[str | None] = mapped_column(String(32), default=None)
    amount: Mapped[int | None] = mapped_column(default=None)
    order_code: Mapped[str | None] = mapped_column(String(64), default=None)
    print_no: Mapped[str | None] = mapped_column(String(32), default=None)
    verify_code: Mapped[str | None] = mapped_column(String(32), default=None)
    attempts: Mapped[int] = mapped_column(default=0)
    confirm_by: Mapped[datetime | None] = mapped_column(UTCDateTime(), default=None)
    last_error: Mapped[str | None] = mapped_column(Text, default=None)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime())
    confirmed_at: Mapped[datetime | None] = mapped_column(UTCDateTime(), default=None)
    ended_at: Mapped[datetime | None] = mapped_column(UTCDateTime(), default=None)
