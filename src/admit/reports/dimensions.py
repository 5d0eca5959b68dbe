"""What a report's rows can be (its dimension), what their keys are, and how a key reads.

A row's key is text on every path: the first day of its bucket (``YYYY-MM-DD``) for a grain of
time, an id (event, session), a code (channel, outlet), a buyer (``staff:3``), or a value
(ticket type, refund reason, kind of buyer, account source, province); ``""`` where there is
none (a web sale has no outlet). Labels are looked up when a report is read, for the keys it
has — never stored — so a renamed event reads with its new name over every day."""

from __future__ import annotations

from collections.abc import Collection, Iterable
from typing import Any, Literal

from sqlalchemy import select

from admit.accounts.models import StaffUser
from admit.catalog.models import Event
from admit.catalog.models import Session as Showing
from admit.core.uow import UnitOfWork
from admit.sales.models import Channel, Outlet

Dimension = Literal[
    "day",
    "week",
    "month",
    "event",
    "session",
    "channel",
    "outlet",
    "ticket_type",
    "staff",
    "reason",
    "buyer_kind",
    "source",
    "region",
]
Movements = Literal["all", "refunds"]

NONE_LABELS: dict[str, str] = {
    "outlet": "(online, no outlet)",
    "reason": "(payment)",
    "source": "(not a customer account)",
    "region": "(no address)",
}


def key_of(value: Any) -> str:
    return "" if value is None else str(value)


def _ids(keys: Iterable[str], prefix: str = "") -> list[int]:
    return [int(k.removeprefix(prefix)) for k in keys if k.removeprefix(prefix).isdigit()]


def _named(code: str, name: str | None) -> str:
    return f"{code} · {name}" if name else code


async def labels(uow: UnitOfWork, dim: Dimension, keys: Collection[str]) -> dict[str, str]:
    """How each of ``keys`` reads; a key without a label of its own reads as itself."""
    found: dict[str, str] = {}
    s = uow.session
    match dim:
        case "event":
            events = await s.execute(select(Event.id, Event.name).where(Event.id.in_(_ids(keys))))
            found = {str(i): name for i, name in events}
        case "session":
            sessions = await s.execute(
                select(Showing.id, Event.name, Showing.name, Showing.starts_at)
                .join(Event, Event.id == Showing.event_id)
                .where(Showing.id.in_(_ids(keys)))
            )
            for i, event, name, starts_at in sessions:
                when = starts_at.strftime("%Y-%m-%d %H:%M") if starts_at is not None else ""
                found[str(i)] = " · ".join(p for p in (event, name, when) if p)
        case "channel":
            channels = await s.execute(
                select(Channel.code, Channel.name).where(Channel.code.in_(list(keys)))
            )
            found = {code: _named(code, name) for code, name in channels}
        case "outlet":
            outlets = await s.execute(
                select(Outlet.code, Outlet.name).where(Outlet.code.in_(list(keys)))
            )
            found = {code: _named(code, name) for code, name in outlets}
        case "staff":
            staff = await s.execute(
                select(StaffUser.id, StaffUser.username).where(
                    StaffUser.id.in_(_ids(keys, "staff:"))
                )
            )
            found = {f"staff:{i}": name for i, name in staff}
    none = NONE_LABELS.get(dim)
    return {k: found.get(k) or (none if k == "" and none else k) for k in keys}
