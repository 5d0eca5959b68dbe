"""Request and response models of the catalogue API."""

from __future__ import annotations

from datetime import datetime
from typing import Annotated

from pydantic import BaseModel, ConfigDict, Field, StringConstraints, model_validator

from admit.catalog.models import EventCategory, SeatMode, SessionStatus
from admit.core.timestamps import UTCTimestamp

Code = Annotated[str, Field(min_length=1, max_length=40, pattern=r"^[A-Za-z0-9_.\-]+$")]
# Names are shown to buyers: surrounding spaces dropped, something left.
Name = Annotated[str, StringConstraints(strip_whitespace=True, min_length=1, max_length=200)]
Amount = Annotated[int, Field(ge=0, le=10**10, description="minor units (fen, cents)")]
Currency = Annotated[str, Field(pattern=r"^[A-Z]{3}$")]


class Model(BaseModel):
    model_config = ConfigDict(extra="forbid", from_attributes=True)


class Patch(Model):
    """A partial update: omitted fields stay; a field may not be set to null."""

    @model_validator(mode="after")
    def _no_nulls(self) -> Patch:
        nulls = sorted(f for f in self.model_fields_set if getattr(self, f) is None)
        if nulls:
            raise ValueError(f"these fields cannot be null: {', '.join(nulls)}")
        return self


class OrganiserIn(Model):
    code: Code
    name: Name


class OrganiserOut(Model):
    id: int
    code: str
    name: str


class VenueIn(Model):
    code: Code
    name: Name
    address: str = Field(default="", max_length=400)
    use: str = Field(default="", max_length=200)
    capacity: int = Field(default=0, ge=0)


class VenuePatch(Patch):
    name: Name | None = None
    address: str | None = Field(default=None, max_length=400)
    use: str | None = Field(default=None, max_length=200)
    capacity: int | None = Field(default=None, ge=0)


class VenueOut(Model):
    id: int
    code: str
    name: str
    address: str
    use: str
    capacity: int


class SeatMapOut(Model):
    id: int
    venue_id: int
    name: str
    version: int
    seat_count: int
    ga_capacity: int


class EventIn(Model):
    organiser_id: int
    number: Code
    name: Name
    category: EventCategory
    discipline: str = Field(default="", max_length=120)
    description: str = Field(default="", max_length=20000)
    tags: list[Annotated[str, Field(min_length=1, max_length=40)]] = Field(
        default_factory=list, max_length=30
    )


class EventPatch(Patch):
    name: Name | None = None
    category: EventCategory | None = None
    discipline: str | None = Field(default=None, max_length=120)
    description: str | None = Field(default=None, max_length=20000)
    tags: list[Annotated[str, Field(min_length=1, max_length=40)]] | None = Field(
        default=None, max_length=30
    )


class EventOut(Model):
    id: int
    organiser_id: int
    number: str
    name: str
    category: EventCategory
    discipline: str
    description: str
    tags: list[str]


class SessionIn(Model):
    event_id: int
    venue_id: int
    seat_map_id: int
    code: Code
    name: Name = Field(default="", description="the session's own name; none: the event's")
    starts_at: UTCTimestamp
    ends_at: UTCTimestamp
    status: SessionStatus = SessionStatus.SCHEDULED


class SessionPatch(Patch):
    name: Name | None = None
    starts_at: UTCTimestamp | None = None
    ends_at: UTCTimestamp | None = None
    status: SessionStatus | None = None


class SessionOut(Model):
    id: int
    event_id: int
    venue_id: int
    seat_map_id: int
    code: str
    name: str
    starts_at: datetime
    ends_at: datetime
    status: SessionStatus


class PriceLevelIn(Model):
    code: Annotated[str, Field(min_length=1, max_length=20, pattern=r"^[A-Za-z0-9_]+$")]
    name: Name
    color: str = Field(default="#3b82f6", pattern=r"^#[0-9a-fA-F]{6}$")
    currency: Currency = "CNY"
    prices: dict[Annotated[str, Field(min_length=1, max_length=40)], Amount] = Field(
        min_length=1, description="price per ticket type, e.g. {'adult': 18000, 'child': 9000}"
    )


class PriceLevelsIn(Model):
    levels: list[PriceLevelIn] = Field(min_length=1, max_length=62)


class PriceLevelOut(Model):
    id: int
    code: str
    name: str
    color: str
    currency: str
    prices: dict[str, int]


class PassIn(Model):
    organiser_id: int
    code: Code
    name: Name
    session_ids: list[int] = Field(min_length=2, max_length=500)
    seat_mode: SeatMode = SeatMode.NONE
    fixed_seat_key: str | None = Field(default=None, max_length=60)
    currency: Currency = "CNY"
    price: Amount | None = None
    level_prices: dict[str, Amount] = Field(default_factory=dict)
    stock: int | None = Field(
        default=None,
        ge=1,
        le=10_000_000,
        description="how many seatless passes are sold; none: not on sale (a fixed seat: one)",
    )


class PassOut(Model):
    id: int
    organiser_id: int
    code: str
    name: str
    seat_mode: SeatMode
    fixed_seat_key: str | None
    currency: str
    price: int | None
    level_prices: dict[str, int]
    stock: int | None
    session_ids: list[int]
