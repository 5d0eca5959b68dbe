"""A cache's single-flight load against a real connection pool: the request that loads must
never wait for a connection held by the requests waiting for its load (under an on-sale that
was every hold of a session answering 503 for the pool's 30 s timeout)."""

from __future__ import annotations

import asyncio

from sqlalchemy import text
from sqlalchemy.ext.asyncio import create_async_engine
from sqlalchemy.pool import AsyncAdaptedQueuePool

from admit.core.audit_context import SYSTEM
from admit.core.short_cache import ShortCache
from admit.core.uow import UnitOfWork, UnitOfWorkFactory
from admit.inventory.availability import Availability, AvailabilityCache


async def _read(uow: UnitOfWork) -> int:
    return int(await uow.session.scalar(text("SELECT 7")) or 0)


def _plan(version: int) -> Availability:
    return Availability(1, version, "a", "0", ("A",), (), f'"{version}"')


async def test_a_loader_never_waits_for_the_connection_of_a_caller_waiting_for_it(
    db_url: str,
) -> None:
    engine = create_async_engine(
        db_url, poolclass=AsyncAdaptedQueuePool, pool_size=1, max_overflow=0, pool_timeout=5
    )
    units = UnitOfWorkFactory(engine)
    pages: ShortCache[str, int] = ShortCache(60.0)
    plans = AvailabilityCache(ttl=60)
    loads: list[str] = []

    async def load(uow: UnitOfWork, who: str) -> int:
        loads.append(who)
        return await _read(uow)

    async def load_plan(uow: UnitOfWork, who: str) -> Availability:
        return _plan(await load(uow, who))

    async def latecomer() -> tuple[int, Availability]:
        async with units(SYSTEM, readonly=True) as uow:  # no connection yet: the pool is empty
            page = await pages.get_or_load(uow, "home", lambda: load(uow, "latecomer"))
            plan = await plans.get_or_load(uow, 1, lambda: load_plan(uow, "latecomer"))
            return page, plan

    try:
        async with units(SYSTEM, readonly=True) as first:
            await _read(first)  # holds the pool's only connection
            late = asyncio.create_task(latecomer())
            await asyncio.sleep(0.2)  # let it go as far as it can
            page = await pages.get_or_load(first, "home", lambda: load(first, "first"))
            plan = await plans.get_or_load(first, 1, lambda: load_plan(first, "first"))
        assert await asyncio.wait_for(late, 30) == (page, plan) == (7, _plan(7))
        assert loads == ["first", "first"]  # and once each: the latecomer found them loaded
    finally:
        await engine.dispose()
