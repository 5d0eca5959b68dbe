"""A cache's single-flight load against a real connection pool: the request that loads must
never wait for a connection held by the requests waiting for its load (under an on-sale that
was every hold of a session answering 503 for the pool's 30 s timeout).

The latecomer is let go as far as it can — until it waits for the pool's only connection, as
the pool itself reports — before the request holding that connection loads, so the order that
deadlocks is forced every run rather than left to how fast a task gets there."""

from __future__ import annotations

import asyncio
from collections.abc import Awaitable, Callable

import pytest
from sqlalchemy import text
from sqlalchemy.ext.asyncio import create_async_engine
from sqlalchemy.pool import AsyncAdaptedQueuePool, ConnectionPoolEntry

from admit.core.audit_context import SYSTEM
from admit.core.short_cache import ShortCache
from admit.core.uow import UnitOfWork, UnitOfWorkFactory
from admit.inventory.availability import Availability, AvailabilityCache

# (unit of work, who asks) -> what the cache gives that caller
Getter = Callable[[UnitOfWork, str], Awaitable[object]]


class WatchedPool(AsyncAdaptedQueuePool):
    """A pool (of one connection, no overflow) that says when a checkout has to wait."""

    exhausted: asyncio.Event

    def _do_get(self) -> ConnectionPoolEntry:
        if self.checkedout() >= self.size():
            self.exhausted.set()
        return super()._do_get()


async def _read(uow: UnitOfWork) -> int:
    return int(await uow.session.scalar(text("SELECT 7")) or 0)


def _plan(version: int) -> Availability:
    return Availability(1, version, "a", "0", ("A",), (), f'"{version}"')


def _getter(cache: str, loads: list[str]) -> tuple[Getter, object]:
    """What the named cache gives a caller (loading it at most once), and the loaded value."""

    async def load(uow: UnitOfWork, who: str) -> int:
        loads.append(who)
        return await _read(uow)

    if cache == "page":
        pages: ShortCache[str, int] = ShortCache(60.0)

        async def page(uow: UnitOfWork, who: str) -> object:
            return await pages.get_or_load(uow, "home", lambda: load(uow, who))

        return page, 7

    plans = AvailabilityCache(ttl=60)

    async def load_plan(uow: UnitOfWork, who: str) -> Availability:
        return _plan(await load(uow, who))

    async def plan(uow: UnitOfWork, who: str) -> object:
        return await plans.get_or_load(uow, 1, lambda: load_plan(uow, who))

    return plan, _plan(7)


@pytest.mark.parametrize("cache", ["page", "plan"])
async def test_a_loader_never_waits_for_the_connection_of_a_caller_waiting_for_it(
    db_url: str, cache: str
) -> None:
    engine = create_async_engine(
        db_url, poolclass=WatchedPool, pool_size=1, max_overflow=0, pool_timeout=5
    )
    pool = engine.sync_engine.pool
    assert isinstance(pool, WatchedPool)
    pool.exhausted = asyncio.Event()
    units = UnitOfWorkFactory(engine)
    loads: list[str] = []
    get, loaded = _getter(cache, loads)

    async def latecomer() -> object:
        async with units(SYSTEM, readonly=True) as uow:  # no connection yet: the pool is empty
            return await get(uow, "latecomer")

    try:
        async with units(SYSTEM, readonly=True) as first:
            await _read(first)  # holds the pool's only connection
            late = asyncio.create_task(latecomer())
            await asyncio.wait_for(pool.exhausted.wait(), 30)  # the latecomer waits for it
            mine = await get(first, "first")
        assert await asyncio.wait_for(late, 30) == mine == loaded
        assert loads == ["first"]  # once: the latecomer found it loaded
    finally:
        await engine.dispose()
