"""Attendance of a session (OPS1, OPS3 preview): tickets, admitted, inside now and the rate,
per gate and per section, with the venue's devices and when each last reported in."""

from __future__ import annotations

from collections import Counter
from datetime import datetime, timedelta
from typing import Any

from sqlalchemy import func, select

from admit.catalog.models import Session
from admit.checkin import manifests
from admit.checkin.devices import list_devices
from admit.checkin.models import Admission, Gate, Scan
from admit.core.lookups import get_or_404
from admit.core.uow import UnitOfWork

ONLINE_WITHIN = timedelta(minutes=5)  # a device that reported in this recently is online


def _rate(admitted: int, tickets: int) -> float:
    return round(admitted / tickets, 4) if tickets else 0.0


async def attendance(uow: UnitOfWork, *, session_id: int, now: datetime) -> dict[str, Any]:
    """The figures as the scans uploaded so far have them (a device still offline is not
    counted until it syncs)."""
    session = await get_or_404(uow, Session, session_id, "session")
    listed = await manifests.session_tickets(uow, None, session)
    section_of = {t.code: t.section or "-" for t in listed}
    tickets = Counter(t.section or "-" for t in listed if t.revoked is None)
    states = (
        await uow.session.execute(
            select(Admission.code, Admission.gate_code, Admission.inside).where(
                Admission.session_id == session_id, Admission.entries > 0
            )
        )
    ).all()
    admitted_by = Counter(section_of.get(code, "-") for code, _, _ in states)
    inside_by = Counter(section_of.get(code, "-") for code, _, inside in states if inside)
    gate_admitted = Counter(gate or "-" for _, gate, _ in states)
    gate_inside = Counter(gate or "-" for _, gate, inside in states if inside)
    total, admitted = sum(tickets.values()), len(states)
    conflicts = await uow.session.scalar(
        select(func.count()).where(Scan.session_id == session_id, Scan.conflict.is_(True))
    )
    return {
        "session_id": session_id,
        "tickets": total,
        "admitted": admitted,
        "inside": sum(inside_by.values()),
        "rate": _rate(admitted, total),
        "conflicts": int(conflicts or 0),
        "by_gate": [
            {"gate": g, "admitted": gate_admitted[g], "inside": gate_inside[g]}
            for g in sorted(gate_admitted)
        ],
        "by_section": [
            {
                "section": s,
                "tickets": tickets[s],
                "admitted": admitted_by[s],
                "inside": inside_by[s],
                "rate": _rate(admitted_by[s], tickets[s]),
            }
            for s in sorted(set(tickets) | set(admitted_by))
        ],
        "devices": await _devices(uow, session.venue_id, now),
    }


async def _devices(uow: UnitOfWork, venue_id: int, now: datetime) -> list[dict[str, Any]]:
    rows = await uow.session.execute(select(Gate.id, Gate.code).where(Gate.venue_id == venue_id))
    gates: dict[int, str] = dict(rows.all())
    return [
        {
            "number": d.number,
            "type": d.device_type,
            "gate": gates.get(d.gate_id) if d.gate_id else None,
            "active": d.active,
            "last_seen_at": d.last_seen_at.isoformat() if d.last_seen_at else None,
            "online": bool(d.active and d.last_seen_at and now - d.last_seen_at <= ONLINE_WITHIN),
        }
        for d in await list_devices(uow, venue_id=venue_id)
    ]
