"""The ``admit`` command against real databases: seeding, imports, the audit chain."""

from __future__ import annotations

import asyncio
import shutil
import sqlite3
from pathlib import Path

import pytest
from cryptography.fernet import Fernet
from typer.testing import CliRunner

from admit.catalog.seatmap_format import to_json
from admit.catalog.seatmap_generators import cinema_hall
from admit.cli import app
from admit.core.audit_context import SYSTEM
from admit.core.config import load_settings
from admit.core.crypto import FieldCrypto, UndecryptableValue
from admit.core.runtime import Runtime
from admit.messaging.dispatch import queue_message
from tests.conftest import T0, logging_kept

# One worker runs this module (tests/parallel.py): the demo is seeded once for the tests needing it.
pytestmark = pytest.mark.long


@pytest.fixture
def cli_env(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    monkeypatch.setenv("ADMIT_DATA_DIR", str(tmp_path))
    monkeypatch.delenv("ADMIT_DATABASE_URL", raising=False)
    return tmp_path / "admit.db"


def _invoke(*args: str) -> tuple[int, str]:
    result = CliRunner().invoke(app, list(args))
    return result.exit_code, result.output


@pytest.fixture(scope="module")
def seeded_dir(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """A data dir after ``admit seed-demo`` (database and keys), seeded once for the module."""
    data = tmp_path_factory.mktemp("seeded")
    with logging_kept(), pytest.MonkeyPatch.context() as patch:
        patch.setenv("ADMIT_DATA_DIR", str(data))
        patch.delenv("ADMIT_DATABASE_URL", raising=False)
        code, out = _invoke("seed-demo")
    assert code == 0, out
    return data


@pytest.fixture
def seeded_env(cli_env: Path, seeded_dir: Path) -> None:
    """``cli_env``'s data dir holding a copy of the seeded demo: what ``admit seed-demo`` leaves
    there."""
    shutil.copytree(seeded_dir, cli_env.parent, dirs_exist_ok=True)


def _count(db: Path, table: str) -> int:
    with sqlite3.connect(db) as conn:
        return int(conn.execute(f"SELECT count(*) FROM {table}").fetchone()[0])


def test_seed_demo_creates_cinema_and_stadium_once(cli_env: Path) -> None:
    code, out = _invoke("seed-demo")
    assert code == 0, out
    assert "Demo data created" in out
    with sqlite3.connect(cli_env) as conn:
        maps = dict(conn.execute("SELECT name, seat_count FROM seat_map").fetchall())
        sections = conn.execute(
            "SELECT count(*), count(DISTINCT level_id) FROM map_section "
            "JOIN seat_map ON seat_map.id = map_section.seat_map_id "
            "WHERE seat_map.name = 'Harbour Stadium'"
        ).fetchone()
        venues = [r[0] for r in conn.execute("SELECT code FROM venue ORDER BY code")]
    assert maps["Hall 1"] == 204
    assert maps["Harbour Stadium"] >= 20000
    assert sections[0] >= 40
    assert sections[1] >= 2
    assert venues == ["CINEMA-C001", "CINEMA-C002", "HBR-STAD", "STAR-PD"]  # with partners
    sessions = _count(cli_env, "session")
    code, out = _invoke("seed-demo")
    assert code == 0
    assert "already present" in out
    assert _count(cli_env, "session") == sessions


@pytest.mark.usefixtures("seeded_env")
def test_import_seatmap_refuses_a_bad_file_and_writes_nothing(
    cli_env: Path, tmp_path: Path
) -> None:
    before = (_count(cli_env, "seat_map"), _count(cli_env, "seat"), _count(cli_env, "audit_log"))
    bad = tmp_path / "bad.csv"
    bad.write_text(
        "record,code,name,level,section,row,number,x,y,attributes,capacity\n"
        "map,,Bad,,,,,,,,\n"
        "level,L1,Floor,,,,,,,,\n"
        "section,A,Block A,L1,,,,,,,\n"
        "seat,,,,A,1,1,0,0,,\n"
        "seat,,,,B,1,2,1,0,,\n"
    )
    code, out = _invoke("import-seatmap", str(bad), "--venue", "STAR-PD")
    assert code == 2
    assert "line 6" in out
    assert "unknown section" in out
    after = (_count(cli_env, "seat_map"), _count(cli_env, "seat"), _count(cli_env, "audit_log"))
    assert after == before


@pytest.mark.usefixtures("seeded_env")
def test_import_seatmap_stores_a_good_file(cli_env: Path, tmp_path: Path) -> None:
    good = tmp_path / "hall2.json"
    good.write_text(to_json(cinema_hall("Hall 2", rows=5, seats_per_row=10)))
    code, out = _invoke("import-seatmap", str(good), "--venue", "STAR-PD")
    assert code == 0, out
    assert "50 seats" in out
    code, out = _invoke("import-seatmap", str(good), "--venue", "NOPE")
    assert code != 0


@pytest.mark.usefixtures("seeded_env")
def test_audit_verify_passes_then_finds_tampering(cli_env: Path) -> None:
    code, out = _invoke("audit", "verify")
    assert code == 0
    assert "intact" in out
    with sqlite3.connect(cli_env) as conn:
        conn.execute("DROP TRIGGER audit_log_no_update")
        conn.execute("UPDATE audit_log SET data = replace(data, 'Star', 'Stah') WHERE seq = 2")
    code, out = _invoke("audit", "verify")
    assert code == 1
    assert "broken at entry 2" in out


def test_create_admin_prints_a_working_token(cli_env: Path) -> None:
    code, out = _invoke("create-admin", "--username", "boss", "--password", "a long secret 1")
    assert code == 0, out
    assert "Bearer token:" in out
    code, out = _invoke("create-admin", "--username", "boss", "--password", "a long secret 1")
    assert code == 2
    assert "already_exists" in out
    code, out = _invoke("create-admin", "--username", "short", "--password", "short")
    assert code == 2
    assert "at least 10" in out


def test_rotate_keys_moves_personal_data_to_the_new_key(
    cli_env: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    old, new = Fernet.generate_key().decode(), Fernet.generate_key().decode()
    monkeypatch.setenv("ADMIT_FIELD_KEYS", old)
    assert _invoke("migrate")[0] == 0

    async def queue_two() -> None:
        rt = Runtime.from_settings(load_settings())
        async with rt.uow(SYSTEM) as uow:
            for phone in ("13800138000", "13900139000"):
                await queue_message(
                    uow,
                    rt.crypto,
                    channel="sms",
                    to=phone,
                    template="SMS_VERIFY_CODE",
                    params={"code": "123456", "minutes": "10"},
                    now=T0,
                )
        await rt.close()

    asyncio.run(queue_two())
    monkeypatch.setenv("ADMIT_FIELD_KEYS", f"{new},{old}")
    code, out = _invoke("rotate-keys")
    assert code == 0, out
    assert "2 rows re-encrypted" in out
    only_new = FieldCrypto(keys=(new.encode(),), lookup_key=b"unused")
    only_old = FieldCrypto(keys=(old.encode(),), lookup_key=b"unused")
    with sqlite3.connect(cli_env) as conn:
        rows = conn.execute("SELECT to_enc FROM outbound_message ORDER BY id").fetchall()
    assert [only_new.decrypt(r[0]) for r in rows] == ["13800138000", "13900139000"]
    with pytest.raises(UndecryptableValue):
        only_old.decrypt(rows[0][0])


@pytest.mark.usefixtures("seeded_env")
def test_check_finds_a_counter_that_does_not_add_up(cli_env: Path) -> None:
    code, out = _invoke("check")
    assert (code, "Consistent" in out) == (0, True)
    with sqlite3.connect(cli_env) as conn:
        conn.execute(
            "UPDATE sales_window_quota_slice SET sold = sold + 1 WHERE counter_id = 1 AND slice = 0"
        )
    code, out = _invoke("check")
    assert code == 1
    assert "sales_window_quota_slice 1/0" in out
