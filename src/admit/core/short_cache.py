"""Per-process caches of rows that are read on every hot request and change rarely (device
tokens, a session's sale configuration): entries live a few seconds, and a change made in this
process clears them once its transaction has committed. Other processes see a change when
their entries lapse, so nothing here may decide what only the database can (seats, counters)."""

from __future__ import annotations

import asyncio
import time
from collections.abc import Awaitable, Callable, Hashable
from typing import Any, Generic, TypeVar

from admit.core.uow import UnitOfWork

K = TypeVar("K", bound=Hashable)
V = TypeVar("V")

# The process caches sized from settings (``Runtime.from_settings``).
TOKENS = "customer_tokens"
SALE_CONFIG = "sale_config"


class ShortCache(Generic[K, V]):
    """A map whose entries live ``seconds`` (monotonic time), at most ``size`` of them (the
    oldest half is dropped when full). ``clear()`` forgets everything at once."""

    def __init__(self, seconds: float, size: int = 50_000) -> None:
        self.seconds = seconds
        self.size = size
        self._entries: dict[K, tuple[float, V]] = {}
        self._loading: dict[K, _Loading] = {}
        self.generation = 0

    def get(self, key: K) -> V | None:
        found = self._entries.get(key)
        if found is None:
            return None
        if found[0] <= time.monotonic():
            self._entries.pop(key, None)
            return None
        return found[1]

    def put(self, key: K, value: V, generation: int | None = None) -> None:
        """Keep ``value``; when ``generation`` (read before the value was loaded) is older than
        the cache's, a clear happened meanwhile and the value may be stale: it is not kept."""
        if self.seconds <= 0 or (generation is not None and generation != self.generation):
            return
        if len(self._entries) >= self.size:
            for old in list(self._entries)[: self.size // 2]:
                del self._entries[old]
        self._entries[key] = (time.monotonic() + self.seconds, value)

    def clear(self) -> None:
        self._entries.clear()
        self.generation += 1

    async def get_or_load(self, uow: UnitOfWork, key: K, load: Callable[[], Awaitable[V]]) -> V:
        """The kept value, or ``load()``'s — run in ``uow`` by one caller at a time per key, so
        that when an entry lapses under load one request rebuilds it while the others wait.

        A caller takes its database connection *before* it waits for another's load: were the
        loader to ask the pool for one while the waiters held them all, it would wait the
        pool's whole timeout (seen under an on-sale: every hold answered 503 for 30 s)."""
        found = self.get(key)
        if found is not None:
            return found
        await uow.session.connection()
        entry = self._loading.setdefault(key, _Loading())
        entry.users += 1
        try:
            async with entry.lock:
                found = self.get(key)
                if found is not None:
                    return found
                generation = self.generation
                value = await load()
                self.put(key, value, generation)
                return value
        finally:
            entry.users -= 1
            if not entry.users:  # keys come and go (a page per availability version)
                del self._loading[key]


class _Loading:
    """A key being loaded: its lock and how many callers are loading or waiting for it."""

    __slots__ = ("lock", "users")

    def __init__(self) -> None:
        self.lock = asyncio.Lock()
        self.users = 0


def cache_of(
    caches: dict[str, Any], name: str, seconds: float, size: int = 50_000
) -> ShortCache[Any, Any]:
    """The process's cache called ``name`` (created on first use, of at most ``size``)."""
    found = caches.get(name)
    if not isinstance(found, ShortCache):
        found = caches[name] = ShortCache[Any, Any](seconds, size)
    return found


def forget_on_commit(uow: UnitOfWork, *names: str) -> None:
    """A change to what the named caches hold: clear them now (so this transaction's own later
    reads miss) and again once it commits (so no read made in between survives)."""

    def clear() -> None:
        for name in names:
            found = uow.caches.get(name)
            if isinstance(found, ShortCache):
                found.clear()

    clear()

    async def after() -> None:
        clear()

    uow.after_commit(after)
