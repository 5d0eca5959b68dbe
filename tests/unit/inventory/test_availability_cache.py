import asyncio

import pytest

from admit.core.uow import UnitOfWork
from admit.inventory.availability import Availability, AvailabilityCache


def _avail(version: int) -> Availability:
    return Availability(
        session_id=1,
        version=version,
        states="aab",
        levels="00-",
        level_codes=("A",),
        ga=(),
        etag=f'"{version}"',
    )


async def test_concurrent_misses_share_one_load(unit: UnitOfWork) -> None:
    cache = AvailabilityCache(ttl=60)
    calls = 0

    async def load() -> Availability:
        nonlocal calls
        calls += 1
        await asyncio.sleep(0.01)
        return _avail(calls)

    results = await asyncio.gather(*(cache.get_or_load(unit, 1, load) for _ in range(20)))
    assert calls == 1
    assert {r.version for r in results} == {1}
    assert (await cache.get_or_load(unit, 1, load)).version == 1


async def test_a_failed_load_reaches_every_waiter_and_the_next_call_retries(
    unit: UnitOfWork,
) -> None:
    cache = AvailabilityCache(ttl=60)
    attempts = 0

    async def load() -> Availability:
        nonlocal attempts
        attempts += 1
        await asyncio.sleep(0.01)
        if attempts == 1:
            raise ConnectionError("database went away")
        return _avail(attempts)

    results = await asyncio.gather(
        *(cache.get_or_load(unit, 1, load) for _ in range(5)), return_exceptions=True
    )
    assert all(isinstance(r, ConnectionError) for r in results)
    assert (await cache.get_or_load(unit, 1, load)).version == 2


async def test_a_zero_ttl_reloads_every_time(unit: UnitOfWork) -> None:
    cache = AvailabilityCache(ttl=0)
    versions = iter(range(1, 10))

    async def load() -> Availability:
        return _avail(next(versions))

    assert (await cache.get_or_load(unit, 1, load)).version == 1
    await asyncio.sleep(0.001)
    assert (await cache.get_or_load(unit, 1, load)).version == 2


def test_remaining_counts_free_seats_and_ga_places() -> None:
    avail = Availability(
        session_id=1,
        version=1,
        states="aahsbra",
        levels="",
        level_codes=(),
        ga=({"code": "FLOOR", "name": "Floor", "capacity": 10, "available": 7},),
        etag='"x"',
    )
    assert avail.remaining == 3 + 7
    assert avail.counts() == {"available": 3, "held": 1, "sold": 1, "blocked": 1, "reserved": 1}
    with pytest.raises(AttributeError):
        avail.version = 2  # type: ignore[misc]


async def test_while_one_request_rebuilds_a_lapsed_plan_the_others_get_the_last_one(
    unit: UnitOfWork,
) -> None:
    cache = AvailabilityCache(ttl=0.01)
    release = asyncio.Event()
    loads = 0

    async def load() -> Availability:
        nonlocal loads
        loads += 1
        if loads > 1:
            await release.wait()
        return _avail(loads)

    assert (await cache.get_or_load(unit, 1, load)).version == 1
    await asyncio.sleep(0.02)  # lapsed
    rebuilding = asyncio.create_task(cache.get_or_load(unit, 1, load))
    await asyncio.sleep(0)
    others = await asyncio.gather(*(cache.get_or_load(unit, 1, load) for _ in range(5)))
    assert [a.version for a in others] == [1] * 5  # not kept waiting
    release.set()
    assert (await rebuilding).version == 2
    assert loads == 2
