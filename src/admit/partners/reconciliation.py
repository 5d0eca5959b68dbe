"""Daily reconciliation with each cinema (C5, A2, A3): the platform's confirmed orders of a
UTC day against the cinema's report for it. The report is fetched outside any transaction;
the comparison is stored by the finance slice's reconciliation (``finance.reconciliation``,
shared with the payment gateways' statements) as a run of the counterparty ``cinema:<id>``,
with one exception per difference. The worker reconciles yesterday for every cinema."""

from __future__ import annotations

from datetime import date, datetime, timedelta
from typing import Any

from sqlalchemy import select

from admit.core import outbox
from admit.core.audit_context import SYSTEM
from admit.core.errors import NotFound
from admit.core.runtime import Runtime
from admit.core.uow import UnitOfWork
from admit.core.worker import sweeper
from admit.finance import reconciliation as recon
from admit.finance.models import ReconException, ReconRun
from admit.finance.recon_rules import Record, compare
from admit.partners.box_office import BoxOffices
from admit.partners.models import PartnerCinema, PartnerLock

JOB = "partners.reconcile"
PREFIX = "cinema:"
day_bounds = recon.day_bounds
RunView = recon.RunView


def counterparty(cinema_id: int) -> str:
    return f"{PREFIX}{cinema_id}"


def cinema_of(row: ReconRun | ReconException) -> int:
    return int(row.counterparty.removeprefix(PREFIX))


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


async def reconcile(rt: Runtime, *, cinema_id: int, day: date) -> recon.RunView:
    """Compare one cinema's day. Raises ``NotFound``, ``InvalidInput`` (a day not yet over)
    and the box office's errors (the cinema did not answer: nothing is stored)."""
    now = rt.clock.now()
    recon.check_day_over(day, now)
    async with rt.uow(SYSTEM, readonly=True) as uow:
        cinema = await get_cinema(uow, cinema_id)
        system, code = cinema.system, cinema.code
    report = await rt.adapter(BoxOffices).get(system).daily_report(code, day)
    theirs = [Record(r.order_no, r.kind, r.amount, r.tickets, r.order_code) for r in report]
    async with rt.uow(SYSTEM) as uow:
        result = compare(await platform_records(uow, cinema_id, day), theirs, side="cinema")
        return await recon.store(
            uow,
            counterparty=counterparty(cinema_id),
            day=day,
            result=result,
            now=now,
            lines=len(theirs),
            audit_action="partner.reconciled",
        )


async def get_run(uow: UnitOfWork, *, cinema_id: int, day: date) -> recon.RunView:
    await get_cinema(uow, cinema_id)
    return await recon.get_run(uow, counterparty=counterparty(cinema_id), day=day)


async def list_exceptions(
    uow: UnitOfWork, *, status: str | None, limit: int = 200
) -> list[ReconException]:
    return await recon.list_exceptions(uow, status=status, prefix=PREFIX, limit=limit)


async def resolve(
    uow: UnitOfWork, *, exception_id: int, note: str, who: str, now: datetime
) -> ReconException:
    """An operator closes a cinema's exception with what was done about it (A3)."""
    row = await recon.lock_exception(uow, exception_id, PREFIX)
    return await recon.resolve(
        uow, row=row, note=note, who=who, now=now, audit_action="partner.exception_resolved"
    )


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
        (
            await uow.session.scalars(
                select(ReconRun.counterparty).where(
                    ReconRun.day == day, ReconRun.counterparty.startswith(PREFIX)
                )
            )
        ).all()
    )
    queued = 0
    for cinema_id in (await uow.session.scalars(select(PartnerCinema.id))).all():
        if counterparty(cinema_id) in done:
            continue
        uow.session.add(
            ReconRun(counterparty=counterparty(cinema_id), day=day, ran_at=now, status="queued")
        )
        await outbox.enqueue(
            uow, kind=JOB, payload={"cinema": cinema_id, "day": day.isoformat()}, now=now
        )
        queued += 1
    await uow.session.flush()
    return queued
