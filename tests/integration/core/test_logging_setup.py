"""One logging pipeline for every process: structlog's events and the standard library's
records (uvicorn's) alike are redacted, carry their exception as plain text without local
variables, and in JSON mode are one JSON object a line; the ``--workers`` factory configures
it as the commands do, and startup errors are one line."""

from __future__ import annotations

import asyncio
import json
import logging
import os
import sys
from pathlib import Path
from typing import Any

import pytest
import structlog
from typer.testing import CliRunner

from admit.app import from_environment
from admit.cli import app as cli_app
from admit.cli import commands, main, serving
from admit.core.config import Settings
from admit.core.logging import configure_logging

DB_PASSWORD = "pw-0f9e8d7c6b5a"
BANK_SECRET = "bank-4b8f2c1d9e7a"
LOCAL_VALUE = "local-only-5e6f7a8b"


def _fail(value: str) -> None:
    raise RuntimeError(f"failed while connecting with {BANK_SECRET}")


def _log_failures() -> None:
    secret_local = LOCAL_VALUE + "!"  # would be printed by a traceback showing locals
    try:
        _fail(secret_local)
    except RuntimeError:
        structlog.get_logger("admit.test").exception("unhandled_error", password=DB_PASSWORD)
        logging.getLogger("uvicorn.error").error("Exception in ASGI application\n", exc_info=True)
    logging.getLogger("uvicorn.error").info(
        "using postgresql+asyncpg://admit:%s@db/admit", DB_PASSWORD
    )


def _settings(tmp_path: Path, **extra: Any) -> Settings:
    return Settings(
        data_dir=tmp_path,
        database_url=f"postgresql+asyncpg://admit:{DB_PASSWORD}@127.0.0.1:1/admit",
        bank_secret=BANK_SECRET,
        **extra,
    )


def _check(out: str) -> None:
    assert out.count("Traceback (most recent call last)") == 2, out
    for secret in (DB_PASSWORD, BANK_SECRET, LOCAL_VALUE):
        assert secret not in out


def test_json_lines(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    configure_logging(_settings(tmp_path, log_json=True))
    _log_failures()
    out = capsys.readouterr().out
    _check(out)
    records = [json.loads(line) for line in out.splitlines()]
    assert [(r["logger"], r["level"]) for r in records] == [
        ("admit.test", "error"),
        ("uvicorn.error", "error"),
        ("uvicorn.error", "info"),
    ]
    assert records[0]["password"] == "***"
    assert records[0]["exception"].endswith("RuntimeError: failed while connecting with ***")
    assert records[1]["exception"] == records[0]["exception"]
    assert records[2]["event"] == "using postgresql+asyncpg://admit:***@db/admit"


def test_console_lines(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    configure_logging(_settings(tmp_path))
    _log_failures()
    out = capsys.readouterr().out
    _check(out)
    assert "unhandled_error" in out
    assert "[uvicorn.error]" in out


def test_every_server_process_configures_logging(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    """``from_environment`` is what each ``admit serve --workers N`` process calls."""
    monkeypatch.setenv("ADMIT_DATA_DIR", str(tmp_path))
    monkeypatch.setenv("ADMIT_LOG_JSON", "true")
    monkeypatch.setenv("ADMIT_BANK_SECRET", BANK_SECRET)
    monkeypatch.setenv("ADMIT_GC_GEN0_THRESHOLD", "0")  # keep this process's collector
    monkeypatch.delenv("ADMIT_DATABASE_URL", raising=False)
    from_environment()
    _log_failures()
    out = capsys.readouterr().out
    assert BANK_SECRET not in out
    assert all(json.loads(line) for line in out.splitlines())


def test_uvicorn_keeps_to_our_logging(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    import uvicorn

    calls: list[dict[str, Any]] = []
    monkeypatch.setattr(uvicorn, "run", lambda *_, **kw: calls.append(kw))
    for name in ("ADMIT_HOST", "ADMIT_PORT"):  # ``--workers`` hands them to its processes
        monkeypatch.setenv(name, os.environ.get(name, ""))
        monkeypatch.delenv(name)
    # gc_gen0_threshold=0: serving would otherwise retune this process's collector.
    settings = Settings(data_dir=tmp_path, run_worker_in_process=False, gc_gen0_threshold=0)
    serving._serve(settings, None, 1, workers=1)
    serving._serve(settings, None, 1, workers=2)
    assert [(c["log_config"], c["access_log"]) for c in calls] == [(None, False)] * 2


def test_a_bad_setting_is_one_line(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("ADMIT_DATA_DIR", str(tmp_path))
    monkeypatch.setenv("ADMIT_PORT", "eighty")
    result = CliRunner().invoke(cli_app, ["check"])
    assert result.exit_code == 2
    assert result.output == (
        "admit: ADMIT_PORT: Input should be a valid integer, unable to parse string as an integer\n"
    )


def test_an_unreachable_database_is_one_line(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("ADMIT_DATA_DIR", str(tmp_path))
    monkeypatch.setenv(
        "ADMIT_DATABASE_URL", f"postgresql+asyncpg://admit:{DB_PASSWORD}@127.0.0.1:1/admit"
    )
    monkeypatch.setenv("ADMIT_ENVIRONMENT", "development")
    for command in ("migrate", "check"):
        result = CliRunner().invoke(cli_app, [command])
        assert result.exit_code == 2, result.output
        assert result.output == (
            "admit: cannot reach the database at postgresql+asyncpg://admit:***@127.0.0.1:1/"
            "admit: Connect call failed ('127.0.0.1', 1)\n"
        )


def test_a_failing_command_is_logged_without_locals(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    """``admit`` (``admit.cli.main``) logs what a command raises through the configured
    logging, never as Typer's Rich traceback with its local variables."""

    def failing(_rt: Any) -> Any:
        _log_failures_local = LOCAL_VALUE + "?"  # noqa: F841  (what Rich would have shown)
        raise RuntimeError(f"cannot go on with {BANK_SECRET}")

    async def fail(rt: Any) -> Any:
        return failing(rt)

    monkeypatch.setenv("ADMIT_DATA_DIR", str(tmp_path))
    monkeypatch.setenv("ADMIT_LOG_JSON", "true")
    monkeypatch.setenv("ADMIT_BANK_SECRET", BANK_SECRET)
    monkeypatch.delenv("ADMIT_DATABASE_URL", raising=False)
    monkeypatch.setattr(commands, "_run", lambda work, settings=None: asyncio.run(fail(None)))
    monkeypatch.setattr(sys, "argv", ["admit", "check"])
    with pytest.raises(SystemExit) as exited:
        main()
    assert exited.value.code == 1
    captured = capsys.readouterr()
    [record] = [json.loads(line) for line in captured.out.splitlines()]
    assert record["event"] == "command_failed"
    assert record["exception"].endswith("RuntimeError: cannot go on with ***")
    for secret in (BANK_SECRET, LOCAL_VALUE):
        assert secret not in captured.out + captured.err


def test_an_unhandled_error_is_one_traceback(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    """The error handler logs the traceback with the request's id; Starlette then raises the
    error again for the server, whose own "Exception in ASGI application" record is dropped."""
    import httpx
    import uvicorn
    from fastapi import FastAPI

    from admit.http.errors import install_error_handlers

    configure_logging(_settings(tmp_path))
    app = FastAPI()
    install_error_handlers(app)

    @app.get("/boom")
    async def boom() -> None:
        _fail("x")

    async def serve_and_call() -> int:
        config = uvicorn.Config(app, port=0, log_config=None, lifespan="off")
        server = uvicorn.Server(config)
        task = asyncio.create_task(server.serve())
        while not server.started:
            await asyncio.sleep(0.01)
        port = server.servers[0].sockets[0].getsockname()[1]
        async with httpx.AsyncClient() as http:
            status = (await http.get(f"http://127.0.0.1:{port}/boom")).status_code
        server.should_exit = True
        await task
        return status

    assert asyncio.run(serve_and_call()) == 500
    out = capsys.readouterr().out
    assert out.count("Traceback (most recent call last)") == 1, out
    assert "unhandled_error" in out
    assert BANK_SECRET not in out


def test_the_servers_raw_access_log_stays_off(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    """uvicorn's access log writes the raw path and query (ids, tokens): ours replaces it, even
    in a process where something configured uvicorn's loggers to propagate first."""
    access = logging.getLogger("uvicorn.access")
    access.propagate = True
    configure_logging(_settings(tmp_path))
    access.info('127.0.0.1:1 - "GET /api/v1/tickets/%s HTTP/1.1" 200', "tok3n-in-the-path")
    logging.getLogger("uvicorn.error").info("Started server process")
    out = capsys.readouterr().out
    assert "tok3n-in-the-path" not in out
    assert "Started server process" in out
