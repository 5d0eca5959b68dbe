"""The devices' own routes: a device signs in with its credential (``X-Device-Key``), learns
its venue, gate and sessions, downloads a session's manifest (whole, or the changes since
its version) and uploads its scans in batches."""

from __future__ import annotations

from collections.abc import AsyncIterator
from typing import Annotated, Any

from fastapi import APIRouter, Depends
from fastapi.security import APIKeyHeader

from admit.checkin import devices, manifests, scans
from admit.checkin.errors import DeviceRefused
from admit.checkin.models import Device
from admit.checkin.schemas import DeviceMeOut, DeviceSessionOut, ScansIn, UploadOut
from admit.core.audit_context import Actor
from admit.core.uow import UnitOfWork
from admit.http.deps import Now, RuntimeDep

router = APIRouter(prefix="/gate", tags=["gate devices"])
_device_key = APIKeyHeader(
    name="X-Device-Key",
    auto_error=False,
    scheme_name="GateDeviceKey",
    description="A gate device's credential: `<key_id>.<secret>`",
)


async def _device_uow(
    rt: RuntimeDep,
    x_device_key: Annotated[str | None, Depends(_device_key)],
) -> AsyncIterator[tuple[UnitOfWork, Device]]:
    if not x_device_key:
        raise DeviceRefused("an X-Device-Key header is required")
    async with rt.uow(Actor(kind="device", id="?")) as uow:
        device = await devices.authenticate(uow, credential=x_device_key)
        uow.actor = Actor(kind="device", id=str(device.id), name=device.number)
        await devices.seen(uow, device, now=rt.clock.now())
        yield uow, device


DeviceUoW = Annotated[tuple[UnitOfWork, Device], Depends(_device_uow, scope="function")]


@router.get("/device")
async def whoami(ctx: DeviceUoW, now: Now) -> DeviceMeOut:
    """This device, its gate, and the sessions at its venue that have not ended."""
    uow, device = ctx
    return DeviceMeOut(
        number=device.number,
        device_type=device.device_type,
        venue_id=device.venue_id,
        gate=await devices.gate_code(uow, device),
        sessions=[
            DeviceSessionOut(
                id=s.id, code=s.code, name=s.name, starts_at=s.starts_at, ends_at=s.ends_at
            )
            for s in await devices.venue_sessions(uow, device, now=now)
        ],
    )


@router.get("/sessions/{session_id}/manifest")
async def manifest(
    session_id: int, ctx: DeviceUoW, rt: RuntimeDep, now: Now, since: int | None = None
) -> dict[str, Any]:
    """The session's manifest; with ``since`` only what changed after that version."""
    uow, device = ctx
    await devices.session_at_venue(uow, device, session_id)
    return await manifests.document(uow, rt.crypto, session_id=session_id, since=since, now=now)


@router.post("/sessions/{session_id}/scans")
async def upload_scans(session_id: int, body: ScansIn, ctx: DeviceUoW, now: Now) -> UploadOut:
    """Upload a batch of scans: a scan id already stored is skipped, so a batch sent twice
    changes nothing. The answer lists this batch's admissions that did not stand."""
    uow, device = ctx
    await devices.session_at_venue(uow, device, session_id)
    done = await scans.record_scans(
        uow,
        session_id=session_id,
        device_id=device.id,
        scans=[scans.ScanInput(**s.model_dump()) for s in body.scans],
        now=now,
    )
    return UploadOut(
        received=done.received, new=done.new, duplicates=done.duplicates, conflicts=done.conflicts
    )
