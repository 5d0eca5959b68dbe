"""Scans as files (V3): when a device cannot reach the server its scans travel as JSON lines
naming the device; the administrator imports them (idempotent by scan id, all or nothing),
and the server exports a session's scans in the same shape."""

from __future__ import annotations

import json
from datetime import UTC, datetime

from sqlalchemy import select

from admit.checkin.errors import BadScans
from admit.checkin.models import Device, Scan
from admit.checkin.scans import MAX_BATCH, ScanInput, Uploaded, conflicts_among, record_scans
from admit.core.uow import UnitOfWork


async def export_lines(uow: UnitOfWork, *, session_id: int) -> list[str]:
    """Every scan of the session as JSON lines (the same shape ``import_lines`` takes)."""
    rows = await uow.session.execute(
        select(Scan, Device.number)
        .join(Device, Device.id == Scan.device_id)
        .where(Scan.session_id == session_id)
        .order_by(Scan.device_time, Scan.scan_id)
    )
    return [
        json.dumps(
            {
                "device": number,
                "scan_id": s.scan_id,
                "code": s.code,
                "gate": s.gate_code,
                "direction": s.direction,
                "result": s.result,
                "detail": s.detail,
                "device_time": s.device_time.isoformat(),
                "standing": s.standing,
                "conflict": s.conflict,
            },
            sort_keys=True,
        )
        for s, number in rows.all()
    ]


def parse_lines(text: str) -> list[tuple[str, ScanInput]]:
    """(device number, scan) per JSON line; ``invalid_scans`` naming every bad line."""
    parsed: list[tuple[str, ScanInput]] = []
    problems: list[str] = []
    for number, line in enumerate(text.splitlines(), start=1):
        if not line.strip():
            continue
        try:
            item = json.loads(line)
            when = datetime.fromisoformat(item["device_time"])
            parsed.append(
                (
                    str(item["device"]),
                    ScanInput(
                        scan_id=str(item["scan_id"])[:36],
                        code=item.get("code"),
                        gate=str(item["gate"])[:20],
                        direction=str(item["direction"]),
                        result=str(item["result"]),
                        detail=item.get("detail"),
                        device_time=when if when.tzinfo else when.replace(tzinfo=UTC),
                    ),
                )
            )
        except (ValueError, KeyError, TypeError) as exc:
            problems.append(f"line {number}: {exc.__class__.__name__}: {exc}"[:200])
    if problems:
        raise BadScans(
            "the file has lines that cannot be read", details={"problems": problems[:50]}
        )
    return parsed


async def import_lines(
    uow: UnitOfWork, *, session_id: int, venue_id: int, text: str, now: datetime
) -> Uploaded:
    """Import a scans file (a device's export, or the server's): every device it names must
    be registered at the session's venue; all or nothing."""
    parsed = parse_lines(text)
    numbers = sorted({n for n, _ in parsed})
    devices = {
        d.number: d.id
        for d in (
            await uow.session.scalars(
                select(Device).where(Device.number.in_(numbers), Device.venue_id == venue_id)
            )
        ).all()
    }
    unknown = [n for n in numbers if n not in devices]
    if unknown:
        raise BadScans(
            "the file names devices not registered at this venue", details={"devices": unknown}
        )
    received, stored = 0, set[str]()
    for number in numbers:
        batch = [s for n, s in parsed if n == number]
        for start in range(0, len(batch), MAX_BATCH):
            done = await record_scans(
                uow,
                session_id=session_id,
                device_id=devices[number],
                scans=batch[start : start + MAX_BATCH],
                now=now,
                source="file",
            )
            received, stored = received + done.received, stored | done.stored
    return Uploaded(
        received=received,
        new=len(stored),
        duplicates=received - len(stored),
        conflicts=await conflicts_among(uow, stored),
        stored=frozenset(stored),
    )
