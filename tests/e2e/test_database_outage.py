"""Issue 34's acceptance: PostgreSQL stopped under load (a fast shutdown, then a kill -9 of the
postmaster) while ``admit serve --workers 2`` and ``admit worker`` run. Meanwhile every request
is answered 503 with ``Retry-After`` (no 500, no timeout), readiness fails and liveness passes;
once PostgreSQL is back, requests succeed again without restarting anything.

Nothing here asserts a duration; the times measured (how fast the 503s came, how long after
the restart service resumed) are written to ``ADMIT_OUTAGE_REPORT`` when it names a file, and
their figures are in docs/benchmarks.md."""

from __future__ import annotations

import json
import os
import subprocess
import sys
import threading
import time
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import httpx
import pytest

from tests.e2e.harness import KEYS, Service, free_port
from tests.support.pg_cluster import PgCluster, private_cluster

CLIENTS = 4
CLIENT_TIMEOUT_S = 5.0  # a frozen server would show as a timeout, never as a slow 200
STEADY_S = 1.5
OUTAGE_S = 3.0
RECOVERY_WAIT_S = 30.0  # how long the test waits for service to come back before failing
AFTER_S = 1.5
DB_ROUTE = "/api/v1/sessions"


@dataclass(frozen=True)
class Answer:
    sent: float
    took: float
    path: str
    status: int  # 0: no answer (timeout or connection error)
    retry_after: str | None
    code: str | None


@dataclass
class Recorder:
    base: str
    answers: list[Answer] = field(default_factory=list)
    stop: threading.Event = field(default_factory=threading.Event)
    lock: threading.Lock = field(default_factory=threading.Lock)

    def _ask(self, client: httpx.Client, path: str) -> None:
        sent = time.monotonic()
        status, retry, code = 0, None, None
        try:
            response = client.get(path)
            status, retry = response.status_code, response.headers.get("Retry-After")
            if response.headers.get("content-type", "").startswith("application/json"):
                body = response.json()
                code = body.get("error", {}).get("code") if isinstance(body, dict) else None
        except httpx.HTTPError as exc:
            code = type(exc).__name__
        with self.lock:
            self.answers.append(Answer(sent, time.monotonic() - sent, path, status, retry, code))

    def run(self, paths: tuple[str, ...], pause: float) -> None:
        with httpx.Client(base_url=self.base, timeout=CLIENT_TIMEOUT_S) as client:
            while not self.stop.is_set():
                for path in paths:
                    self._ask(client, path)
                time.sleep(pause)


@contextmanager
def _load(base: str) -> Iterator[Recorder]:
    recorder = Recorder(base)
    threads = [
        threading.Thread(target=recorder.run, args=((DB_ROUTE,), 0.01)) for _ in range(CLIENTS)
    ]
    threads.append(threading.Thread(target=recorder.run, args=(("/readyz", "/livez"), 0.1)))
    for thread in threads:
        thread.start()
    try:
        yield recorder
    finally:
        recorder.stop.set()
        for thread in threads:
            thread.join(timeout=30)


def _environment(pg: PgCluster, data_dir: Path) -> dict[str, str]:
    return {
        **KEYS,
        "PATH": os.environ.get("PATH", "/usr/bin:/bin"),
        "PYTHONPATH": os.environ.get("PYTHONPATH", ""),
        "ADMIT_DATABASE_URL": pg.url("admit"),
        "ADMIT_DATA_DIR": str(data_dir),
        "ADMIT_ENVIRONMENT": "development",
        "ADMIT_RUN_WORKER_IN_PROCESS": "false",
        "ADMIT_SIMULATORS_IN_PROCESS": "false",
        # Every search reads the database (a cached answer would be a 200 in the outage).
        "ADMIT_AVAILABILITY_CACHE_SECONDS": "0",
        "ADMIT_WORKER_POLL_SECONDS": "0.5",
        # The load comes from this machine: its address is exempt from the request budgets.
        "ADMIT_LIMIT_EXEMPT_NETWORKS": '["127.0.0.0/8"]',
    }


def _wait_until_served(base: str) -> float:
    """Poll the database route until it answers 200; when it did (monotonic)."""
    deadline = time.monotonic() + RECOVERY_WAIT_S
    with httpx.Client(base_url=base, timeout=CLIENT_TIMEOUT_S) as client:
        while time.monotonic() < deadline:
            try:
                if client.get(DB_ROUTE).status_code == 200:
                    return time.monotonic()
            except httpx.HTTPError:
                pass
            time.sleep(0.05)
    raise AssertionError(f"service did not resume within {RECOVERY_WAIT_S} s")


def _outage(pg: PgCluster, base: str, how: str) -> dict[str, Any]:
    with _load(base) as load:
        time.sleep(STEADY_S)
        began = time.monotonic()
        if how == "fast shutdown":
            pg.stop("fast")
        else:
            pg.kill()
        down = time.monotonic()  # the postmaster is gone: nothing may succeed from here
        time.sleep(OUTAGE_S)
        # PostgreSQL may accept connections a little before pg_ctl (polling) says so: the
        # outage ends, for the assertions, when the start begins.
        restarting = time.monotonic()
        pg.start()
        back = time.monotonic()  # pg_ctl has seen PostgreSQL accept connections
        served = _wait_until_served(base)
        time.sleep(AFTER_S)
    answers = sorted(load.answers, key=lambda a: a.sent)
    during = [a for a in answers if down <= a.sent and a.sent + a.took < restarting]
    db_during = [a for a in during if a.path == DB_ROUTE]
    assert db_during, "no request was answered during the outage"
    assert [a for a in answers if a.status in (0, 500)] == [], how
    for a in db_during:
        assert (a.status, a.code) == (503, "database_unavailable"), (how, a)
        assert a.retry_after is not None, a
    assert {a.status for a in during if a.path == "/readyz"} == {503}, how
    assert {a.status for a in answers if a.path == "/livez"} == {200}, how
    late = [a for a in answers if a.path == DB_ROUTE and a.sent >= served]
    assert late, "no request after the database came back"
    assert {a.status for a in late[-CLIENTS * 3 :]} == {200}, how
    last_refused = max(
        (a.sent + a.took for a in answers if a.path == DB_ROUTE and a.status == 503), default=back
    )
    return {
        "outage": how,
        "stop_command_s": round(down - began, 3),
        "requests_during_outage": len(db_during),
        "outage_answer_max_s": round(max(a.took for a in db_during), 3),
        "outage_answer_median_s": round(sorted(a.took for a in db_during)[len(db_during) // 2], 4),
        "start_command_s": round(back - restarting, 3),
        "first_200_after_start_s": round(served - back, 3),
        "last_503_after_start_s": round(max(0.0, last_refused - back), 3),
        "readyz_during": sorted({a.status for a in during if a.path == "/readyz"}),
        "livez_all": sorted({a.status for a in answers if a.path == "/livez"}),
    }


@pytest.mark.whole_machine
def test_database_outage_under_load(tmp_path: Path) -> None:
    with private_cluster() as pg:
        pg.psql("CREATE DATABASE admit")
        env = _environment(pg, tmp_path)
        subprocess.run(
            [sys.executable, "-m", "admit", "migrate"], env=env, check=True, capture_output=True
        )
        port = free_port()
        base = f"http://127.0.0.1:{port}"
        server = Service(
            "serve",
            ["serve", "--port", str(port), "--workers", "2"],
            env,
            tmp_path / "serve.log",
            url=base,
            health="/readyz",  # also waits for the worker's first heartbeat
        )
        worker = Service(
            "worker", ["worker"], env, tmp_path / "worker.log", ready_text="Worker running"
        )
        worker.start()
        server.start()
        try:
            worker.wait_ready()
            server.wait_ready()
            figures = [_outage(pg, base, "fast shutdown"), _outage(pg, base, "kill -9")]
            assert server.alive  # nothing had to be restarted
            assert worker.alive
            server.wait_ready()  # readiness passes again: database, worker heartbeat, outbox
            # One line per outage and process, not a traceback per request.
            assert "Traceback" not in server.log.read_text()
        except AssertionError as failed:
            raise AssertionError(f"{failed}\n--- serve\n{server.tail()}") from failed
        finally:
            server.stop()
            worker.stop()
    report = os.environ.get("ADMIT_OUTAGE_REPORT")
    if report:
        Path(report).write_text(json.dumps(figures, indent=2))
