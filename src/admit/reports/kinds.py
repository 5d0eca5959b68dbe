"""The reports there are: what each groups by, which columns it shows and which one its chart
draws. One table, read by the routes, the exports and the page, so they cannot disagree."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Literal

from admit.core.errors import InvalidInput
from admit.reports.dimensions import Dimension, Movements
from admit.reports.figures import Row

ReportName = Literal["revenue", "refunds", "sellers", "audience", "bills"]
Column = Literal[
    "key", "label", "payments", "paid", "refunds", "refunded", "net", "tickets", "buyers"
]
RankBy = Literal["net", "tickets"]


class BadDimension(InvalidInput):
    code = "report_dimension_invalid"


@dataclass(frozen=True, slots=True)
class Kind:
    name: ReportName
    title: str
    dimensions: tuple[Dimension, ...]
    columns: tuple[Column, ...]
    chart: Column
    movements: Movements = "all"
    with_buyers: bool = False
    ranked: bool = False

    def dimension(self, by: str | None) -> Dimension:
        """``by`` if this report groups by it (its first dimension when not given)."""
        if by is None:
            return self.dimensions[0]
        for dim in self.dimensions:
            if dim == by:
                return dim
        raise BadDimension(
            f"the {self.name} report groups by one of: {', '.join(self.dimensions)}",
            details={"by": by, "allowed": list(self.dimensions)},
        )


MONEY: tuple[Column, ...] = ("payments", "paid", "refunds", "refunded", "net")
KINDS: dict[ReportName, Kind] = {
    k.name: k
    for k in (
        Kind(
            "revenue",
            "Revenue",
            ("day", "week", "month", "event", "session", "channel", "outlet", "ticket_type"),
            ("key", "label", *MONEY, "tickets"),
            "net",
        ),
        Kind(
            "refunds",
            "Refunds",
            ("day", "week", "month", "reason", "event", "session", "channel", "outlet"),
            ("key", "label", "refunds", "refunded"),
            "refunded",
            movements="refunds",
        ),
        Kind(
            "sellers",
            "Seller ranking",
            ("outlet", "staff"),
            ("key", "label", "net", "tickets", "payments", "refunded"),
            "net",
            ranked=True,
        ),
        Kind(
            "audience",
            "Audience sources",
            ("channel", "buyer_kind", "source", "region"),
            ("key", "label", "buyers", "tickets", "net"),
            "buyers",
            with_buyers=True,
        ),
        Kind("bills", "Bills per day", ("day",), ("key", "label", *MONEY), "net"),
    )
}


def cell(row: Row, column: Column) -> str | int:
    value: str | int = getattr(row, column)
    return value


def ranked(rows: list[Row], by: RankBy, limit: int) -> list[Row]:
    """The top ``limit`` rows by net revenue or by tickets (ties by name)."""
    if by == "tickets":
        return sorted(rows, key=lambda r: (-r.tickets, -r.net, r.label))[:limit]
    return sorted(rows, key=lambda r: (-r.net, -r.tickets, r.label))[:limit]
