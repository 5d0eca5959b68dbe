"""Reconciliation of a day with one cinema (C5, A2, A3), as pure rules: the platform's
confirmed orders against the cinema's report, line by line and in total. Every difference is
named: an order missing on either side, one reported twice, or one whose amount or number of
tickets differs. Pure: no I/O."""

from __future__ import annotations

from collections import Counter
from collections.abc import Sequence
from dataclasses import dataclass
from typing import Literal

DifferenceKind = Literal[
    "missing_at_cinema",  # the platform confirmed it; the cinema does not report it
    "missing_on_platform",  # the cinema reports it; the platform has no such order
    "amount_differs",
    "tickets_differ",
    "duplicate_at_cinema",  # reported more than once
]


@dataclass(frozen=True, slots=True)
class Record:
    """One order as one side sees it (``kind`` is ``sale`` or ``refund``)."""

    order_no: str
    kind: str
    amount: int
    tickets: int
    order_code: str = ""


@dataclass(frozen=True, slots=True)
class Difference:
    order_no: str
    kind: DifferenceKind
    platform_amount: int | None
    partner_amount: int | None


@dataclass(frozen=True, slots=True)
class Comparison:
    matched: tuple[str, ...]
    differences: tuple[Difference, ...]
    platform_total: int
    partner_total: int


def _signed(r: Record) -> int:
    return -r.amount if r.kind == "refund" else r.amount


def compare(platform: Sequence[Record], partner: Sequence[Record]) -> Comparison:
    """Pair the two sides by (order number, kind) and list what does not agree, in order
    number order. Totals are sales minus refunds."""
    ours = {(r.order_no, r.kind): r for r in platform}
    counts = Counter((r.order_no, r.kind) for r in partner)
    theirs = {(r.order_no, r.kind): r for r in partner}
    matched: list[str] = []
    diffs: list[Difference] = []
    for key in sorted(set(ours) | set(theirs)):
        mine, other = ours.get(key), theirs.get(key)
        if counts[key] > 1 and other is not None:
            diffs.append(
                Difference(
                    key[0], "duplicate_at_cinema", mine.amount if mine else None, other.amount
                )
            )
        if other is None:
            assert mine is not None
            diffs.append(Difference(key[0], "missing_at_cinema", mine.amount, None))
        elif mine is None:
            diffs.append(Difference(key[0], "missing_on_platform", None, other.amount))
        elif mine.amount != other.amount:
            diffs.append(Difference(key[0], "amount_differs", mine.amount, other.amount))
        elif mine.tickets != other.tickets:
            diffs.append(Difference(key[0], "tickets_differ", mine.amount, other.amount))
        elif counts[key] == 1:
            matched.append(key[0])
    return Comparison(
        matched=tuple(matched),
        differences=tuple(diffs),
        platform_total=sum(_signed(r) for r in platform),
        partner_total=sum(_signed(r) for r in partner),
    )
