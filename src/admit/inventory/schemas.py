"""Request and response models of the inventory API."""

from __future__ import annotations

from datetime import datetime
from typing import Annotated, Any

from pydantic import BaseModel, ConfigDict, Field, model_validator

from admit.catalog.schemas import EventOut, PriceLevelOut, SessionIn, SessionOut, VenueOut
from admit.core.timestamps import UTCTimestamp
from admit.inventory.rules import Category, SeatStatus
from admit.inventory.selection import NumberRange, RowRef, SeatSelector

Label = Annotated[str, Field(min_length=1, max_length=60)]
# A request's selector names at most this many sections, rows, seat numbers and seat keys in
# all (a row counts two, a range its width and two): the largest venue's seats by key fit.
MAX_SELECTOR_TERMS = 50_000
MAX_RANGE_WIDTH = 1_000  # seats of one row a range may span


class Model(BaseModel):
    model_config = ConfigDict(extra="forbid")


class RowIn(Model):
    section: Label
    row: Label


class RangeIn(Model):
    section: Label
    row: Label
    first: int = Field(ge=0, le=100000)
    last: int = Field(ge=0, le=100000)

    @model_validator(mode="after")
    def _narrow(self) -> RangeIn:
        if self.last - self.first >= MAX_RANGE_WIDTH:
            raise ValueError(f"a range spans at most {MAX_RANGE_WIDTH} seat numbers")
        return self


class SelectorIn(Model):
    """Seats by whole sections, rows, number ranges within a row, or seat keys (a union)."""

    sections: list[Label] = Field(default_factory=list, max_length=1000)
    rows: list[RowIn] = Field(default_factory=list, max_length=5000)
    ranges: list[RangeIn] = Field(default_factory=list, max_length=5000)
    seats: list[Label] = Field(default_factory=list, max_length=MAX_SELECTOR_TERMS)

    @model_validator(mode="after")
    def _bounded(self) -> SelectorIn:
        numbers = sum(max(r.last - r.first + 1, 0) + 2 for r in self.ranges)
        terms = len(self.sections) + 2 * len(self.rows) + numbers + len(self.seats)
        if terms > MAX_SELECTOR_TERMS:
            raise ValueError(f"a selection names at most {MAX_SELECTOR_TERMS} terms")
        return self

    def to_selector(self) -> SeatSelector:
        return SeatSelector(
            sections=tuple(self.sections),
            rows=tuple(RowRef(r.section, r.row) for r in self.rows),
            ranges=tuple(NumberRange(r.section, r.row, r.first, r.last) for r in self.ranges),
            seats=tuple(self.seats),
        )


class CategoryIn(Model):
    select: SelectorIn
    category: Category


class ExcludeIn(Model):
    select: SelectorIn
    excluded: bool = True


class LevelMapIn(Model):
    select: SelectorIn
    level: Annotated[str, Field(min_length=1, max_length=20)]


class GALevelIn(Model):
    area: Label
    level: Annotated[str, Field(min_length=1, max_length=20)]


class ReservationIn(Model):
    """Seats reserved for one client or one client group (``/admin/clients``), not both."""

    select: SelectorIn
    client_id: int | None = Field(default=None, ge=1, le=2**63 - 1)
    group_id: int | None = Field(default=None, ge=1, le=2**63 - 1, description="a client group")
    until: UTCTimestamp

    @model_validator(mode="after")
    def _one_holder(self) -> ReservationIn:
        if (self.client_id is None) == (self.group_id is None):
            raise ValueError("name a client_id or a group_id, not both")
        return self


class ReleaseIn(Model):
    select: SelectorIn


class ChangedOut(Model):
    changed: int


class PlanOut(Model):
    session_id: int
    seat_map_id: int
    confirmed_at: datetime | None
    confirmed_by: str | None
    version: int
    categories: dict[str, int]


class SeatAttributesIn(Model):
    key: Label
    accessible: bool | None = None
    obstructed: bool | None = None
    damaged: bool | None = None
    removed: bool | None = None

    def attributes(self) -> dict[str, bool]:
        return self.model_dump(exclude_none=True, exclude={"key"})


class SeatChangesIn(Model):
    seats: list[SeatAttributesIn] = Field(min_length=1, max_length=50000)


class ConflictOut(Model):
    session_id: int
    seat_key: str
    status: SeatStatus


class VenueChangeOut(Model):
    changed_seats: list[str]
    sessions_updated: list[int]
    conflicts: list[ConflictOut]


class NewSessionIn(SessionIn):
    pass


class SessionSummary(Model):
    session: SessionOut
    event: EventOut
    venue: VenueOut
    remaining: int
    lowest_price: int | None
    currency: str | None


class SessionDetail(SessionSummary):
    price_levels: list[PriceLevelOut]
    counts: dict[str, int]
    ga: list[dict[str, Any]]
