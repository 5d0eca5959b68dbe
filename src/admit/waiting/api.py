"""The waiting room over HTTP: operators set it up per session; signed-in buyers join the
queue (once each, limited per address), ask where they stand, and show their admission
(``X-Admission-Token``) when holding seats."""

from __future__ import annotations

from datetime import datetime
from typing import Annotated

from fastapi import APIRouter, Query
from pydantic import BaseModel, ConfigDict, Field

from admit.catalog.api import SESSION_ORGANISER
from admit.core.audit_context import Actor
from admit.core.permissions import Permission
from admit.core.uow import UnitOfWork
from admit.http.deps import (
    ClientIP,
    CustomerId,
    CustomerUoW,
    Now,
    RuntimeDep,
    staff_reader,
    staff_writer,
)
from admit.http.throttle import DeviceHeader
from admit.waiting import room as waiting_room
from admit.waiting.join_limits_api import limit_joins
from admit.waiting.models import WaitingRoom

router = APIRouter(tags=["waiting room"])
Writer = Annotated[UnitOfWork, staff_writer(Permission.SALES_CONFIGURE, scope=SESSION_ORGANISER)]
Reader = Annotated[UnitOfWork, staff_reader(Permission.CATALOG_READ, scope=SESSION_ORGANISER)]


class Model(BaseModel):
    model_config = ConfigDict(extra="forbid")


class RoomIn(Model):
    opens_at: datetime = Field(description="when buyers start being let in (timezone-aware)")
    rate_per_minute: int = Field(ge=1, le=1_000_000, description="buyers let in per minute")
    admission_minutes: int = Field(default=20, ge=1, le=240)
    enabled: bool = True


class RoomOut(RoomIn):
    session_id: int
    drawn: bool
    queued: int


class QueueOut(Model):
    token: str = Field(description="send it back to learn where you stand")
    place: int | None = Field(description="0-based; null until the opening draw")
    ahead: int | None
    admitted: bool
    wait_seconds: int | None = Field(description="expected wait until admitted")
    admission_token: str | None = Field(description="show it as X-Admission-Token when holding")


async def _room_out(uow: UnitOfWork, room: WaitingRoom) -> RoomOut:
    return RoomOut(
        session_id=room.session_id,
        opens_at=room.opens_at,
        rate_per_minute=room.rate_per_minute,
        admission_minutes=room.admission_minutes,
        enabled=room.enabled,
        drawn=room.drawn_at is not None,
        queued=await waiting_room.queue_size(uow, room.session_id),
    )


def _queue_out(found: waiting_room.InQueue) -> QueueOut:
    where = found.standing
    return QueueOut(
        token=found.token,
        place=where.place,
        ahead=where.ahead,
        admitted=where.admitted,
        wait_seconds=where.wait_seconds,
        admission_token=found.admission,
    )


@router.put("/admin/sessions/{session_id}/waiting-room")
async def configure(session_id: int, body: RoomIn, uow: Writer, now: Now) -> RoomOut:
    """Put a session's sale behind a waiting room (or change or switch it off)."""
    room = await waiting_room.configure_room(
        uow,
        session_id=session_id,
        settings=waiting_room.RoomSettings(
            body.opens_at, body.rate_per_minute, body.admission_minutes, body.enabled
        ),
        now=now,
    )
    return await _room_out(uow, room)


@router.get("/admin/sessions/{session_id}/waiting-room")
async def show(session_id: int, uow: Reader) -> RoomOut:
    return await _room_out(uow, await waiting_room.get_room(uow, session_id))


@router.post("/sessions/{session_id}/queue", status_code=201)
async def join(
    session_id: int,
    cid: CustomerId,
    address: ClientIP,
    rt: RuntimeDep,
    now: Now,
    device: DeviceHeader = None,
) -> QueueOut:
    """Join the queue (signed in). Before the opening everyone's place is drawn at random when
    it opens. A customer has one entry per room: joining again answers the same entry. 409
    ``device_already_queued`` when another account joined from this ``X-Device-Id``; 429
    ``rate_limited`` (with ``Retry-After``) past the joins allowed from one address."""
    await limit_joins(rt, address=address)
    signer = waiting_room.signer(rt.crypto)
    async with rt.uow(Actor(kind="customer", id=str(cid))) as uow:
        joined = await waiting_room.join(
            uow,
            signer,
            session_id=session_id,
            customer_id=cid,
            device=waiting_room.device_key(rt.crypto, device),
            now=now,
        )
    return _queue_out(joined)


@router.get("/sessions/{session_id}/queue")
async def where_am_i(
    session_id: int,
    uow: CustomerUoW,
    cid: CustomerId,
    rt: RuntimeDep,
    now: Now,
    token: Annotated[str, Query(min_length=1, max_length=200)],
) -> QueueOut:
    """Where the signed-in customer's queue token stands; the admission once admitted (for
    this customer only)."""
    signer = waiting_room.signer(rt.crypto)
    found = await waiting_room.where_am_i(
        uow, signer, session_id=session_id, customer_id=cid, token=token, now=now
    )
    return _queue_out(found)
