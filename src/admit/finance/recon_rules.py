"""Reconciliation as pure rules (C5, A2): the platform's records of a day against what the
other side reports for it — a cinema's daily report, a payment gateway's statement — line by
line and in total. Every difference is named: a record missing on either side, one reported
more than once, one whose amount (or, for a cinema, number of tickets) differs. The other side
is the *partner* here, whichever it is. Pure: no I/O."""

from __future__ import annotations

from collections import Counter
from collections.abc import Sequence
from dataclasses import dataclass
from typing import Literal

# Who the other side is: it names the differences it is responsible for.
Side = Literal["cinema", "gateway"]
DifferenceKind = Literal[
    "missing_on_platform",  # the other side reports it; the platform has no such record
    "missing_at_cinema",  # the platform has it; the cinema does not report it
    "missing_at_gateway",  # the platform has it; the gateway's statement does not list it
    "amount_differs",
    "tickets_differ",
    "duplicate_at_cinema",  # reported more than once
    "duplicate_at_gateway",
]
# A record is money in (a cinema's ``sale``, a gateway's ``pay``) or out (a ``refund``).
LineKind = Literal["sale", "pay", "refund"]


@dataclass(frozen=True, slots=True)
class Record:
    """One record as one side sees it: ``ref`` is the order number (cinemas) or the payment or
    refund number (gateways); ``amount`` is never negative, ``kind`` says the direction."""

    ref: str
    kind: str
    amount: int
    tickets: int = 0
    code: str = ""


@dataclass(frozen=True, slots=True)
class Difference:
    """For a duplicate, ``partner_amount`` is what the extra copies add (one copy's amount when
    a record is reported twice), so a correction of it is that amount."""

    ref: str
    kind: DifferenceKind
    platform_amount: int | None
    partner_amount: int | None
    line_kind: str = "sale"


@dataclass(frozen=True, slots=True)
class Comparison:
    matched: tuple[str, ...]
    differences: tuple[Difference, ...]
    platform_total: int
    partner_total: int


def signed(kind: str, amount: int) -> int:
    """Money in positive, a refund negative."""
    return -amount if kind == "refund" else amount


def compare(
    platform: Sequence[Record], partner: Sequence[Record], *, side: Side = "cinema"
) -> Comparison:
    """Pair the two sides by (reference, kind) and list what does not agree, in reference
    order. Totals are money in minus refunds, every copy of a duplicate counted."""
    ours = {(r.ref, r.kind): r for r in platform}
    counts = Counter((r.ref, r.kind) for r in partner)
    theirs = {(r.ref, r.kind): r for r in partner}
    missing_there: DifferenceKind = (
        "missing_at_gateway" if side == "gateway" else "missing_at_cinema"
    )
    twice: DifferenceKind = "duplicate_at_gateway" if side == "gateway" else "duplicate_at_cinema"
    matched: list[str] = []
    diffs: list[Difference] = []
    for key in sorted(set(ours) | set(theirs)):
        ref, kind = key
        mine, other = ours.get(key), theirs.get(key)
        if counts[key] > 1 and other is not None:
            extra = other.amount * (counts[key] - 1)
            diffs.append(Difference(ref, twice, mine.amount if mine else None, extra, kind))
        if other is None:
            assert mine is not None
            diffs.append(Difference(ref, missing_there, mine.amount, None, kind))
        elif mine is None:
            diffs.append(Difference(ref, "missing_on_platform", None, other.amount, kind))
        elif mine.amount != other.amount:
            diffs.append(Difference(ref, "amount_differs", mine.amount, other.amount, kind))
        elif mine.tickets != other.tickets:
            diffs.append(Difference(ref, "tickets_differ", mine.amount, other.amount, kind))
        elif counts[key] == 1:
            matched.append(ref)
    return Comparison(
        matched=tuple(matched),
        differences=tuple(diffs),
        platform_total=sum(signed(r.kind, r.amount) for r in platform),
        partner_total=sum(signed(r.kind, r.amount) for r in partner),
    )


def correction(kind: str, line_kind: str, platform: int | None, partner: int | None) -> int:
    """What a difference leaves the other side holding beyond the platform's books (negative:
    short of them) — the amount a correcting entry moves into the partner's account."""
    if kind.startswith("duplicate_at_"):
        return signed(line_kind, partner or 0)
    return signed(line_kind, (partner or 0) - (platform or 0))
