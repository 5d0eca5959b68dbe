"""Outlet terminals online (OPS4 preview): each kiosk or outlet terminal reports a heartbeat —
its staff's till, or the outlet system's key — and operators see, per outlet, which
terminals reported within the last minutes and when each was last seen (the rule gates'
devices follow: ``checkin.attendance``)."""

from __future__ import annotations

from datetime import datetime, timedelta
from typing import Any

from sqlalchemy import select
from sqlalchemy.dialects.postgresql import insert as pg_insert
from sqlalchemy.dialects.sqlite import insert as sqlite_insert

from admit.channels.terminals_models import OutletTerminal
from admit.core.errors import NotFound
from admit.core.uow import UnitOfWork
from admit.sales.models import Outlet

ONLINE_WITHIN = timedelta(minutes=5)  # a terminal that reported this recently is online


async def outlet_of(uow: UnitOfWork, code: str) -> Outlet:
    outlet = await uow.session.scalar(select(Outlet).where(Outlet.code == code))
    if outlet is None:
        raise NotFound(f"outlet {code!r} does not exist")
    return outlet


async def beat(
    uow: UnitOfWork, *, outlet: str, terminal: str, reported_by: str, now: datetime
) -> datetime:
    """Record that ``terminal`` of ``outlet`` is alive now: one upsert, so concurrent beats
    of a terminal new to us make one row. A switched-off outlet's terminals still report (it
    is shown online and switched off). Raises ``NotFound`` for an unknown outlet."""
    await outlet_of(uow, outlet)
    upsert = pg_insert if uow.dialect == "postgresql" else sqlite_insert
    statement = upsert(OutletTerminal).values(
        outlet=outlet,
        terminal=terminal,
        last_seen_at=now,
        reported_by=reported_by,
        first_seen_at=now,
    )
    await uow.session.execute(
        statement.on_conflict_do_update(
            index_elements=[OutletTerminal.outlet, OutletTerminal.terminal],
            set_={"last_seen_at": now, "reported_by": reported_by},
        )
    )
    return now


async def online(
    uow: UnitOfWork, *, now: datetime, within: timedelta = ONLINE_WITHIN
) -> list[dict[str, Any]]:
    """Every outlet with its terminals, each terminal ``online`` when it reported within
    ``within``; an outlet is online when any of its terminals is."""
    outlets = (await uow.session.scalars(select(Outlet).order_by(Outlet.code))).all()
    rows = (
        await uow.session.scalars(
            select(OutletTerminal).order_by(OutletTerminal.outlet, OutletTerminal.terminal)
        )
    ).all()
    by_outlet: dict[str, list[OutletTerminal]] = {}
    for row in rows:
        by_outlet.setdefault(row.outlet, []).append(row)
    out = []
    for o in outlets:
        terminals = [
            {
                "terminal": t.terminal,
                "last_seen_at": t.last_seen_at,
                "online": now - t.last_seen_at <= within,
            }
            for t in by_outlet.get(o.code, [])
        ]
        seen = [t.last_seen_at for t in by_outlet.get(o.code, [])]
        out.append(
            {
                "outlet": o.code,
                "name": o.name,
                "channel": o.channel,
                "enabled": o.enabled,
                "online": any(t["online"] for t in terminals),
                "last_seen_at": max(seen) if seen else None,
                "terminals": terminals,
            }
        )
    return out
