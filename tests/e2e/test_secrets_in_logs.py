"""No secret reaches any output (issue 34, first acceptance point): a production deployment
with known secret values (the database password, the field-encryption and lookup keys, the
gateways' secrets, a customer's token) runs ``admit migrate``, ``admit serve --workers 2`` and
``admit worker`` through a clean stop and a kill -9 of its PostgreSQL while a customer's
requests fail, in console and in JSON mode. None of the values appears in what any process
wrote, no traceback shows local variables, and in JSON mode every line is a JSON object."""

from __future__ import annotations

import asyncio
import contextlib
import json
import os
import secrets
import time
from pathlib import Path

import httpx
import pytest
from cryptography.fernet import Fernet

from admit.core.config import Settings
from admit.core.runtime import Runtime
from tests.e2e.harness import Service, free_port
from tests.e2e.shop import create_customers
from tests.support.pg_cluster import PgCluster, private_cluster

pytestmark = pytest.mark.whole_machine

PASSWORD = f"Pg-{secrets.token_hex(8)}"
SECRETS = {
    "ADMIT_FIELD_KEYS": Fernet.generate_key().decode(),
    "ADMIT_LOOKUP_KEY": Fernet.generate_key().decode(),
    "ADMIT_SMS_SECRET": f"sms-{secrets.token_hex(8)}",
    "ADMIT_BANK_SECRET": f"bank-{secrets.token_hex(8)}",
    "ADMIT_IDENTITY_SECRET": f"identity-{secrets.token_hex(8)}",
    "ADMIT_CINEMA_SECRET": f"cinema-{secrets.token_hex(8)}",
}
ROUNDS = 3  # requests per phase of the outage


def _env(url: str, data_dir: Path, *, as_json: bool) -> dict[str, str]:
    env = {k: v for k, v in os.environ.items() if not k.startswith("ADMIT_")}
    return {
        **env,
        **SECRETS,
        "ADMIT_DATABASE_URL": url,
        "ADMIT_DATA_DIR": str(data_dir),
        "ADMIT_ENVIRONMENT": "production",  # every refusal satisfied by the settings above
        "ADMIT_RUN_WORKER_IN_PROCESS": "false",
        "ADMIT_SIMULATORS_IN_PROCESS": "false",
        "ADMIT_LOG_LEVEL": "INFO",
        "ADMIT_LOG_JSON": "true" if as_json else "false",
        "ADMIT_WORKER_POLL_SECONDS": "0.2",
        "ADMIT_DB_POOL_SIZE": "3",
        "PYTHONUNBUFFERED": "1",
    }


def _customer_token(url: str, data_dir: Path) -> str:
    settings = Settings(
        data_dir=data_dir,
        database_url=url,
        field_keys=SECRETS["ADMIT_FIELD_KEYS"],
        lookup_key=SECRETS["ADMIT_LOOKUP_KEY"],
    )

    async def work() -> str:
        rt = Runtime.from_settings(settings)
        try:
            [token] = await create_customers(rt, 1)
        finally:
            await rt.close()
        return token

    return asyncio.run(work())


def _customer_calls(base: str, token: str) -> None:
    """What a signed-in customer's app sends, the token also where it should never be."""
    with httpx.Client(base_url=base, timeout=10) as c:
        for _ in range(ROUNDS):
            for method, path in (
                ("GET", "/api/v1/me"),
                ("GET", f"/api/v1/me?token={token}"),
                ("POST", "/api/v1/auth/logout"),
                ("GET", f"/api/v1/tickets/{token}"),
                ("GET", f"/nowhere/{token}"),
            ):
                with contextlib.suppress(httpx.TransportError):
                    c.request(method, path, headers={"Authorization": f"Bearer {token}"})


def _through_outages(pg: PgCluster, base: str, token: str) -> None:
    _customer_calls(base, token)
    pg.stop()
    _customer_calls(base, token)
    time.sleep(0.6)  # a few worker cycles fail too
    pg.start()
    _customer_calls(base, token)
    pg.kill()
    _customer_calls(base, token)
    time.sleep(0.6)
    pg.start()
    _customer_calls(base, token)


def _run_deployment(pg: PgCluster, url: str, data_dir: Path, *, as_json: bool) -> list[Path]:
    env = _env(url, data_dir, as_json=as_json)
    mode = "json" if as_json else "console"
    migrate = Service("migrate", ["migrate"], env, data_dir / f"migrate-{mode}.log")
    migrate.start()
    assert migrate.proc is not None
    assert migrate.proc.wait(timeout=120) == 0, migrate.tail()
    token = _customer_token(url, data_dir)
    port = free_port()
    server = Service(
        "serve",
        ["serve", "--port", str(port), "--workers", "2"],
        env,
        data_dir / f"serve-{mode}.log",
        url=f"http://127.0.0.1:{port}",
        health="/healthz",
    )
    worker = Service(
        "worker", ["worker"], env, data_dir / f"worker-{mode}.log", ready_text="Worker running"
    )
    try:
        server.start()
        worker.start()
        server.wait_ready()
        worker.wait_ready()
        _through_outages(pg, server.url, token)
    finally:
        server.stop()
        worker.stop()
    (data_dir / f"token-{mode}").write_text(token)
    return [migrate.log, server.log, worker.log]


def _written(log: Path) -> list[str]:
    """The lines a process wrote (the harness's own start markers left out)."""
    return [
        line
        for line in log.read_text(errors="replace").splitlines()
        if line.strip() and not line.startswith("===== start #")
    ]


def _check(logs: list[Path], token: str, *, as_json: bool) -> None:
    every = [*SECRETS.values(), PASSWORD, token]
    outages = 0
    for log in logs:
        lines = _written(log)
        text = "\n".join(lines)
        for value in every:
            assert value not in text, f"{log.name} shows a secret:\n{text[-3000:]}"
        # Rich's traceback box (and its locals panel) never; tracebacks are plain text.
        assert "locals" not in text, log.name
        assert "╭" not in text, log.name
        outages += text.count("database_unavailable")
        if as_json:
            for line in lines:
                assert isinstance(json.loads(line), dict), f"{log.name}: {line}"
    # The outages were logged (each process: the error that cut it off, with the database's
    # URL in its text) and went through the same checks; they are no longer tracebacks.
    assert outages > 0


def test_no_secret_reaches_any_output(tmp_path: Path) -> None:
    with private_cluster() as pg:
        pg.psql(f"CREATE ROLE admit LOGIN PASSWORD '{PASSWORD}'")
        pg.psql("CREATE DATABASE admit OWNER admit")
        # The cluster trusts local logins: the password is checked by nothing but this test.
        url = f"postgresql+asyncpg://admit:{PASSWORD}@127.0.0.1:{pg.port}/admit"
        for as_json in (False, True):
            data_dir = tmp_path / ("json" if as_json else "console")
            data_dir.mkdir()
            logs = _run_deployment(pg, url, data_dir, as_json=as_json)
            mode = "json" if as_json else "console"
            _check(logs, (data_dir / f"token-{mode}").read_text(), as_json=as_json)
