"""Alembic migrations that run on SQLite and PostgreSQL alike, driven from Python.

One migration at a time: on PostgreSQL ``env.py`` holds a session-level advisory lock on the
migration's connection; on SQLite a file lock next to the database file serialises
``upgrade`` (processes starting together on a new database each wait their turn, and find
the schema current when they get it)."""

from __future__ import annotations

import asyncio
import contextlib
import fcntl
from collections.abc import Coroutine, Iterator
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path
from typing import Any, TypeVar

from alembic import command
from alembic.config import Config
from alembic.script import ScriptDirectory
from sqlalchemy import inspect, text
from sqlalchemy.engine import make_url

HERE = Path(__file__).parent
T = TypeVar("T")


def alembic_config(url: str) -> Config:
    cfg = Config()
    cfg.set_main_option("script_location", str(HERE))
    cfg.set_main_option("sqlalchemy.url", url.replace("%", "%%"))
    cfg.attributes["configure_logger"] = False
    return cfg


@contextlib.contextmanager
def _sqlite_file_lock(url: str) -> Iterator[None]:
    """An exclusive ``flock`` on ``<database>.migrate-lock`` for a SQLite file; nothing for
    other databases (their lock is taken in ``env.py``)."""
    parsed = make_url(url)
    database = parsed.database
    if not parsed.get_backend_name().startswith("sqlite") or not database or ":memory:" in database:
        yield
        return
    lock = Path(database).with_name(Path(database).name + ".migrate-lock")
    lock.parent.mkdir(parents=True, exist_ok=True)
    with lock.open("a") as handle:
        fcntl.flock(handle, fcntl.LOCK_EX)
        try:
            yield
        finally:
            fcntl.flock(handle, fcntl.LOCK_UN)


def upgrade(url: str, revision: str = "head") -> None:
    with _sqlite_file_lock(url):
        command.upgrade(alembic_config(url), revision)


def check(url: str) -> None:
    """Raise if the models have changes that no migration carries."""
    command.check(alembic_config(url))


def head_revision() -> str:
    """The schema revision this release needs."""
    head = ScriptDirectory.from_config(alembic_config("sqlite://")).get_current_head()
    assert head is not None
    return head


def _on_own_loop(work: Coroutine[Any, Any, T]) -> T:
    """Run ``work`` on a fresh event loop (on a thread of its own inside a running loop)."""
    try:
        asyncio.get_running_loop()
    except RuntimeError:
        return asyncio.run(work)
    with ThreadPoolExecutor(max_workers=1) as pool:
        return pool.submit(asyncio.run, work).result()


async def _current(url: str) -> str | None:
    from admit.core.db import create_engine

    engine = create_engine(url)
    try:
        async with engine.connect() as conn:
            if not await conn.run_sync(lambda c: inspect(c).has_table("alembic_version")):
                return None
            return (await conn.execute(text("SELECT version_num FROM alembic_version"))).scalar()
    finally:
        await engine.dispose()


def current_revision(url: str) -> str | None:
    """The database's schema revision; ``None`` for a database no migration has touched."""
    return _on_own_loop(_current(url))


def schema_behind(url: str) -> str | None:
    """One line saying why this release cannot run on the database's schema; ``None`` when it
    is at the head."""
    at, needed = current_revision(url), head_revision()
    if at == needed:
        return None
    return (
        f"the database schema is at {at or 'nothing (an empty database)'}, this release "
        f"needs {needed}: run `admit migrate`"
    )
