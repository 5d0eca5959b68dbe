"""What a running process holds: settings, engine, unit-of-work factory, clock, field crypto,
caches, and the adapters to outside systems registered by the composition root."""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any, TypeVar, cast

from sqlalchemy import event
from sqlalchemy.ext.asyncio import AsyncEngine

from admit.core.clock import Clock, SystemClock
from admit.core.config import Settings
from admit.core.crypto import FieldCrypto, load_crypto
from admit.core.db import Timeouts, create_engine, read_only
from admit.core.reachability import Reachability
from admit.core.short_cache import SALE_CONFIG, TOKENS, ShortCache
from admit.core.uow import UnitOfWorkFactory

T = TypeVar("T")


@dataclass
class Runtime:
    settings: Settings
    engine: AsyncEngine
    uow: UnitOfWorkFactory
    clock: Clock
    crypto: FieldCrypto
    caches: dict[str, Any] = field(default_factory=dict)
    adapters: dict[type[Any], Any] = field(default_factory=dict)
    database: Reachability = field(default_factory=lambda: Reachability("database"))

    def __post_init__(self) -> None:
        # A new connection is the sign the database is back (cheap: not on every checkout).
        event.listen(self.engine.sync_engine, "connect", lambda *_: self.database.found())

    @classmethod
    def from_settings(cls, settings: Settings, clock: Clock | None = None) -> Runtime:
        settings.data_dir.mkdir(parents=True, exist_ok=True)
        engine = create_engine(
            settings.effective_database_url,
            pool_size=settings.db_pool_size,
            show_parameters=settings.sql_log_parameters,
            timeouts=Timeouts(
                connect=settings.db_connect_timeout_seconds,
                pool=settings.db_pool_timeout_seconds,
                command=settings.db_command_timeout_seconds,
            ),
        )
        caches: dict[str, Any] = {
            TOKENS: ShortCache[Any, Any](settings.token_cache_seconds),
            SALE_CONFIG: ShortCache[Any, Any](settings.sale_config_cache_seconds),
        }
        return cls(
            settings=settings,
            engine=engine,
            uow=UnitOfWorkFactory(engine, read_only(engine), caches),
            caches=caches,
            clock=clock or SystemClock(),
            crypto=load_crypto(
                settings.field_keys, settings.lookup_key, settings.data_dir / "keys"
            ),
        )

    def register(self, kind: type[T], adapter: T) -> None:
        """Plug in the adapter for an outside system (gateway, verifier, limiter, …)."""
        self.adapters[kind] = adapter

    def adapter(self, kind: type[T]) -> T:
        try:
            return cast(T, self.adapters[kind])
        except KeyError:
            raise RuntimeError(
                f"no adapter registered for {kind.__name__}: the composition root registers "
                "every adapter (admit.wiring.wire_adapters), a test registers its own"
            ) from None

    async def close(self) -> None:
        for adapter in self.adapters.values():
            closer = getattr(adapter, "aclose", None)
            if closer is not None:
                await closer()
        await self.engine.dispose()
