"""Scheduled settlement: each worker cycle settles the last whole period of every organiser
whose agreement sets a cadence (daily, weekly, monthly) and that has no run yet. Cheap when
there is nothing to do (two small reads), and safe in several workers at once: the run is
unique per organiser and period, and ``runs.settle`` returns a run made meanwhile."""

from __future__ import annotations

from datetime import UTC, datetime

from sqlalchemy import select

from admit.core.uow import UnitOfWork
from admit.core.worker import sweeper
from admit.settlement import runs
from admit.settlement.models import SettlementAgreement, SettlementRun

ACTOR = "scheduler"


@sweeper("settlement.due")
async def settle_due(uow: UnitOfWork, now: datetime) -> int:
    today = now.astimezone(UTC).date()
    cadences = (
        await uow.session.execute(
            select(SettlementAgreement.organiser_id, SettlementAgreement.cadence)
            .where(
                SettlementAgreement.kind == "organiser",
                SettlementAgreement.valid_from < today,
            )
            .where(
                SettlementAgreement.valid_until.is_(None)
                | (SettlementAgreement.valid_until >= today)
            )
        )
    ).all()
    done = 0
    for organiser_id, cadence in sorted(cadences):
        start, end = runs.due_period(cadence or "daily", today)
        overlapping = await uow.session.scalar(
            select(SettlementRun.id)
            .where(
                SettlementRun.organiser_id == organiser_id,
                SettlementRun.period_start < end,
                SettlementRun.period_end > start,
            )
            .limit(1)
        )
        if overlapping is not None:
            continue  # settled already, or by hand over other bounds: never twice
        await runs.settle(
            uow,
            organiser_id=organiser_id,
            start=start,
            end=end,
            trigger="scheduled",
            who=ACTOR,
            now=now,
        )
        done += 1
    return done
