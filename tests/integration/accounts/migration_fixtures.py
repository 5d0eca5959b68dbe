"""What the tests of data-rewriting migrations share: an empty database on each backend, the
application's keys in the environment as ``admit migrate`` reads them, and raw SQL."""

from __future__ import annotations

import os
from collections.abc import AsyncIterator
from itertools import count as counter
from pathlib import Path

import pytest
from cryptography.fernet import Fernet
from sqlalchemy import text

from admit.core.crypto import FieldCrypto
from admit.core.db import create_engine
from tests.conftest import _pg_admin, _pg_url

_databases = counter()


@pytest.fixture(params=["sqlite", "postgresql"])
async def empty_url(request: pytest.FixtureRequest, tmp_path: Path) -> AsyncIterator[str]:
    """A database with no schema yet (migrated by the test to the revision it needs)."""
    if request.param == "sqlite":
        yield f"sqlite+aiosqlite:///{tmp_path / 'migrate.db'}"
        return
    name = f"admit_m_{os.getpid()}_{next(_databases)}"
    await _pg_admin(f"CREATE DATABASE {name}")
    try:
        yield _pg_url(name)
    finally:
        await _pg_admin(f"DROP DATABASE IF EXISTS {name} WITH (FORCE)")


@pytest.fixture
def keys(monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> FieldCrypto:
    """The application's keys, as ``admit migrate`` finds them in the environment."""
    crypto = FieldCrypto(keys=(Fernet.generate_key(),), lookup_key=Fernet.generate_key())
    monkeypatch.setenv("ADMIT_FIELD_KEYS", crypto.keys[0].decode())
    monkeypatch.setenv("ADMIT_LOOKUP_KEY", crypto.lookup_key.decode())
    monkeypatch.setenv("ADMIT_DATA_DIR", str(tmp_path / "data"))
    return crypto


async def run_sql(url: str, *statements: str) -> list[tuple[object, ...]]:
    """Run the statements in one transaction; the rows of the last one that returns rows."""
    engine = create_engine(url)
    try:
        async with engine.begin() as conn:
            result: list[tuple[object, ...]] = []
            for statement in statements:
                found = await conn.execute(text(statement))
                result = [tuple(r) for r in found.all()] if found.returns_rows else result
            return result
    finally:
        await engine.dispose()
