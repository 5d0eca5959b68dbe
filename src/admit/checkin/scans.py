"""Scans devices upload (V3, V4): batches idempotent by scan id; after each batch the tickets it
touched are replayed in device-time order (``replay``), so the first admission stands and the
others are conflicts whatever order devices come back online in. Scans also travel as files
(JSON lines) for when a device cannot reach the server."""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from sqlalchemy import select, update
from sqlalchemy.dialects.postgresql import insert as pg_insert
from sqlalchemy.dialects.sqlite import insert as sqlite_insert

from admit.checkin import replay, validation
from admit.checkin.errors import BadScans
from admit.checkin.gates import get_policy
from admit.checkin.models import Admission, Device, Scan
from admit.core.uow import UnitOfWork

MAX_BATCH = 5000
_CHUNK = 400  # codes (or scan ids) per IN (...) list
_MOVES = (validation.ADMITTED, validation.EXITED)


@dataclass(frozen=True, slots=True)
class ScanInput:
    """One scan as a device made it."""

    scan_id: str
    gate: str
    direction: str
    result: str
    device_time: datetime
    code: str | None = None
    detail: str | None = None


@dataclass(frozen=True, slots=True)
class Uploaded:
    received: int
    new: int
    duplicates: int
    conflicts: list[str]  # scan ids of this batch's admissions that did not stand
    stored: frozenset[str] = frozenset()


def _problems(scans: Sequence[ScanInput]) -> list[str]:
    problems = []
    for i, s in enumerate(scans):
        if s.result not in validation.RESULTS:
            problems.append(f"scan {i}: unknown result {s.result!r}")
        elif s.direction not in ("in", "out"):
            problems.append(f"scan {i}: direction must be in or out")
        elif s.result in _MOVES and (
            not s.code or (s.result == "exited") != (s.direction == "out")
        ):
            problems.append(f"scan {i}: {s.result} needs a ticket code and direction to match")
        elif s.device_time.tzinfo is None:
            problems.append(f"scan {i}: device_time needs a timezone")
    return problems


def _chunks(items: Sequence[str]) -> Iterable[list[str]]:
    for start in range(0, len(items), _CHUNK):
        yield list(items[start : start + _CHUNK])


async def record_scans(
    uow: UnitOfWork,
    *,
    session_id: int,
    device_id: int,
    scans: Sequence[ScanInput],
    now: datetime,
    source: str = "device",
) -> Uploaded:
    """Store the scans not seen before and replay the tickets they moved. All or nothing:
    ``invalid_scans`` (nothing stored) when any scan is malformed. A repeated batch stores
    nothing and changes nothing."""
    if len(scans) > MAX_BATCH:
        raise BadScans(f"at most {MAX_BATCH} scans per batch")
    problems = _problems(scans)
    if problems:
        raise BadScans("some scans cannot be taken", details={"problems": problems[:50]})
    unique = list({s.scan_id: s for s in scans}.values())
    seen: set[str] = set()
    for chunk in _chunks([s.scan_id for s in unique]):
        seen.update(
            (await uow.session.scalars(select(Scan.scan_id).where(Scan.scan_id.in_(chunk)))).all()
        )
    fresh = [s for s in unique if s.scan_id not in seen]
    inserted = await _insert(
        uow, fresh, session_id=session_id, device_id=device_id, now=now, source=source
    )
    moved = sorted(
        {s.code for s in fresh if s.scan_id in inserted and s.result in _MOVES and s.code}
    )
    await reconcile(uow, session_id=session_id, codes=moved, now=now)
    return Uploaded(
        received=len(scans),
        new=len(inserted),
        duplicates=len(scans) - len(inserted),
        conflicts=await conflicts_among(uow, inserted),
        stored=frozenset(inserted),
    )


async def conflicts_among(uow: UnitOfWork, scan_ids: set[str]) -> list[str]:
    found: list[str] = []
    for chunk in _chunks(sorted(scan_ids)):
        found += (
            await uow.session.scalars(
                select(Scan.scan_id).where(Scan.scan_id.in_(chunk), Scan.conflict.is_(True))
            )
        ).all()
    return sorted(found)


async def _insert(
    uow: UnitOfWork,
    scans: Sequence[ScanInput],
    *,
    session_id: int,
    device_id: int,
    now: datetime,
    source: str,
) -> set[str]:
    """Insert, skipping scan ids another upload stored meanwhile; the ids stored."""
    if not scans:
        return set()
    insert = pg_insert if uow.dialect == "postgresql" else sqlite_insert
    rows = [
        {
            "scan_id": s.scan_id,
            "session_id": session_id,
            "device_id": device_id,
            "gate_code": s.gate,
            "code": s.code,
            "direction": s.direction,
            "result": s.result,
            "detail": s.detail,
            "device_time": s.device_time,
            "received_at": now,
            "source": source,
            "standing": False,
            "conflict": False,
        }
        for s in scans
    ]
    stored = await uow.session.scalars(
        insert(Scan).on_conflict_do_nothing(index_elements=[Scan.scan_id]).returning(Scan.scan_id),
        rows,
    )
    return set(stored.all())


async def reconcile(
    uow: UnitOfWork, *, session_id: int, codes: Sequence[str], now: datetime
) -> None:
    """Replay each ticket's admissions and exits and store the outcome. The ticket rows are
    locked in code order first, so two uploads touching one ticket replay it in turn."""
    if not codes:
        return
    reentry = (await get_policy(uow, session_id)).reentry
    for chunk in _chunks(sorted(codes)):
        states = await _locked_states(uow, session_id, chunk, now)
        events: dict[str, list[replay.Event]] = defaultdict(list)
        rows = await uow.session.execute(
            select(Scan.code, Scan.scan_id, Scan.direction, Scan.device_time, Scan.gate_code).where(
                Scan.session_id == session_id, Scan.code.in_(chunk), Scan.result.in_(_MOVES)
            )
        )
        for code, scan_id, direction, device_time, gate in rows.all():
            events[code or ""].append(replay.Event(scan_id, direction, device_time, gate))
        marks: dict[tuple[bool, bool], list[str]] = defaultdict(list)
        for code in chunk:
            outcome = replay.replay(events[code], reentry=reentry)
            for event in events[code]:
                mark = (event.scan_id in outcome.standing, event.scan_id in outcome.conflicts)
                marks[mark].append(event.scan_id)
            state = states[code]
            state.inside, state.entries = outcome.inside, outcome.entries
            state.gate_code, state.first_in_at = outcome.first_gate, outcome.first_in_at
            state.updated_at = now
        for (standing, conflict), ids in marks.items():
            for part in _chunks(ids):
                await uow.session.execute(
                    update(Scan)
                    .where(Scan.scan_id.in_(part))
                    .values(standing=standing, conflict=conflict),
                    execution_options={"synchronize_session": False},
                )
    await uow.session.flush()


async def _locked_states(
    uow: UnitOfWork, session_id: int, codes: list[str], now: datetime
) -> dict[str, Admission]:
    """The tickets' admission rows (made when missing), locked in code order."""
    insert = pg_insert if uow.dialect == "postgresql" else sqlite_insert
    await uow.session.execute(
        insert(Admission).on_conflict_do_nothing(),
        [
            {"session_id": session_id, "code": c, "inside": False, "entries": 0, "updated_at": now}
            for c in codes
        ],
    )
    rows = await uow.session.scalars(
        select(Admission)
        .where(Admission.session_id == session_id, Admission.code.in_(codes))
        .order_by(Admission.code)
        .with_for_update()
        .execution_options(populate_existing=True)
    )
    return {a.code: a for a in rows.all()}


async def conflicts(uow: UnitOfWork, *, session_id: int) -> list[dict[str, Any]]:
    """Admissions that did not stand, each beside the admission that did (for the
    validation administrator: which devices let the same ticket in, where and when)."""
    rows = (
        await uow.session.execute(
            select(Scan, Device.number)
            .join(Device, Device.id == Scan.device_id)
            .where(Scan.session_id == session_id, Scan.code.is_not(None))
            .where(Scan.conflict.is_(True) | (Scan.standing.is_(True) & (Scan.direction == "in")))
            .order_by(Scan.code, Scan.device_time, Scan.scan_id)
        )
    ).all()
    by_code: dict[str, list[tuple[Scan, str]]] = defaultdict(list)
    for scan, number in rows:
        by_code[scan.code or ""].append((scan, number))
    out = []
    for code, found in by_code.items():
        for scan, number in found:
            if not scan.conflict:
                continue
            before = [(s, n) for s, n in found if s.standing and s.device_time <= scan.device_time]
            first = before[-1] if before else None
            out.append(
                {
                    "code": code,
                    "scan": _view(scan, number),
                    "standing": _view(*first) if first else None,
                }
            )
    return out


def _view(scan: Scan, device: str) -> dict[str, Any]:
    return {
        "scan_id": scan.scan_id,
        "device": device,
        "gate": scan.gate_code,
        "device_time": scan.device_time.isoformat(),
        "received_at": scan.received_at.isoformat(),
    }


async def ticket_history(uow: UnitOfWork, *, session_id: int, code: str) -> dict[str, Any]:
    """One ticket at the gate (G18, INV9 usage status): entered or not, inside or out, where
    and when first admitted, and every scan of it in device-time order."""
    state = await uow.session.get(Admission, (session_id, code))
    rows = await uow.session.execute(
        select(Scan, Device.number)
        .join(Device, Device.id == Scan.device_id)
        .where(Scan.session_id == session_id, Scan.code == code)
        .order_by(Scan.device_time, Scan.scan_id)
    )
    used = state is not None and state.entries > 0
    return {
        "code": code,
        "status": ("inside" if state.inside else "exited") if state and used else "not_entered",
        "entries": state.entries if state else 0,
        "first_gate": state.gate_code if state else None,
        "first_in_at": state.first_in_at.isoformat() if state and state.first_in_at else None,
        "scans": [
            {
                **_view(scan, number),
                "direction": scan.direction,
                "result": scan.result,
                "standing": scan.standing,
                "conflict": scan.conflict,
            }
            for scan, number in rows.all()
        ],
    }
