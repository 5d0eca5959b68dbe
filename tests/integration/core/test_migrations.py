"""Migrations run on both databases and carry every model change (``alembic check``)."""

from __future__ import annotations

import asyncio

from sqlalchemy import inspect

from admit.core.runtime import Runtime
from admit.migrations import check
from admit.tables import metadata


async def test_no_model_change_lacks_a_migration(db_url: str) -> None:
    await asyncio.to_thread(check, db_url)


async def test_every_table_exists_after_migrating(runtime: Runtime) -> None:
    async with runtime.engine.connect() as conn:
        tables = await conn.run_sync(lambda sync: set(inspect(sync).get_table_names()))
    assert set(metadata.tables) <= tables
