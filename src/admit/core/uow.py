"""The unit of work: one database session and its after-commit callbacks.

Entrypoints (HTTP request, worker job, CLI command) own it: they commit on success and roll
back on any exception. Services receive it, may flush, and never commit."""

from __future__ import annotations

from collections.abc import AsyncIterator, Awaitable, Callable
from contextlib import asynccontextmanager
from dataclasses import dataclass, field
from typing import Any

from sqlalchemy import CursorResult
from sqlalchemy.ext.asyncio import AsyncEngine, AsyncSession, async_sessionmaker

from admit.core.audit_context import Actor

AfterCommit = Callable[[], Awaitable[None]]


@dataclass
class UnitOfWork:
    session: AsyncSession
    actor: Actor
    _after_commit: list[AfterCommit] = field(default_factory=list)
    caches: dict[str, Any] = field(default_factory=dict)  # the process's (``core.short_cache``)

    @property
    def dialect(self) -> str:
        return self.session.get_bind().dialect.name

    async def call(self, sql: str, args: tuple[Any, ...]) -> CursorResult[Any]:
        """``sql`` sent as it is (``$1``… parameters, nothing compiled) inside this unit of
        work's transaction: SQLAlchemy begins the transaction before handing out its
        connection — the lazy-BEGIN trap of the design guide, where a statement sent on the raw
        driver connection first would run, and commit, on its own. For the hot path's SQL
        functions (``sales.*_statement``)."""
        connection = await self.session.connection()
        return await connection.exec_driver_sql(sql, args)

    def after_commit(self, callback: AfterCommit) -> None:
        """Run ``callback`` once the transaction has committed (never on rollback)."""
        self._after_commit.append(callback)


class UnitOfWorkFactory:
    def __init__(
        self,
        engine: AsyncEngine,
        reader: AsyncEngine | None = None,
        caches: dict[str, Any] | None = None,
    ) -> None:
        self.engine = engine
        self.caches: dict[str, Any] = {} if caches is None else caches
        self._writer = async_sessionmaker(engine, expire_on_commit=False, autoflush=False)
        self._reader = async_sessionmaker(reader or engine, expire_on_commit=False, autoflush=False)

    @asynccontextmanager
    async def __call__(self, actor: Actor, *, readonly: bool = False) -> AsyncIterator[UnitOfWork]:
        maker = self._reader if readonly else self._writer
        async with maker() as session:
            uow = UnitOfWork(session=session, actor=actor, caches=self.caches)
            try:
                yield uow
                if not readonly:
                    await session.commit()
                # a reader just closes: its transaction ends and loaded objects stay readable
            except BaseException:
                await session.rollback()
                raise
        for callback in uow._after_commit:
            await callback()
