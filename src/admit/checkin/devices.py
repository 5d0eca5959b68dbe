"""Scanning devices (V2): registered by staff at a venue, each issued its own credential
(shown once, kept as SHA-256), assigned to a gate, disabled when lost; devices report in
every time they fetch a manifest or upload scans (``last_seen_at``)."""

from __future__ import annotations

import hashlib
import secrets
from dataclasses import dataclass
from datetime import datetime
from typing import Any, Literal, get_args

from sqlalchemy import select

from admit.catalog.models import Session, Venue
from admit.checkin.errors import DeviceRefused, OtherVenue
from admit.checkin.gates import gate_by_code
from admit.checkin.models import Device, Gate
from admit.core import audit
from admit.core.errors import AlreadyExists, InvalidInput
from admit.core.lookups import get_or_404
from admit.core.uow import UnitOfWork

DeviceType = Literal["handheld", "turnstile", "kiosk"]
DEVICE_TYPES: tuple[DeviceType, ...] = get_args(DeviceType)


@dataclass(frozen=True, slots=True)
class DeviceInput:
    number: str
    device_type: str
    venue_id: int
    description: str = ""
    ip: str | None = None
    port: int | None = None
    communication_id: str | None = None
    location: str = ""
    gate: str | None = None


@dataclass(frozen=True, slots=True)
class Registered:
    device: Device
    credential: str  # "<key_id>.<secret>", shown once


def _digest(secret: str) -> str:
    return hashlib.sha256(secret.encode()).hexdigest()


async def register_device(uow: UnitOfWork, *, device: DeviceInput, now: datetime) -> Registered:
    """A new device and its credential. ``already_exists`` for a number in use."""
    await get_or_404(uow, Venue, device.venue_id, "venue")
    if device.device_type not in DEVICE_TYPES:
        raise InvalidInput(f"a device is one of {', '.join(DEVICE_TYPES)}")
    if await uow.session.scalar(select(Device.id).where(Device.number == device.number)):
        raise AlreadyExists(f"a device numbered {device.number!r} exists")
    gate = await gate_by_code(uow, device.venue_id, device.gate) if device.gate else None
    key_id, secret = f"dv_{secrets.token_hex(8)}", secrets.token_urlsafe(32)
    row = Device(
        number=device.number,
        device_type=device.device_type,
        description=device.description,
        ip=device.ip,
        port=device.port,
        communication_id=device.communication_id,
        venue_id=device.venue_id,
        location=device.location,
        gate_id=gate.id if gate else None,
        key_id=key_id,
        secret_hash=_digest(secret),
        registered_at=now,
    )
    uow.session.add(row)
    await uow.session.flush()
    await audit.record(
        uow,
        action="gate_device.registered",
        entity_type="gate_device",
        entity_id=row.id,
        data={
            "number": device.number,
            "type": device.device_type,
            "venue_id": device.venue_id,
            "gate": device.gate,
            "key_id": key_id,
        },
        now=now,
    )
    return Registered(row, f"{key_id}.{secret}")


async def update_device(
    uow: UnitOfWork, device_id: int, *, changes: dict[str, Any], now: datetime
) -> Device:
    """Change a device's details, move it to another gate (``gate``: a code or None), or
    disable it (``active=False``: its credential stops working at once)."""
    device = await get_or_404(uow, Device, device_id, "device")
    if "gate" in changes:
        code = changes.pop("gate")
        changes["gate_id"] = (await gate_by_code(uow, device.venue_id, code)).id if code else None
    await audit.record_update(
        uow,
        device,
        changes,
        action="gate_device.updated",
        entity_type="gate_device",
        entity_id=device_id,
        now=now,
    )
    return device


async def list_devices(uow: UnitOfWork, *, venue_id: int | None = None) -> list[Device]:
    query = select(Device).order_by(Device.number)
    if venue_id is not None:
        query = query.where(Device.venue_id == venue_id)
    return list((await uow.session.scalars(query)).all())


async def gate_code(uow: UnitOfWork, device: Device) -> str | None:
    if device.gate_id is None:
        return None
    return await uow.session.scalar(select(Gate.code).where(Gate.id == device.gate_id))


async def authenticate(uow: UnitOfWork, *, credential: str) -> Device:
    """The active device behind ``<key_id>.<secret>``; ``device_refused`` otherwise."""
    key_id, _, secret = credential.partition(".")
    device = await uow.session.scalar(select(Device).where(Device.key_id == key_id))
    if (
        device is None
        or not secret
        or not secrets.compare_digest(device.secret_hash, _digest(secret))
    ):
        raise DeviceRefused("unknown device credential")
    if not device.active:
        raise DeviceRefused(f"device {device.number} is disabled")
    return device


async def seen(uow: UnitOfWork, device: Device, *, now: datetime) -> None:
    """The device reported in (for 'devices online')."""
    device.last_seen_at = now
    await uow.session.flush()


async def session_at_venue(uow: UnitOfWork, device: Device, session_id: int) -> Session:
    """The session, if it is at the device's venue (``other_venue`` otherwise)."""
    session = await get_or_404(uow, Session, session_id, "session")
    if session.venue_id != device.venue_id:
        raise OtherVenue(f"device {device.number} is not at session {session_id}'s venue")
    return session


async def venue_sessions(uow: UnitOfWork, device: Device, *, now: datetime) -> list[Session]:
    """The venue's sessions that have not ended, soonest first (what a device may open)."""
    rows = await uow.session.scalars(
        select(Session)
        .where(Session.venue_id == device.venue_id, Session.ends_at >= now)
        .order_by(Session.starts_at, Session.id)
        .limit(50)
    )
    return list(rows.all())
