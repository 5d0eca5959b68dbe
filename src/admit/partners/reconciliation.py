"""Daily reconciliation with each cinema (C5, A2, A3): the platform's confirmed orders of a
UTC day against the cinema's report for it. The report is fetched outside any transaction;
the comparison is stored as a run with one exception per difference, which an operator
resolves with a note. Running a day again keeps resolved exceptions, adds new ones and marks
those no longer found as cleared. The worker reconciles yesterday for every cinema."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import UTC, date, datetime, time, timedelta
from typing import Any

from sqlalchemy import select

from admit.core import audit, outbox
from admit.core.audit_context import SYSTEM
from admit.core.errors import Conflict, InvalidInput, NotFound
from admit.core.runtime import Runtime
from admit.core.uow import UnitOfWork
from admit.core.worker import sweeper
from admit.partners.box_office import BoxOffices
from admit.partners.models import PartnerCinema, PartnerLock, ReconException, ReconRun
from admit.partners.recon_rules import Comparison, Record, compare

JOB = "partners.reconcile"


class AlreadyResolved(Conflict):
    code = "already_resolved"


@dataclass(frozen=True, slots=True)
class RunView:
    run: ReconRun
    exceptions: list[ReconException]


def day_bounds(day: date) -> tuple[datetime, datetime]:
    start = datetime.combine(day, time(0), tzinfo=UTC)
    return start, start + timedelta(days=1)


async def get_cinema(uow: UnitOfWork, cinema_id: int) -> PartnerCinema:
    cinema = await uow.session.get(PartnerCinema, cinema_id)
    if cinema is None:
        raise NotFound(f"partner cinema {cinema_id} does not exist")
    return cinema


async def platform_records(uow: UnitOfWork, cinema_id: int, day: date) -> list[Record]:
    """The platform's side: orders the cinema confirmed to it that day."""
    start, end = day_bounds(day)
    rows = await uow.session.scalars(
        select(PartnerLock).where(
            PartnerLock.cinema_id == cinema_id,
            PartnerLock.status == "confirmed",
            PartnerLock.confirmed_at >= start,
            PartnerLock.confirmed_at < end,
        )
    )
    return [
        Record(lk.order_number or "", "sale", lk.amount or 0, len(lk.seats), lk.order_code or "")
        for lk in rows.all()
    ]


async def reconcile(rt: Runtime, *, cinema_id: int, day: date) -> RunView:
    """Compare one cinema's day. Raises ``NotFound``, ``InvalidInput`` (a day not yet over)
    and the box office's errors (the cinema did not answer: nothing is stored)."""
    now = rt.clock.now()
    if day_bounds(day)[1] > now:
        raise InvalidInput("a day can be reconciled once it is over (UTC)")
    async with rt.uow(SYSTEM, readonly=True) as uow:
        cinema = await get_cinema(uow, cinema_id)
        system, code = cinema.system, cinema.code
    report = await rt.adapter(BoxOffices).get(system).daily_report(code, day)
    theirs = [Record(r.order_no, r.kind, r.amount, r.tickets, r.order_code) for r in report]
    async with rt.uow(SYSTEM) as uow:
        result = compare(await platform_records(uow, cinema_id, day), theirs)
        return await store(uow, cinema_id=cinema_id, day=day, result=result, now=now)


async def store(
    uow: UnitOfWork, *, cinema_id: int, day: date, result: Comparison, now: datetime
) -> RunView:
    run = await uow.session.scalar(
        select(ReconRun).where(ReconRun.cinema_id == cinema_id, ReconRun.day == day)
    )
    if run is None:
        run = ReconRun(cinema_id=cinema_id, day=day, ran_at=now)
        uow.session.add(run)
        await uow.session.flush()
    run.ran_at, run.status = now, "done"
    run.matched, run.platform_total = len(result.matched), result.platform_total
    run.partner_total = result.partner_total
    existing = {
        (e.order_no, e.kind): e
        for e in (
            await uow.session.scalars(
                select(ReconException).where(
                    ReconException.cinema_id == cinema_id, ReconException.day == day
                )
            )
        ).all()
    }
    found = set()
    for d in result.differences:
        found.add((d.order_no, d.kind))
        row = existing.get((d.order_no, d.kind))
        if row is None:
            row = ReconException(
                run_id=run.id,
                cinema_id=cinema_id,
                day=day,
                order_no=d.order_no,
                kind=d.kind,
                status="open",
                created_at=now,
            )
            uow.session.add(row)
            existing[(d.order_no, d.kind)] = row
        elif row.status == "cleared":
            row.status = "open"
        row.platform_amount, row.partner_amount = d.platform_amount, d.partner_amount
    for key, row in existing.items():
        if key not in found and row.status == "open":
            row.status = "cleared"
    run.open_exceptions = sum(1 for r in existing.values() if r.status == "open")
    await uow.session.flush()
    await audit.record(
        uow,
        action="partner.reconciled",
        entity_type="partner_cinema",
        entity_id=cinema_id,
        data={"day": day.isoformat(), "matched": run.matched, "open": run.open_exceptions},
        now=now,
    )
    return RunView(run, sorted(existing.values(), key=lambda e: (e.order_no, e.kind)))


async def get_run(uow: UnitOfWork, *, cinema_id: int, day: date) -> RunView:
    await get_cinema(uow, cinema_id)
    run = await uow.session.scalar(
        select(ReconRun).where(ReconRun.cinema_id == cinema_id, ReconRun.day == day)
    )
    if run is None:
        raise NotFound(f"cinema {cinema_id} has not been reconciled for {day}")
    rows = await uow.session.scalars(
        select(ReconException)
        .where(ReconException.cinema_id == cinema_id, ReconException.day == day)
        .order_by(ReconException.order_no, ReconException.kind)
    )
    return RunView(run, list(rows.all()))


async def list_exceptions(
    uow: UnitOfWork, *, status: str | None, limit: int = 200
) -> list[ReconException]:
    query = select(ReconException).order_by(ReconException.id.desc()).limit(limit)
    if status:
        query = query.where(ReconException.status == status)
    return list((await uow.session.scalars(query)).all())


async def resolve(
    uow: UnitOfWork, *, exception_id: int, note: str, who: str, now: datetime
) -> ReconException:
    """An operator closes an exception with what was done about it (A3)."""
    row = await uow.session.scalar(
        select(ReconException).where(ReconException.id == exception_id).with_for_update()
    )
    if row is None:
        raise NotFound(f"reconciliation exception {exception_id} does not exist")
    if row.status == "resolved":
        raise AlreadyResolved("this exception was resolved already")
    if not note.strip():
        raise InvalidInput("say how the difference was resolved")
    row.status, row.note, row.resolved_by, row.resolved_at = "resolved", note.strip(), who, now
    await uow.session.flush()
    await audit.record(
        uow,
        action="partner.exception_resolved",
        entity_type="partner_recon_exception",
        entity_id=row.id,
        data={"order": row.order_no, "kind": row.kind, "note": row.note},
        now=now,
    )
    return row


@outbox.handler(JOB)
async def _reconcile(ctx: outbox.JobContext, payload: dict[str, Any]) -> None:
    await reconcile(
        ctx.runtime, cinema_id=int(payload["cinema"]), day=date.fromisoformat(payload["day"])
    )


@sweeper("partners.reconcile_daily")
async def _daily(uow: UnitOfWork, now: datetime) -> int:
    """Queue yesterday's reconciliation of every cinema that has none (the run row is
    written as ``queued`` at once, so no other worker queues it again)."""
    day = now.date() - timedelta(days=1)
    done = set(
        (await uow.session.scalars(select(ReconRun.cinema_id).where(ReconRun.day == day))).all()
    )
    queued = 0
    for cinema_id in (await uow.session.scalars(select(PartnerCinema.id))).all():
        if cinema_id in done:
            continue
        uow.session.add(ReconRun(cinema_id=cinema_id, day=day, ran_at=now, status="queued"))
        await outbox.enqueue(
            uow, kind=JOB, payload={"cinema": cinema_id, "day": day.isoformat()}, now=now
        )
        queued += 1
    await uow.session.flush()
    return queued
