"""What a restore needs (issue 34, item 6): ``admit backup`` writes the dump, the keys (0600 in
a 0700 directory) and a manifest with the audit log's head; ``admit audit head`` prints that
head; lost keys refuse to start instead of being replaced by new ones; ``admit restore`` puts
the data and keys back and leaves the platform reconciling (SQLite here; PostgreSQL in
``tests/e2e/test_backup_restore.py``)."""

from __future__ import annotations

import asyncio
import json
import shutil
import stat
from pathlib import Path

import pytest
from cryptography.fernet import Fernet
from typer.testing import CliRunner

from admit.accounts.customer_phones import phone_columns
from admit.accounts.models import Customer
from admit.cli import app
from admit.core import audit
from admit.core.audit_context import SYSTEM
from admit.core.config import load_settings
from admit.core.key_guard import key_problem
from admit.core.platform_mode import reconciling
from admit.core.runtime import Runtime
from admit.migrations import head_revision
from tests.conftest import logging_kept

pytestmark = pytest.mark.long


def _invoke(*args: str) -> tuple[int, str]:
    with logging_kept():
        result = CliRunner().invoke(app, list(args))
    return result.exit_code, result.output


@pytest.fixture
def data_dir(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    """A migrated SQLite data dir with one customer (an encrypted phone)."""
    data = tmp_path / "var"
    monkeypatch.setenv("ADMIT_DATA_DIR", str(data))
    monkeypatch.setenv("ADMIT_ENVIRONMENT", "development")
    for name in ("ADMIT_DATABASE_URL", "ADMIT_FIELD_KEYS", "ADMIT_LOOKUP_KEY"):
        monkeypatch.delenv(name, raising=False)
    assert _invoke("migrate")[0] == 0
    assert not (data / "keys").exists()  # migrating an empty database makes no key

    async def customer() -> None:
        rt = Runtime.from_settings(load_settings())
        try:
            async with rt.uow(SYSTEM) as uow:
                uow.session.add(
                    Customer(
                        **phone_columns(rt.crypto, "13800138000"),
                        source_channel="web",
                        created_at=rt.clock.now(),
                    )
                )
                await audit.record(
                    uow,
                    action="test.customer",
                    entity_type="customer",
                    entity_id="1",
                    data={},
                    now=rt.clock.now(),
                )
        finally:
            await rt.close()

    asyncio.run(customer())
    return data


def test_lost_keys_refuse_to_start_instead_of_being_replaced(data_dir: Path) -> None:
    keys = data_dir / "keys"
    assert _invoke("check")[0] == 0
    shutil.move(keys, data_dir.parent / "kept-keys")
    code, out = _invoke("check")
    assert code == 2, out
    assert "keys_lost" in out
    assert "restore the keys from the backup" in out
    assert not keys.exists()  # no new key was made in place of the lost one
    for command in (["worker"], ["serve", "--port", "1"]):
        code, out = _invoke(*command)
        assert code == 2, out
        assert "Refusing to start" in out
        assert "keys are missing" in out
        assert len([line for line in out.splitlines() if line.strip()]) == 1
    # Another installation's keys do not read this data either.
    keys.mkdir()
    (keys / "field.key").write_bytes(Fernet.generate_key())
    (keys / "lookup.key").write_bytes(Fernet.generate_key())
    problem = asyncio.run(key_problem(load_settings()))
    assert problem is not None
    assert "do not decrypt" in problem
    code, out = _invoke("check")
    assert code == 2
    assert "do not decrypt" in out
    shutil.rmtree(keys)
    shutil.move(data_dir.parent / "kept-keys", keys)
    assert _invoke("check")[0] == 0


def test_backup_writes_dump_keys_and_manifest_and_restore_leaves_it_reconciling(
    data_dir: Path, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    code, out = _invoke("audit", "head")
    assert code == 0, out
    seq, digest = out.split()
    assert int(seq) >= 1
    assert len(digest) == 64
    backup = tmp_path / "backup"
    code, out = _invoke("backup", str(backup))
    assert code == 0, out
    assert stat.S_IMODE(backup.stat().st_mode) == 0o700
    assert stat.S_IMODE((backup / "keys.env").stat().st_mode) == 0o600
    manifest = json.loads((backup / "manifest.json").read_text())
    assert manifest["schema_revision"] == head_revision()
    assert manifest["audit"] == {"seq": int(seq), "hash": digest}
    assert manifest["backend"] == "sqlite"
    kept = (backup / "keys.env").read_text()
    assert (data_dir / "keys" / "field.key").read_text().strip() in kept
    assert (data_dir / "keys" / "lookup.key").read_text().strip() in kept
    assert _invoke("backup", str(backup))[0] != 0  # never over another backup

    # Restore on a new machine: an empty data dir, no keys.
    restored = tmp_path / "restored"
    monkeypatch.setenv("ADMIT_DATA_DIR", str(restored))
    code, out = _invoke("restore", str(backup))
    assert code == 0, out
    assert "reconciling" in out
    assert (restored / "keys" / "field.key").read_text() == (
        data_dir / "keys" / "field.key"
    ).read_text().strip()
    assert asyncio.run(key_problem(load_settings())) is None  # the keys read the data
    code, out = _invoke("check")
    assert code == 1
    assert "reconciling since" in out

    async def mode() -> bool:
        rt = Runtime.from_settings(load_settings())
        try:
            async with rt.uow(SYSTEM, readonly=True) as uow:
                return await reconciling(uow) is not None
        finally:
            await rt.close()

    assert asyncio.run(mode())
    code, out = _invoke("restore", str(backup))  # not into a database that has data
    assert code == 2
    assert "not empty" in out
