"""Configuring ticket production (S7): the printers at outlet terminals (which of them are
designated for thermal stock) and the sessions whose tickets are thermal.

Thermal is a property of the **session**: whether an event is run on pre-printed thermal
stock is decided per performance (the venue, the organiser's stock), and every ticket of
that session — whichever channel sold it — is then printed only at a designated terminal.
A per-ticket flag would have to be chosen at every sale; a per-window one would let the same
seat print differently by channel."""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import select

from admit.catalog.events import get_session
from admit.core import audit
from admit.core.errors import NotFound
from admit.core.lookups import ensure_unique, get_or_404
from admit.core.uow import UnitOfWork
from admit.production.models import Printer, ThermalSession
from admit.sales.models import Outlet


async def create_printer(
    uow: UnitOfWork,
    *,
    code: str,
    outlet: str,
    name: str,
    host: str,
    port: int,
    thermal: bool,
    now: datetime,
) -> Printer:
    await ensure_unique(uow, Printer.code, code, f"a printer {code!r} exists")
    await _outlet_exists(uow, outlet)
    printer = Printer(
        code=code, outlet=outlet, name=name, host=host, port=port, thermal=thermal, created_at=now
    )
    uow.session.add(printer)
    await uow.session.flush()
    await audit.record(
        uow,
        action="printer.registered",
        entity_type="production_printer",
        entity_id=printer.id,
        data={"code": code, "outlet": outlet, "host": host, "port": port, "thermal": thermal},
        now=now,
    )
    return printer


async def update_printer(
    uow: UnitOfWork,
    *,
    printer_id: int,
    host: str | None,
    port: int | None,
    thermal: bool | None,
    enabled: bool | None,
    now: datetime,
) -> Printer:
    printer = await get_or_404(uow, Printer, printer_id, "printer")
    changes = {
        k: v
        for k, v in {"host": host, "port": port, "thermal": thermal, "enabled": enabled}.items()
        if v is not None
    }
    for key, value in changes.items():
        setattr(printer, key, value)
    await uow.session.flush()
    await audit.record(
        uow,
        action="printer.changed",
        entity_type="production_printer",
        entity_id=printer.id,
        data=changes,
        now=now,
    )
    return printer


async def _outlet_exists(uow: UnitOfWork, outlet: str) -> None:
    if await uow.session.scalar(select(Outlet.id).where(Outlet.code == outlet)) is None:
        raise NotFound(f"outlet {outlet!r} does not exist")


async def list_printers(uow: UnitOfWork, *, outlet: str | None = None) -> list[Printer]:
    """The printers (at ``outlet``, which must exist: ``NotFound``), by code."""
    query = select(Printer).order_by(Printer.code)
    if outlet is not None:
        await _outlet_exists(uow, outlet)
        query = query.where(Printer.outlet == outlet)
    return list((await uow.session.scalars(query)).all())


async def printer_by_code(uow: UnitOfWork, code: str) -> Printer:
    printer = await uow.session.scalar(select(Printer).where(Printer.code == code))
    if printer is None:
        raise NotFound(f"printer {code!r} does not exist")
    return printer


async def set_thermal(uow: UnitOfWork, *, session_id: int, thermal: bool, now: datetime) -> bool:
    """Mark (or unmark) the session's tickets as thermal; returns the new setting."""
    await get_session(uow, session_id)
    marked = await uow.session.get(ThermalSession, session_id)
    if thermal and marked is None:
        uow.session.add(ThermalSession(session_id=session_id, marked_at=now))
    elif not thermal and marked is not None:
        await uow.session.delete(marked)
    await uow.session.flush()
    await audit.record(
        uow,
        action="session.thermal" if thermal else "session.not_thermal",
        entity_type="session",
        entity_id=session_id,
        data={},
        now=now,
    )
    return thermal


async def is_thermal(uow: UnitOfWork, session_id: int) -> bool:
    return await uow.session.get(ThermalSession, session_id) is not None
