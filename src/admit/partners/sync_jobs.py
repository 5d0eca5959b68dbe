"""Keeping partner cinemas' showtimes current (C1): the import itself is the partners
slice's; this opens what it brings on the website and the app (sales windows belong here),
runs it on demand, and lets the worker re-run it for every imported cinema system every
``SYNC_EVERY`` (the worker's sweeper queues a job; the job asks the cinemas outside any
transaction)."""

from __future__ import annotations

from datetime import datetime, timedelta
from fractions import Fraction
from typing import Any

from sqlalchemy import select

from admit.catalog.models import PriceLevel
from admit.core import outbox
from admit.core.runtime import Runtime
from admit.core.uow import UnitOfWork
from admit.core.worker import sweeper
from admit.partners.box_office import BoxOffices
from admit.partners.models import PartnerCinema
from admit.partners.sync import SyncResult, sync_system
from admit.sales import windows

SYNC_JOB = "sales.partner_sync"
SYNC_EVERY = timedelta(minutes=30)
SYNC_DAYS = 3
PAYMENT_MINUTES = 10  # within the cinemas' lock time, with room to confirm
PER_PERSON = 6
CHANNELS = ("web", "mobile")


async def open_partner_sale(
    uow: UnitOfWork, session_id: int, starts_at: datetime, now: datetime
) -> None:
    """On sale on the website and the app from now until the showtime, every seat of every
    level (the cinema decides what is left; its lock is the real check)."""
    levels = (
        await uow.session.scalars(
            select(PriceLevel.code).where(PriceLevel.session_id == session_id)
        )
    ).all()
    for channel in CHANNELS:
        await windows.open_window(
            uow,
            session_id=session_id,
            now=now,
            cmd=windows.WindowInput(
                channel=channel,
                starts_at=now,
                ends_at=starts_at,
                per_person_limit=PER_PERSON,
                payment_minutes=PAYMENT_MINUTES,
                real_name_required=False,
                quotas=[windows.QuotaInput(code, ratio=Fraction(1)) for code in levels],
            ),
        )


async def sync_partners(rt: Runtime, *, days: int = SYNC_DAYS) -> dict[str, SyncResult]:
    """Import every configured cinema system's cinemas, halls and showtimes now."""
    return {
        system: await sync_system(rt, system, opener=open_partner_sale, days=days)
        for system in rt.adapter(BoxOffices).names()
    }


async def queue_sync(uow: UnitOfWork, rt: Runtime, *, days: int, now: datetime) -> list[str]:
    """Queue a sync of every configured cinema system; returns their names."""
    systems = rt.adapter(BoxOffices).names()
    for system in systems:
        await outbox.enqueue(uow, kind=SYNC_JOB, payload={"system": system, "days": days}, now=now)
    return systems


@outbox.handler(SYNC_JOB)
async def _sync(ctx: outbox.JobContext, payload: dict[str, Any]) -> None:
    await sync_system(
        ctx.runtime,
        payload["system"],
        opener=open_partner_sale,
        days=int(payload.get("days", SYNC_DAYS)),
    )


@sweeper("partners.sync_due")
async def _sync_due(uow: UnitOfWork, now: datetime) -> int:
    """Queue a sync of each system whose cinemas were last synced ``SYNC_EVERY`` ago (the
    cinemas' rows are stamped at once, so other workers do not queue it again)."""
    due = (
        await uow.session.scalars(
            select(PartnerCinema)
            .where(PartnerCinema.synced_at <= now - SYNC_EVERY)
            .with_for_update(skip_locked=True)
        )
    ).all()
    systems = sorted({c.system for c in due})
    for cinema in due:
        cinema.synced_at = now  # the job stamps it again when done
    for system in systems:
        await outbox.enqueue(uow, kind=SYNC_JOB, payload={"system": system}, now=now)
    return len(systems)
