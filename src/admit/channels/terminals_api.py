"""Heartbeats of outlet terminals and which are online (OPS4 preview): a till reports with its
clerk's token (``POST /counter/heartbeat``, the clerk's grant covering the outlet), an
outlet's system with its channel key (``POST /channel/heartbeat``, the key's outlet); the
operators' view is ``GET /admin/outlets/online`` (``dashboards.read``)."""

from __future__ import annotations

from datetime import datetime, timedelta
from typing import Annotated

from fastapi import APIRouter, Query
from pydantic import BaseModel, ConfigDict, Field

from admit.channels import terminals
from admit.channels.booking_api import AUTH_ERRORS, system
from admit.channels.booking_orders import System
from admit.core.audit_context import Actor
from admit.core.errors import Conflict
from admit.core.permissions import Permission, Principal, ScopeKind
from admit.core.uow import UnitOfWork
from admit.http.deps import (
    Now,
    PrincipalDep,
    RuntimeDep,
    narrowed,
    require_any_scope,
    staff_reader,
    staff_writer,
)
from admit.sales.rules import ChannelCode

router = APIRouter(tags=["outlet terminals"])
Till = Annotated[
    UnitOfWork, staff_writer(Permission.SELL, scope=narrowed(ScopeKind.OUTLET, ScopeKind.CHANNEL))
]
Monitor = Annotated[UnitOfWork, staff_reader(Permission.DASHBOARDS)]
TerminalName = Annotated[
    str,
    Field(
        min_length=1,
        max_length=60,
        pattern=r"^[A-Za-z0-9._:-]+$",
        description="the terminal's own name at its outlet (a till, a server)",
    ),
]


class NoOutlet(Conflict):
    code = "key_has_no_outlet"


class Model(BaseModel):
    model_config = ConfigDict(extra="forbid")


class StaffBeatIn(Model):
    outlet: Annotated[str, Field(min_length=1, max_length=40)]
    terminal: TerminalName


class KeyBeatIn(Model):
    terminal: TerminalName


class BeatOut(Model):
    outlet: str
    terminal: str
    last_seen_at: datetime


class TerminalOut(Model):
    terminal: str
    last_seen_at: datetime
    online: bool


class OutletOnlineOut(Model):
    outlet: str
    name: str
    channel: ChannelCode
    enabled: bool
    online: bool
    last_seen_at: datetime | None
    terminals: list[TerminalOut]


def _check(who: Principal, outlet: str, channel: str) -> None:
    require_any_scope(
        who, Permission.SELL, [(ScopeKind.OUTLET, outlet), (ScopeKind.CHANNEL, channel)]
    )


@router.post("/counter/heartbeat", responses={404: {"description": "no such outlet"}})
async def counter_heartbeat(body: StaffBeatIn, uow: Till, who: PrincipalDep, now: Now) -> BeatOut:
    """The till ``terminal`` at ``outlet`` is alive (the clerk's grant must cover the outlet
    or its channel: 403 otherwise)."""
    outlet = await terminals.outlet_of(uow, body.outlet)
    _check(who, outlet.code, outlet.channel)
    seen = await terminals.beat(
        uow,
        outlet=outlet.code,
        terminal=body.terminal,
        reported_by=f"staff:{who.staff_id}",
        now=now,
    )
    return BeatOut(outlet=outlet.code, terminal=body.terminal, last_seen_at=seen)


@router.post(
    "/channel/heartbeat",
    responses={**AUTH_ERRORS, 409: {"description": "``key_has_no_outlet``"}},
)
async def channel_heartbeat(
    s: Annotated[System, system(None)], body: KeyBeatIn, rt: RuntimeDep, now: Now
) -> BeatOut:
    """The outlet system's ``terminal`` is alive, at the outlet its key is bound to."""
    if s.outlet is None:
        raise NoOutlet("this key is bound to no outlet: its terminals cannot report")
    async with rt.uow(Actor(kind="partner", id=str(s.client_id))) as uow:
        seen = await terminals.beat(
            uow,
            outlet=s.outlet,
            terminal=body.terminal,
            reported_by=f"api_client:{s.client_id}",
            now=now,
        )
    return BeatOut(outlet=s.outlet, terminal=body.terminal, last_seen_at=seen)


@router.get("/admin/outlets/online")
async def outlets_online(
    uow: Monitor,
    now: Now,
    within_minutes: Annotated[int, Query(ge=1, le=1440)] = 5,
) -> list[OutletOnlineOut]:
    """Every outlet, online when one of its terminals reported within ``within_minutes``,
    with when each was last seen."""
    rows = await terminals.online(uow, now=now, within=timedelta(minutes=within_minutes))
    return [OutletOnlineOut.model_validate(r) for r in rows]
