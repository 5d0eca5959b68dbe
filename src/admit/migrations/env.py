"""Alembic environment: async engines for SQLite (aiosqlite) and PostgreSQL (asyncpg)."""

from __future__ import annotations

import asyncio
from concurrent.futures import ThreadPoolExecutor

from alembic import context
from sqlalchemy import text
from sqlalchemy.engine import Connection
from sqlalchemy.ext.asyncio import AsyncConnection

from admit.core.db import create_engine
from admit.tables import metadata

config = context.config
# pg_advisory_lock key held by the migrating connection: one migration at a time.
MIGRATION_LOCK_KEY = 0x0AD1_3160


def _run(connection: Connection) -> None:
    context.configure(
        connection=connection,
        target_metadata=metadata,
        render_as_batch=connection.dialect.name == "sqlite",
        compare_type=True,
    )
    with context.begin_transaction():
        context.run_migrations()


async def _online() -> None:
    url = config.get_main_option("sqlalchemy.url")
    assert url is not None
    engine = create_engine(url)
    try:
        async with engine.connect() as connection:
            await _lock(connection)
            await connection.run_sync(_run)
            await connection.commit()
            await _unlock(connection)
    finally:  # a failed migration closes its connections too
        await engine.dispose()


async def _lock(connection: AsyncConnection) -> None:
    """On PostgreSQL, wait for the session-level migration lock (committed at once, so the
    migration's own transaction starts after it and sees what an earlier one committed)."""
    if connection.dialect.name == "postgresql":
        await connection.execute(text("SELECT pg_advisory_lock(:k)"), {"k": MIGRATION_LOCK_KEY})
        await connection.commit()


async def _unlock(connection: AsyncConnection) -> None:
    if connection.dialect.name == "postgresql":
        await connection.execute(text("SELECT pg_advisory_unlock(:k)"), {"k": MIGRATION_LOCK_KEY})
        await connection.commit()


def _run_online() -> None:
    """Run on a fresh event loop; from inside a running loop (tests), on a thread of its own."""
    try:
        asyncio.get_running_loop()
    except RuntimeError:
        asyncio.run(_online())
        return
    with ThreadPoolExecutor(max_workers=1) as pool:
        pool.submit(asyncio.run, _online()).result()


_run_online()
