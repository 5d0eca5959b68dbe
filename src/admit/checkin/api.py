"""HTTP routes of the gate (mounted under /api/v1): administration of gates, devices and
validation policies (``gate.manage``), attendance (``gate.validate``), conflicts and scan
files (``gate.manage``); the devices' own routes are in ``device_api``. Grants scoped to a
venue cover that venue's gates, devices and sessions."""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, Request, Response

from admit.catalog.api import SESSION_VENUE
from admit.catalog.models import Session
from admit.checkin import attendance, devices, gates, scan_files, scans
from admit.checkin.device_api import router as device_router
from admit.checkin.models import Device, Gate, ValidationPolicy
from admit.checkin.schemas import (
    DeviceIn,
    DeviceOut,
    DevicePatch,
    GateIn,
    GateOut,
    GatePatch,
    PolicyIn,
    PolicyOut,
    RegisteredOut,
    RuleIn,
    UploadOut,
)
from admit.core.lookups import get_or_404
from admit.core.permissions import Permission, ScopeKind
from admit.core.uow import UnitOfWork
from admit.http.deps import (
    Now,
    Place,
    PrincipalDep,
    by_path,
    narrowed,
    path_int,
    reach,
    require_scope,
    staff_reader,
    staff_writer,
)
from admit.http.media import NdjsonResponse

router = APIRouter()
admin = APIRouter(prefix="/admin", tags=["gate administration"])


async def _gate_venue(uow: UnitOfWork, value: str) -> list[Place]:
    gate = await get_or_404(uow, Gate, path_int(value, "gate"), "gate")
    return [(ScopeKind.VENUE, gate.venue_id)]


async def _device_venue(uow: UnitOfWork, value: str) -> list[Place]:
    device = await get_or_404(uow, Device, path_int(value, "device"), "device")
    return [(ScopeKind.VENUE, device.venue_id)]


VENUE = by_path("venue_id", ScopeKind.VENUE)
GATE = by_path("gate_id", ScopeKind.VENUE, locate=_gate_venue)
DEVICE = by_path("device_id", ScopeKind.VENUE, locate=_device_venue)
BODY = narrowed(ScopeKind.VENUE)  # the body or the query names the venue
VenueManager = Annotated[UnitOfWork, staff_writer(Permission.GATE_ADMIN, scope=VENUE)]
GateManager = Annotated[UnitOfWork, staff_writer(Permission.GATE_ADMIN, scope=GATE)]
DeviceManager = Annotated[UnitOfWork, staff_writer(Permission.GATE_ADMIN, scope=DEVICE)]
Registrar = Annotated[UnitOfWork, staff_writer(Permission.GATE_ADMIN, scope=BODY)]
SessionManager = Annotated[UnitOfWork, staff_writer(Permission.GATE_ADMIN, scope=SESSION_VENUE)]
SessionManagerReader = Annotated[
    UnitOfWork, staff_reader(Permission.GATE_ADMIN, scope=SESSION_VENUE)
]
VenueValidator = Annotated[UnitOfWork, staff_reader(Permission.GATE, scope=VENUE)]
DeviceLister = Annotated[UnitOfWork, staff_reader(Permission.GATE, scope=BODY)]
SessionValidator = Annotated[UnitOfWork, staff_reader(Permission.GATE, scope=SESSION_VENUE)]


async def _session_venue(uow: UnitOfWork, session_id: int) -> int:
    return (await get_or_404(uow, Session, session_id, "session")).venue_id


def _gate_out(g: Gate) -> GateOut:
    return GateOut(
        id=g.id,
        venue_id=g.venue_id,
        code=g.code,
        name=g.name,
        kind=g.kind,
        parent_id=g.parent_id,
        active=g.active,
    )


async def _device_out(uow: UnitOfWork, d: Device) -> DeviceOut:
    return DeviceOut(
        id=d.id,
        number=d.number,
        device_type=d.device_type,
        description=d.description,
        ip=d.ip,
        port=d.port,
        communication_id=d.communication_id,
        venue_id=d.venue_id,
        location=d.location,
        gate=await devices.gate_code(uow, d),
        key_id=d.key_id,
        active=d.active,
        registered_at=d.registered_at,
        last_seen_at=d.last_seen_at,
    )


@admin.post("/venues/{venue_id}/gates", status_code=201)
async def create_gate(venue_id: int, body: GateIn, uow: VenueManager, now: Now) -> GateOut:
    gate = gates.GateInput(code=body.code, name=body.name, kind=body.kind, parent=body.parent)
    return _gate_out(await gates.create_gate(uow, venue_id=venue_id, gate=gate, now=now))


@admin.get("/venues/{venue_id}/gates")
async def list_gates(venue_id: int, uow: VenueValidator) -> list[GateOut]:
    return [_gate_out(g) for g in await gates.venue_gates(uow, venue_id)]


@admin.patch("/gates/{gate_id}")
async def update_gate(gate_id: int, body: GatePatch, uow: GateManager, now: Now) -> GateOut:
    changes = body.model_dump(exclude_none=True)
    return _gate_out(await gates.update_gate(uow, gate_id, changes=changes, now=now))


@admin.post("/gate-devices", status_code=201)
async def register_device(
    body: DeviceIn, uow: Registrar, who: PrincipalDep, now: Now
) -> RegisteredOut:
    """Register a device; the answer carries its credential, shown this once."""
    require_scope(who, Permission.GATE_ADMIN, ScopeKind.VENUE, body.venue_id)
    done = await devices.register_device(
        uow, device=devices.DeviceInput(**body.model_dump()), now=now
    )
    return RegisteredOut(device=await _device_out(uow, done.device), credential=done.credential)


@admin.get("/gate-devices")
async def list_devices(
    uow: DeviceLister, who: PrincipalDep, venue_id: int | None = None
) -> list[DeviceOut]:
    """Devices (of one venue); a grant scoped to venues lists theirs only."""
    if venue_id is not None:
        require_scope(who, Permission.GATE, ScopeKind.VENUE, venue_id)
    found = await devices.list_devices(uow, venue_id=venue_id)
    mine = reach(who, Permission.GATE, ScopeKind.VENUE)
    visible = [d for d in found if mine is None or str(d.venue_id) in mine]
    return [await _device_out(uow, d) for d in visible]


@admin.patch("/gate-devices/{device_id}")
async def update_device(
    device_id: int, body: DevicePatch, uow: DeviceManager, now: Now
) -> DeviceOut:
    """Change a device, move it to a gate, or disable it (``active: false``)."""
    changes = body.model_dump(exclude_unset=True)  # null unassigns the gate, clears the IP…
    for required in ("description", "location", "active"):
        if required in changes and changes[required] is None:
            del changes[required]
    device = await devices.update_device(uow, device_id, changes=changes, now=now)
    return await _device_out(uow, device)


def _policy_out(policy: ValidationPolicy, session: Session) -> PolicyOut:
    opens, closes = gates.admission_window(policy, session)
    return PolicyOut(
        session_id=policy.session_id,
        identity_check=policy.identity_check,
        reentry=policy.reentry,
        admit_from=opens,
        admit_until=closes,
        rules=[RuleIn(**r) for r in policy.rules],
    )


@admin.put("/sessions/{session_id}/validation-policy")
async def set_policy(session_id: int, body: PolicyIn, uow: SessionManager, now: Now) -> PolicyOut:
    """Replace the session's policy; devices take it with their next manifest update."""
    policy = gates.PolicyInput(
        identity_check=body.identity_check,
        reentry=body.reentry,
        admit_from=body.admit_from,
        admit_until=body.admit_until,
        rules=[gates.RuleInput(**r.model_dump()) for r in body.rules],
    )
    row = await gates.set_policy(uow, session_id, policy=policy, now=now)
    return _policy_out(row, await get_or_404(uow, Session, session_id, "session"))


@admin.get("/sessions/{session_id}/validation-policy")
async def get_policy(session_id: int, uow: SessionValidator) -> PolicyOut:
    policy = await gates.get_policy(uow, session_id)
    return _policy_out(policy, await get_or_404(uow, Session, session_id, "session"))


@admin.get("/sessions/{session_id}/attendance")
async def session_attendance(session_id: int, uow: SessionValidator, now: Now) -> dict[str, object]:
    """Tickets, admitted, inside now and the rate, by gate and section; devices online."""
    return await attendance.attendance(uow, session_id=session_id, now=now)


@admin.get("/sessions/{session_id}/scan-conflicts")
async def scan_conflicts(session_id: int, uow: SessionManagerReader) -> list[dict[str, object]]:
    """Admissions that did not stand (another device admitted the ticket first)."""
    return await scans.conflicts(uow, session_id=session_id)


@admin.get("/sessions/{session_id}/tickets/{code}/scans")
async def ticket_scans(session_id: int, code: str, uow: SessionValidator) -> dict[str, object]:
    """One ticket at the gate: not entered, inside or exited, and every scan of it."""
    return await scans.ticket_history(uow, session_id=session_id, code=code)


@admin.get("/sessions/{session_id}/scans.jsonl", response_class=NdjsonResponse)
async def export_scans(session_id: int, uow: SessionManagerReader) -> Response:
    """Every scan of the session as a file of JSON lines."""
    lines = await scan_files.export_lines(uow, session_id=session_id)
    return Response(
        "".join(line + "\n" for line in lines),
        media_type="application/x-ndjson",
        headers={"Content-Disposition": f'attachment; filename="scans-{session_id}.jsonl"'},
    )


@admin.post("/sessions/{session_id}/scans/import")
async def import_scans(
    session_id: int, request: Request, uow: SessionManager, now: Now
) -> UploadOut:
    """Import a scans file (JSON lines, each naming its device) from a device that could
    not reach the server; idempotent by scan id, all or nothing."""
    venue_id = await _session_venue(uow, session_id)
    text = (await request.body()).decode("utf-8", errors="replace")
    done = await scan_files.import_lines(
        uow, session_id=session_id, venue_id=venue_id, text=text, now=now
    )
    return UploadOut(
        received=done.received, new=done.new, duplicates=done.duplicates, conflicts=done.conflicts
    )


router.include_router(admin)
router.include_router(device_router)
