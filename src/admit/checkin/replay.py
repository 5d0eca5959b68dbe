"""Where a ticket stands after every scan devices uploaded (V3): the admissions and exits are
replayed in device-time order, whatever order they arrived in. The first admission stands;
an admission while the ticket is inside — or after it went out, when the policy allows no
re-entry — is a conflict (two offline devices let the same ticket in). Pure: no I/O."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime


@dataclass(frozen=True, slots=True)
class Event:
    """An admission (``in``) or exit (``out``) a device recorded."""

    scan_id: str
    direction: str
    device_time: datetime
    gate: str


@dataclass(frozen=True, slots=True)
class Outcome:
    standing: frozenset[str]  # scan ids of admissions and exits that count
    conflicts: frozenset[str]  # scan ids of admissions that do not
    inside: bool
    entries: int
    first_gate: str | None
    first_in_at: datetime | None


def replay(events: Sequence[Event], *, reentry: bool) -> Outcome:
    """Replay one ticket's events by (device time, scan id): deterministic for any arrival
    order. An exit while not inside counts for nothing and is no conflict (its entry may
    have been refused, or scanned elsewhere without a device)."""
    standing: set[str] = set()
    conflicts: set[str] = set()
    inside, entries = False, 0
    first_gate: str | None = None
    first_in_at: datetime | None = None
    for event in sorted(events, key=lambda e: (e.device_time, e.scan_id)):
        if event.direction == "out":
            if inside:
                inside = False
                standing.add(event.scan_id)
            continue
        if inside or (entries and not reentry):
            conflicts.add(event.scan_id)
            continue
        inside, entries = True, entries + 1
        standing.add(event.scan_id)
        if first_in_at is None:
            first_gate, first_in_at = event.gate, event.device_time
    return Outcome(
        standing=frozenset(standing),
        conflicts=frozenset(conflicts),
        inside=inside,
        entries=entries,
        first_gate=first_gate,
        first_in_at=first_in_at,
    )
