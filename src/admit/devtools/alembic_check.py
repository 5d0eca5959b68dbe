"""``alembic check`` on a fresh SQLite database and, when reachable, PostgreSQL: fails when a
model changed without a migration."""

from __future__ import annotations

import asyncio
import os
import sys
import tempfile
from pathlib import Path

import asyncpg

from admit.migrations import check, upgrade

PG_ADMIN_DSN = os.environ.get("ADMIT_TEST_PG", "postgresql://postgres@127.0.0.1:5432/postgres")


async def _pg(sql: str) -> None:
    conn = await asyncpg.connect(PG_ADMIN_DSN)
    try:
        await conn.execute(sql)
    finally:
        await conn.close()


def main() -> int:
    with tempfile.TemporaryDirectory() as tmp:
        url = f"sqlite+aiosqlite:///{Path(tmp) / 'check.db'}"
        upgrade(url)
        check(url)
    name = f"admit_check_{os.getpid()}"
    asyncio.run(_pg(f"CREATE DATABASE {name}"))
    try:
        url = PG_ADMIN_DSN.rsplit("/", 1)[0].replace("postgresql://", "postgresql+asyncpg://")
        upgrade(f"{url}/{name}")
        check(f"{url}/{name}")
    finally:
        asyncio.run(_pg(f"DROP DATABASE IF EXISTS {name} WITH (FORCE)"))
    print("alembic check: migrations match the models on SQLite and PostgreSQL")  # noqa: T201
    return 0


if __name__ == "__main__":
    sys.exit(main())
