"""Item 7 of issue 34: one migration at a time, and processes that check the schema instead
of migrating. Three ``admit migrate`` started together on a new database all succeed (an
advisory lock on PostgreSQL, a file lock on SQLite); ``admit serve`` and ``admit worker``
refuse a schema that is not at the head in one line, exit 2."""

from __future__ import annotations

import os
import subprocess
import sys
from collections.abc import Iterator
from pathlib import Path

import pytest
from typer.testing import CliRunner

from admit.cli import app
from admit.migrations import current_revision, head_revision, schema_behind
from tests.conftest import _pg_admin_sync, _pg_url, logging_kept

pytestmark = pytest.mark.long


@pytest.fixture(params=["sqlite", "postgresql"])
def new_database(request: pytest.FixtureRequest, tmp_path: Path) -> Iterator[str]:
    """A database no migration has touched: its URL."""
    if request.param == "sqlite":
        yield f"sqlite+aiosqlite:///{tmp_path / 'admit.db'}"
        return
    name = f"admit_race_{os.getpid()}"
    _pg_admin_sync(f"DROP DATABASE IF EXISTS {name} WITH (FORCE)")
    _pg_admin_sync(f"CREATE DATABASE {name}")
    try:
        yield _pg_url(name)
    finally:
        _pg_admin_sync(f"DROP DATABASE IF EXISTS {name} WITH (FORCE)")


def _env(url: str, data_dir: Path) -> dict[str, str]:
    env = {k: v for k, v in os.environ.items() if not k.startswith("ADMIT_")}
    return {
        **env,
        "ADMIT_DATABASE_URL": url,
        "ADMIT_DATA_DIR": str(data_dir),
        "ADMIT_ENVIRONMENT": "development",
    }


def test_three_concurrent_migrations_on_a_new_database_all_succeed(
    new_database: str, tmp_path: Path
) -> None:
    env = _env(new_database, tmp_path)
    procs = [
        subprocess.Popen(
            [sys.executable, "-m", "admit", "migrate"],
            env=env,
            stdout=subprocess.PIPE,
            stderr=subprocess.STDOUT,
        )
        for _ in range(3)
    ]
    outputs = [p.communicate(timeout=300)[0].decode() for p in procs]
    results = [(p.returncode, out) for p, out in zip(procs, outputs, strict=True)]
    assert [code for code, _ in results] == [0, 0, 0], results
    assert current_revision(new_database) == head_revision()


def _invoke(*args: str) -> tuple[int, str]:
    with logging_kept():
        result = CliRunner().invoke(app, list(args))
    return result.exit_code, result.output


@pytest.mark.parametrize("command", ["serve", "worker"])
def test_serve_and_worker_refuse_a_schema_behind_and_do_not_migrate(
    new_database: str, tmp_path: Path, monkeypatch: pytest.MonkeyPatch, command: str
) -> None:
    for key, value in _env(new_database, tmp_path).items():
        if key.startswith("ADMIT_"):
            monkeypatch.setenv(key, value)
    code, out = _invoke(command, *(["--port", "1"] if command == "serve" else []))
    assert code == 2, out
    assert "the database schema is at nothing (an empty database), this release needs" in out
    assert "run `admit migrate`" in out
    assert current_revision(new_database) is None  # nothing migrated
    assert schema_behind(new_database) is not None
