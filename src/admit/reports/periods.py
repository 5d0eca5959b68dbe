"""The period a report covers and the buckets of time it groups by. Days are UTC days, as
the daily bill's (``finance.bills``): one day is the finest grain; weeks start on Monday;
a bucket's key is its first day, ``YYYY-MM-DD``, on every database."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import UTC, date, datetime, time, timedelta
from typing import Any, Literal

from sqlalchemy import ColumnElement, func
from sqlalchemy.orm import InstrumentedAttribute

from admit.core.errors import InvalidInput

Grain = Literal["day", "week", "month"]
GRAINS: tuple[Grain, ...] = ("day", "week", "month")
# Longer periods are not refused for their cost (the queries are aggregates) but for the
# page: a chart of more than ten years of days says nothing.
MAX_DAYS = 3660


class BadPeriod(InvalidInput):
    code = "report_period_invalid"


@dataclass(frozen=True, slots=True)
class Period:
    """``first`` to ``last`` inclusive, as UTC days; ``start``/``end`` its half-open bounds."""

    first: date
    last: date

    @classmethod
    def of(cls, first: date, last: date) -> Period:
        if last < first:
            raise BadPeriod("the period ends before it starts", details={"from": str(first)})
        if (last - first).days + 1 > MAX_DAYS:
            raise BadPeriod(f"a report covers at most {MAX_DAYS} days")
        return cls(first, last)

    @property
    def start(self) -> datetime:
        return datetime.combine(self.first, time(0), tzinfo=UTC)

    @property
    def end(self) -> datetime:
        return datetime.combine(self.last + timedelta(days=1), time(0), tzinfo=UTC)


def bucket(
    at: ColumnElement[Any] | InstrumentedAttribute[Any], grain: Grain, dialect: str
) -> ColumnElement[Any]:
    """The first day of ``at``'s day, week or month: ``YYYY-MM-DD`` text on SQLite, the
    midnight starting it on PostgreSQL (grouped as a timestamp: formatting every row costs
    more than the grouping; ``figures`` writes the key)."""
    if dialect == "postgresql":
        utc = func.timezone("UTC", at)  # timestamptz → the UTC wall clock
        return func.date_trunc(grain, utc)
    # SQLite keeps naive UTC text: date() reads it; a week goes back to its Monday.
    if grain == "day":
        return func.date(at)
    if grain == "week":
        return func.date(at, "weekday 0", "-6 days")
    return func.strftime("%Y-%m-01", at)
