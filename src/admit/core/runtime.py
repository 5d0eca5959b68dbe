"""What a running process holds: settings, engine, unit-of-work factory, clock, caches."""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

from sqlalchemy.ext.asyncio import AsyncEngine

from admit.core.clock import Clock, SystemClock
from admit.core.config import Settings
from admit.core.db import create_engine, read_only
from admit.core.uow import UnitOfWorkFactory


@dataclass
class Runtime:
    settings: Settings
    engine: AsyncEngine
    uow: UnitOfWorkFactory
    clock: Clock
    caches: dict[str, Any] = field(default_factory=dict)

    @classmethod
    def from_settings(cls, settings: Settings, clock: Clock | None = None) -> Runtime:
        settings.data_dir.mkdir(parents=True, exist_ok=True)
        engine = create_engine(settings.effective_database_url, pool_size=settings.db_pool_size)
        return cls(
            settings=settings,
            engine=engine,
            uow=UnitOfWorkFactory(engine, read_only(engine)),
            clock=clock or SystemClock(),
        )

    async def close(self) -> None:
        await self.engine.dispose()
