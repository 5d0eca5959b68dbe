"""The per-process short cache: entries lapse, clears win over loads that raced them, and a
change forgets on commit only."""

from __future__ import annotations

import asyncio
import time
from typing import Any

import pytest

from admit.core.audit_context import SYSTEM
from admit.core.short_cache import ShortCache, cache_of, forget_on_commit
from admit.core.uow import UnitOfWork


def test_entries_lapse_after_their_seconds(monkeypatch: pytest.MonkeyPatch) -> None:
    now = [1000.0]
    monkeypatch.setattr(time, "monotonic", lambda: now[0])
    cache: ShortCache[str, int] = ShortCache(5.0)
    cache.put("a", 1)
    now[0] += 4.9
    assert cache.get("a") == 1
    now[0] += 0.2
    assert cache.get("a") is None
    assert cache.get("never") is None


def test_a_load_that_raced_a_clear_is_not_kept() -> None:
    cache: ShortCache[str, int] = ShortCache(60.0)
    generation = cache.generation  # a reader starts loading …
    cache.clear()  # … a change commits meanwhile …
    cache.put("a", 1, generation)  # … so what it read may be stale
    assert cache.get("a") is None
    cache.put("a", 2, cache.generation)
    assert cache.get("a") == 2


def test_a_full_cache_drops_its_oldest_half() -> None:
    cache: ShortCache[int, int] = ShortCache(60.0, size=4)
    for i in range(5):
        cache.put(i, i)
    assert [cache.get(i) for i in range(5)] == [None, None, 2, 3, 4]


def test_zero_seconds_caches_nothing() -> None:
    cache: ShortCache[str, int] = ShortCache(0)
    cache.put("a", 1)
    assert cache.get("a") is None


async def test_a_change_clears_now_and_again_after_its_commit() -> None:
    caches: dict[str, Any] = {}
    cache = cache_of(caches, "things", 60.0)
    assert cache_of(caches, "things", 1.0) is cache  # one per name and process
    cache.put("a", 1)
    uow = UnitOfWork(session=None, actor=SYSTEM, caches=caches)  # type: ignore[arg-type]
    forget_on_commit(uow, "things", "not-made-yet")
    assert cache.get("a") is None
    cache.put("a", 2)  # read again before the change committed
    for callback in uow._after_commit:
        await callback()
    assert cache.get("a") is None


async def test_concurrent_misses_load_once_and_the_others_wait_for_it(unit: UnitOfWork) -> None:
    cache: ShortCache[str, int] = ShortCache(60.0)
    loads = 0
    release = asyncio.Event()

    async def load() -> int:
        nonlocal loads
        loads += 1
        await release.wait()
        return 7

    waiting = [asyncio.create_task(cache.get_or_load(unit, "page", load)) for _ in range(5)]
    await asyncio.sleep(0)
    release.set()
    assert await asyncio.gather(*waiting) == [7] * 5
    assert loads == 1
    assert await cache.get_or_load(unit, "page", load) == 7
    assert loads == 1


async def test_a_load_that_fails_lets_the_next_caller_load(unit: UnitOfWork) -> None:
    cache: ShortCache[str, int] = ShortCache(60.0)

    async def broken() -> int:
        raise RuntimeError("database gone")

    async def fine() -> int:
        return 3

    with pytest.raises(RuntimeError):
        await cache.get_or_load(unit, "page", broken)
    assert await cache.get_or_load(unit, "page", fine) == 3


async def test_a_miss_takes_its_connection_before_loading_and_a_hit_takes_none(
    unit: UnitOfWork,
) -> None:
    cache: ShortCache[str, int] = ShortCache(60.0)
    asked_before_load: list[int] = []

    async def load() -> int:
        asked_before_load.append(unit.session.connections)  # type: ignore[attr-defined]
        return 5

    assert await cache.get_or_load(unit, "page", load) == 5
    assert await cache.get_or_load(unit, "page", load) == 5
    assert asked_before_load == [1]
    assert unit.session.connections == 1  # type: ignore[attr-defined]
