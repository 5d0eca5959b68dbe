"""The ``admit`` command against real databases: seeding, imports, the audit chain."""

from __future__ import annotations

import asyncio
import os
import shutil
import sqlite3
from pathlib import Path

import pytest
from cryptography.fernet import Fernet
from typer.testing import CliRunner

from admit.app import from_environment
from admit.catalog.seatmap_format import to_json
from admit.catalog.seatmap_generators import cinema_hall
from admit.cli import app, serving
from admit.core.audit_context import SYSTEM
from admit.core.config import Settings, load_settings
from admit.core.crypto import FieldCrypto, UndecryptableValue
from admit.core.runtime import Runtime
from admit.messaging.dispatch import queue_message
from tests.conftest import T0, _pg_admin_sync, _pg_url, clone_database_sql, logging_kept

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


def test_migrate_never_prints_the_database_password(
    cli_env: Path, pg_template: str, monkeypatch: pytest.MonkeyPatch
) -> None:
    name = f"admit_cli_{os.getpid()}"
    _pg_admin_sync(f"DROP DATABASE IF EXISTS {name} WITH (FORCE)")
    _pg_admin_sync(clone_database_sql(name, pg_template))
    try:
        # The test server trusts every local connection, so any password gets in.
        url = _pg_url(name).replace("://postgres@", "://postgres:Hunter2-db-pw@")
        monkeypatch.setenv("ADMIT_DATABASE_URL", url)
        code, out = _invoke("migrate")
    finally:
        _pg_admin_sync(f"DROP DATABASE IF EXISTS {name} WITH (FORCE)")
    assert code == 0, out
    assert "latest schema" in out
    assert "Hunter2-db-pw" not in out
    assert "postgres:***@" in out


# Every variable the production check reads, set as production wants them.
PRODUCTION_READY = {
    "ADMIT_ENVIRONMENT": "production",
    "ADMIT_FIELD_KEYS": Fernet.generate_key().decode(),
    "ADMIT_LOOKUP_KEY": Fernet.generate_key().decode(),
    "ADMIT_SMS_SECRET": "sms-issued-7Hq",
    "ADMIT_IDENTITY_SECRET": "identity-issued-2Lp",
    "ADMIT_BANK_SECRET": "bank-issued-9Zx",
    "ADMIT_CINEMA_SECRET": "cinema-issued-4Kd",
    "ADMIT_SIMULATORS_IN_PROCESS": "false",
}


def _production(monkeypatch: pytest.MonkeyPatch, **changes: str | None) -> None:
    for name, value in {**PRODUCTION_READY, **changes}.items():
        if value is None:
            monkeypatch.delenv(name, raising=False)
        else:
            monkeypatch.setenv(name, value)


@pytest.mark.usefixtures("cli_env")
@pytest.mark.parametrize(
    ("changes", "named"),
    [
        ({"ADMIT_SMS_SECRET": "dev-secret"}, ["ADMIT_SMS_SECRET"]),
        ({"ADMIT_IDENTITY_SECRET": None}, ["ADMIT_IDENTITY_SECRET"]),
        ({"ADMIT_BANK_SECRET": None}, ["ADMIT_BANK_SECRET"]),
        ({"ADMIT_CINEMA_SECRET": None}, ["ADMIT_CINEMA_SECRET"]),
        ({"ADMIT_FIELD_KEYS": None}, ["ADMIT_FIELD_KEYS"]),
        ({"ADMIT_LOOKUP_KEY": None}, ["ADMIT_LOOKUP_KEY"]),
        ({"ADMIT_SIMULATORS_IN_PROCESS": None}, ["ADMIT_SIMULATORS_IN_PROCESS"]),
        (  # no setting at all but a PostgreSQL database: production, every default named
            dict.fromkeys(PRODUCTION_READY)
            | {"ADMIT_DATABASE_URL": "postgresql+asyncpg://admit@127.0.0.1:1/never"},
            [
                "ADMIT_SMS_SECRET",
                "ADMIT_IDENTITY_SECRET",
                "ADMIT_BANK_SECRET",
                "ADMIT_CINEMA_SECRET",
                "ADMIT_FIELD_KEYS",
                "ADMIT_LOOKUP_KEY",
                "ADMIT_SIMULATORS_IN_PROCESS",
            ],
        ),
    ],
)
@pytest.mark.parametrize("workers", ["1", "2"])
def test_serve_refuses_production_with_a_default(
    monkeypatch: pytest.MonkeyPatch,
    changes: dict[str, str | None],
    named: list[str],
    workers: str,
) -> None:
    _production(monkeypatch, **changes)
    code, out = _invoke("serve", "--port", "1", "--workers", workers)
    assert code == 2, out
    assert "Refusing to serve in production" in out
    assert [line.split()[1] for line in out.splitlines() if line.startswith("  • ")] == named
    assert not any(v in out for v in PRODUCTION_READY.values() if len(v) > 12)  # no secret


@pytest.mark.usefixtures("cli_env")
def test_each_server_process_refuses_too(
    monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    """``admit serve --workers N`` processes build their app with ``from_environment``: one
    line per problem, and uvicorn's exit code for a worker that cannot start (its parent
    stops rather than starting it again)."""
    _production(monkeypatch, ADMIT_BANK_SECRET="dev-secret")
    with pytest.raises(SystemExit) as refused:
        from_environment()
    assert refused.value.code == 3
    assert capsys.readouterr().err == (
        "admit: refusing to serve in production: ADMIT_BANK_SECRET is a published default: "
        "set the secret the partner issued\n"
    )
    _production(monkeypatch, ADMIT_GC_GEN0_THRESHOLD="0")  # keep this process's collector
    served = from_environment()
    asyncio.run(served.state.runtime.close())
    assert served.title == "Admit"


@pytest.mark.usefixtures("seeded_env")
def test_demo_says_it_is_a_demo(monkeypatch: pytest.MonkeyPatch) -> None:
    served: list[Settings] = []
    monkeypatch.setattr(serving, "_serve", lambda settings, *_: served.append(settings))
    code, out = _invoke("demo", "--port", "1")
    assert code == 0, out
    assert "This is a demo" in " ".join(out.split())
    assert "/_sim" in out
    assert served  # and then it serves
    monkeypatch.setenv("ADMIT_ENVIRONMENT", "production")
    code, out = _invoke("demo", "--port", "1")
    assert code == 2
    assert "admit demo is a demo" in out
