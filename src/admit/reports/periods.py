"""The period a report covers and the buckets of time it groups by. Days are UTC days, as
the daily bill's (``finance.bills``): one day is the finest grain; weeks start on Monday;
a bucket's key is its first day, ``YYYY-MM-DD``, on every database."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import UTC, date, datetime, time, timedelta
from typing import Any, Literal

from sqlalchemy import ColumnElement, Date, cast, func
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

    def split(self, through: date | None) -> tuple[Period | None, Period | None]:
        """The days up to ``through`` (rolled up) and the days after it (read live)."""
        if through is None or through < self.first:
            return None, self
        if through >= self.last:
            return self, None
        return Period(self.first, through), Period(through + timedelta(days=1), self.last)


def bucket_of(day: date, grain: Grain) -> date:
    """The first day of ``day``'s day, week (from Monday) or month."""
    if grain == "week":
        return day - timedelta(days=day.weekday())
    if grain == "month":
        return day.replace(day=1)
    return day


def day_of(at: ColumnElement[Any] | InstrumentedAttribute[Any], dialect: str) -> ColumnElement[Any]:
    """The UTC day of ``at`` as a date (``YYYY-MM-DD`` text on SQLite, as its dates are kept)."""
    if dialect == "postgresql":
        return cast(func.timezone("UTC", at), Date)
    return func.date(at)


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
