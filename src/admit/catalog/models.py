"""Tables of the catalogue slice."""

from __future__ import annotations

import enum
from datetime import datetime
from typing import Any

from sqlalchemy import JSON, Enum, ForeignKey, Index, String, Text, UniqueConstraint
from sqlalchemy.orm import Mapped, mapped_column

from admit.core.db import Base, BigIntKey, UTCDateTime


def _enum(cls: type[enum.Enum], name: str) -> Enum:
    return Enum(cls, name=name, native_enum=False, length=20, values_callable=_values)


def _values(cls: type[enum.Enum]) -> list[str]:
    return [member.value for member in cls]


class EventCategory(enum.StrEnum):
    CINEMA = "cinema"
    SHOW = "show"
    SPORT = "sport"
    ATTRACTION = "attraction"


class SessionStatus(enum.StrEnum):
    DRAFT = "draft"
    SCHEDULED = "scheduled"
    POSTPONED = "postponed"
    CANCELLED = "cancelled"
    ENDED = "ended"


class SeatMode(enum.StrEnum):
    NONE = "none"
    FIXED = "fixed"


class Organiser(Base):
    __tablename__ = "organiser"

    id: Mapped[int] = mapped_column(BigIntKey, primary_key=True)
    code: Mapped[str] = mapped_column(String(40), unique=True)
    name: Mapped[str] = mapped_column(String(200))
    created_at: Mapped[datetime] = mapped_column(UTCDateTime())


class Venue(Base):
    __tablename__ = "venue"

    id: Mapped[int] = mapped_column(BigIntKey, primary_key=True)
    code: Mapped[str] = mapped_column(String(40), unique=True)
    name: Mapped[str] = mapped_column(String(200))
    address: Mapped[str] = mapped_column(String(400), default="")
    use: Mapped[str] = mapped_column(String(200), default="")
    capacity: Mapped[int] = mapped_column(default=0)
    search_text: Mapped[str] = mapped_column(Text, default="")
    created_at: Mapped[datetime] = mapped_column(UTCDateTime())


class SeatMap(Base):
    __tablename__ = "seat_map"

    id: Mapped[int] = mapped_column(BigIntKey, primary_key=True)
    venue_id: Mapped[int] = mapped_column(ForeignKey("venue.id"), index=True)
    name: Mapped[str] = mapped_column(String(200))
    version: Mapped[int] = mapped_column(default=1)
    seat_count: Mapped[int] = mapped_column(default=0)
    ga_capacity: Mapped[int] = mapped_column(default=0)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime())
    updated_at: Mapped[datetime] = mapped_column(UTCDateTime())


class MapLevel(Base):
    __tablename__ = "map_level"
    __table_args__ = (UniqueConstraint("seat_map_id", "code"),)

    id: Mapped[int] = mapped_column(BigIntKey, primary_key=True)
    seat_map_id: Mapped[int] = mapped_column(ForeignKey("seat_map.id", ondelete="CASCADE"))
    code: Mapped[str] = mapped_column(String(20))
    name: Mapped[str] = mapped_column(String(200))
    sort: Mapped[int] = mapped_column(default=0)


class MapSection(Base):
    __tablename__ = "map_section"
    __table_args__ = (UniqueConstraint("seat_map_id", "code"),)

    id: Mapped[int] = mapped_column(BigIntKey, primary_key=True)
    seat_map_id: Mapped[int] = mapped_column(ForeignKey("seat_map.id", ondelete="CASCADE"))
    level_id: Mapped[int] = mapped_column(ForeignKey("map_level.id", ondelete="CASCADE"))
    code: Mapped[str] = mapped_column(String(20))
    name: Mapped[str] = mapped_column(String(200))
    sort: Mapped[int] = mapped_column(default=0)


class Seat(Base):
    """A physical seat. ``ordinal`` is its stable position in the map's compact encodings."""

    __tablename__ = "seat"
    __table_args__ = (
        UniqueConstraint("seat_map_id", "key"),
        UniqueConstraint("seat_map_id", "ordinal"),
    )

    id: Mapped[int] = mapped_column(BigIntKey, primary_key=True)
    seat_map_id: Mapped[int] = mapped_column(ForeignKey("seat_map.id", ondelete="CASCADE"))
    section_id: Mapped[int] = mapped_column(ForeignKey("map_section.id", ondelete="CASCADE"))
    ordinal: Mapped[int]
    key: Mapped[str] = mapped_column(String(60))
    row_label: Mapped[str] = mapped_column(String(20))
    number_label: Mapped[str] = mapped_column(String(20))
    x: Mapped[float]
    y: Mapped[float]
    accessible: Mapped[bool] = mapped_column(default=False)
    obstructed: Mapped[bool] = mapped_column(default=False)
    damaged: Mapped[bool] = mapped_column(default=False)
    removed: Mapped[bool] = mapped_column(default=False)

    @property
    def usable(self) -> bool:
        return not (self.damaged or self.removed)


class GAArea(Base):
    __tablename__ = "ga_area"
    __table_args__ = (UniqueConstraint("seat_map_id", "code"),)

    id: Mapped[int] = mapped_column(BigIntKey, primary_key=True)
    seat_map_id: Mapped[int] = mapped_column(ForeignKey("seat_map.id", ondelete="CASCADE"))
    level_id: Mapped[int | None] = mapped_column(ForeignKey("map_level.id", ondelete="CASCADE"))
    code: Mapped[str] = mapped_column(String(20))
    name: Mapped[str] = mapped_column(String(200))
    capacity: Mapped[int]


class Event(Base):
    __tablename__ = "event"

    id: Mapped[int] = mapped_column(BigIntKey, primary_key=True)
    organiser_id: Mapped[int] = mapped_column(ForeignKey("organiser.id"), index=True)
    number: Mapped[str] = mapped_column(String(40), unique=True)
    name: Mapped[str] = mapped_column(String(200))
    category: Mapped[EventCategory] = mapped_column(_enum(EventCategory, "event_category"))
    discipline: Mapped[str] = mapped_column(String(120), default="")
    description: Mapped[str] = mapped_column(Text, default="")
    tags: Mapped[list[str]] = mapped_column(JSON, default=list)
    search_text: Mapped[str] = mapped_column(Text, default="")
    created_at: Mapped[datetime] = mapped_column(UTCDateTime())


class Session(Base):
    """One occurrence of an event at a venue and time (a showtime, a match)."""

    __tablename__ = "session"
    __table_args__ = (Index("ix_session_starts_at", "starts_at"),)

    id: Mapped[int] = mapped_column(BigIntKey, primary_key=True)
    event_id: Mapped[int] = mapped_column(ForeignKey("event.id"), index=True)
    venue_id: Mapped[int] = mapped_column(ForeignKey("venue.id"), index=True)
    seat_map_id: Mapped[int] = mapped_column(ForeignKey("seat_map.id"), index=True)
    code: Mapped[str] = mapped_column(String(40), unique=True)
    name: Mapped[str] = mapped_column(String(200), default="")
    starts_at: Mapped[datetime] = mapped_column(UTCDateTime())
    ends_at: Mapped[datetime] = mapped_column(UTCDateTime())
    status: Mapped[SessionStatus] = mapped_column(_enum(SessionStatus, "session_status"))
    created_at: Mapped[datetime] = mapped_column(UTCDateTime())


class PriceLevel(Base):
    __tablename__ = "price_level"
    __table_args__ = (UniqueConstraint("session_id", "code"),)

    id: Mapped[int] = mapped_column(BigIntKey, primary_key=True)
    session_id: Mapped[int] = mapped_column(ForeignKey("session.id", ondelete="CASCADE"))
    code: Mapped[str] = mapped_column(String(20))
    name: Mapped[str] = mapped_column(String(120))
    color: Mapped[str] = mapped_column(String(9), default="#3b82f6")
    sort: Mapped[int] = mapped_column(default=0)


class Price(Base):
    """The price of one ticket type at one level, in minor units."""

    __tablename__ = "price"
    __table_args__ = (UniqueConstraint("price_level_id", "ticket_type"),)

    id: Mapped[int] = mapped_column(BigIntKey, primary_key=True)
    price_level_id: Mapped[int] = mapped_column(ForeignKey("price_level.id", ondelete="CASCADE"))
    ticket_type: Mapped[str] = mapped_column(String(40))
    amount: Mapped[int]
    currency: Mapped[str] = mapped_column(String(3))


class Product(Base):
    """A pass: admission to several sessions, with no seat or one fixed seat across them."""

    __tablename__ = "product"

    id: Mapped[int] = mapped_column(BigIntKey, primary_key=True)
    organiser_id: Mapped[int] = mapped_column(ForeignKey("organiser.id"), index=True)
    code: Mapped[str] = mapped_column(String(40), unique=True)
    name: Mapped[str] = mapped_column(String(200))
    seat_mode: Mapped[SeatMode] = mapped_column(_enum(SeatMode, "seat_mode"))
    fixed_seat_key: Mapped[str | None] = mapped_column(String(60), default=None)
    currency: Mapped[str] = mapped_column(String(3))
    price: Mapped[int | None] = mapped_column(default=None)
    level_prices: Mapped[dict[str, Any]] = mapped_column(JSON, default=dict)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime())
    # How many seatless passes may be sold (held or sold at once); None: not on sale. A
    # fixed-seat pass is its seat: one.
    stock: Mapped[int | None] = mapped_column(default=None)


class ProductSession(Base):
    __tablename__ = "product_session"

    product_id: Mapped[int] = mapped_column(
        ForeignKey("product.id", ondelete="CASCADE"), primary_key=True
    )
    session_id: Mapped[int] = mapped_column(ForeignKey("session.id"), primary_key=True)
