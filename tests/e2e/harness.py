"""Machinery of the multi-process end-to-end tests: a fresh PostgreSQL database, ``admit serve``
/ ``admit worker`` / ``admit sim bank|sms`` subprocesses with health checks (killed and
restarted at will), seeding through the admin API, customers with tokens, and a buyer's HTTP
calls. Every process writes stdout and stderr to a log file; :meth:`Cluster.logs` collects them
(``tests/e2e/conftest.py`` attaches them to a failing test's report)."""

from __future__ import annotations

import asyncio
import contextlib
import os
import signal
import socket
import subprocess
import sys
import time
from collections.abc import (
    AsyncIterator,
    Callable,
    Coroutine,
    Iterator,
    Sequence,
)
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, TypeVar

import httpx
from cryptography.fernet import Fernet

from admit.core.clock import Clock
from admit.core.config import Settings
from admit.core.runtime import Runtime
from tests.conftest import _pg_admin_sync, _pg_url, clone_database_sql

T = TypeVar("T")
KEYS = {
    "ADMIT_FIELD_KEYS": Fernet.generate_key().decode(),
    "ADMIT_LOOKUP_KEY": Fernet.generate_key().decode(),
}
SEATS = [f"L1-HALL-{row}-{n}" for row in "ABCDE" for n in range(1, 11)]  # the 5 × 10 hall
GA_AREA = "FLOOR"
START_TIMEOUT_S = 60.0
LOG_TAIL_LINES = 80
GATEWAY_RETRIES = 5


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


def run_async(work: Callable[[], Coroutine[Any, Any, T]]) -> T:
    """Run a coroutine on its own loop in a thread: for sync (module-scoped) fixtures, which
    may be set up while a test's loop is running."""
    with ThreadPoolExecutor(max_workers=1) as pool:
        return pool.submit(lambda: asyncio.run(work())).result()


@contextlib.contextmanager
def fresh_database(template: str, name: str) -> Iterator[str]:
    """A database cloned from the migrated template; its URL. Dropped afterwards."""
    db = f"admit_{name}_{os.getpid()}"
    _pg_admin_sync(f"DROP DATABASE IF EXISTS {db} WITH (FORCE)")
    _pg_admin_sync(clone_database_sql(db, template))
    try:
        yield _pg_url(db)
    finally:
        _pg_admin_sync(f"DROP DATABASE IF EXISTS {db} WITH (FORCE)")


class Service:
    """One ``python -m admit …`` subprocess writing stdout and stderr to its log file: ready
    when ``url`` + ``health`` answers 200, or when its latest start has logged ``ready_text``.
    Killable and restartable; the log keeps every start."""

    def __init__(
        self,
        name: str,
        argv: Sequence[str],
        env: dict[str, str],
        log: Path,
        *,
        url: str = "",
        health: str = "",
        ready_text: str = "",
    ) -> None:
        self.name = name
        self.argv = [sys.executable, "-m", "admit", *argv]
        self.env = env
        self.log = log
        self.url = url
        self.health = health
        self.ready_text = ready_text
        self.proc: subprocess.Popen[bytes] | None = None
        self.starts = 0

    @property
    def alive(self) -> bool:
        return self.proc is not None and self.proc.poll() is None

    def _marker(self) -> str:
        return f"\n===== start #{self.starts} of {self.name} =====\n"

    def start(self) -> None:
        assert not self.alive, f"{self.name} is already running"
        self.starts += 1
        with self.log.open("ab") as out:
            out.write(self._marker().encode())
            out.flush()
            self.proc = subprocess.Popen(
                self.argv, env=self.env, stdout=out, stderr=subprocess.STDOUT
            )

    def ready(self) -> bool:
        if self.ready_text:
            latest = self.log.read_text(errors="replace").rpartition(self._marker())[2]
            return self.ready_text in latest
        try:
            return httpx.get(self.url + self.health, timeout=1).status_code == 200
        except httpx.TransportError:
            return False

    def wait_ready(self, timeout: float = START_TIMEOUT_S) -> None:
        deadline = time.monotonic() + timeout
        while not self.ready():
            assert self.alive, f"{self.name} exited:\n{self.tail()}"
            assert time.monotonic() < deadline, f"{self.name} did not start:\n{self.tail()}"
            time.sleep(0.1)

    def kill(self) -> None:
        """SIGKILL: no shutdown, nothing rolled back on the way out (the database does it)."""
        if self.proc is not None and self.proc.poll() is None:
            self.proc.send_signal(signal.SIGKILL)
            self.proc.wait(timeout=30)

    def stop(self) -> None:
        if self.proc is None or self.proc.poll() is not None:
            return
        self.proc.terminate()
        try:
            self.proc.wait(timeout=15)
        except subprocess.TimeoutExpired:
            self.kill()

    def restart(self) -> None:
        self.kill()
        self.start()
        self.wait_ready()

    def tail(self, lines: int = LOG_TAIL_LINES) -> str:
        if not self.log.exists():
            return "(no log)"
        text = self.log.read_text(errors="replace").splitlines()
        return "\n".join(text[-lines:])


@dataclass
class Cluster:
    """The processes of one test database: servers (each with its own public URL, so the
    bank notifies the server that opened the trade), and optionally the bank and SMS
    simulators and a worker."""

    pg_url: str
    data_dir: Path
    servers: list[Service] = field(default_factory=list)
    urls: list[str] = field(default_factory=list)
    bank: Service | None = None
    bank_url: str = ""
    sms: Service | None = None
    sms_url: str = ""
    worker: Service | None = None

    @property
    def services(self) -> list[Service]:
        extra = [s for s in (self.bank, self.sms, self.worker) if s is not None]
        return [*extra, *self.servers]

    def settings(self) -> Settings:
        return Settings(
            data_dir=self.data_dir,
            database_url=self.pg_url,
            field_keys=KEYS["ADMIT_FIELD_KEYS"],
            lookup_key=KEYS["ADMIT_LOOKUP_KEY"],
            bank_url=self.bank_url or None,
            sms_url=self.sms_url or None,
            run_worker_in_process=False,
            simulators_in_process=False,
            db_pool_size=5,
        )

    @contextlib.asynccontextmanager
    async def runtime(self, clock: Clock | None = None) -> AsyncIterator[Runtime]:
        """A runtime of the test process on the cluster's database."""
        rt = Runtime.from_settings(self.settings(), clock=clock)
        try:
            yield rt
        finally:
            await rt.close()

    def logs(self) -> str:
        return "\n\n".join(f"----- {s.name} ({s.log}) -----\n{s.tail()}" for s in self.services)

    def close(self) -> None:
        for service in self.services:
            service.stop()


def _base_env(pg_url: str, data_dir: Path) -> dict[str, str]:
    env = {k: v for k, v in os.environ.items() if not k.startswith("ADMIT_")}
    return {
        **env,
        **KEYS,
        "ADMIT_DATABASE_URL": pg_url,
        "ADMIT_DATA_DIR": str(data_dir),
        "ADMIT_RUN_WORKER_IN_PROCESS": "false",
        "ADMIT_SIMULATORS_IN_PROCESS": "false",
        # PostgreSQL with the simulators' default secrets: a development deployment.
        "ADMIT_ENVIRONMENT": "development",
        "ADMIT_LOG_LEVEL": "WARNING",
        # Every simulated buyer comes from 127.0.0.1: the request budgets and the on-sale's
        # per-address limits (holds, waiting-room joins) would stop the races and benchmarks,
        # not bots. The load generator's network is exempt, by configuration.
        "ADMIT_LIMIT_EXEMPT_NETWORKS": '["127.0.0.0/8"]',
        "PYTHONUNBUFFERED": "1",
    }


@contextlib.contextmanager
def start_cluster(
    pg_url: str,
    data_dir: Path,
    *,
    servers: int = 2,
    bank: bool = False,
    sms: bool = False,
    worker: bool = False,
    pool_size: int = 12,
    worker_poll_seconds: float = 0.5,
) -> Iterator[Cluster]:
    """Start the processes, wait until each answers, and stop (or kill) them all on the way
    out, whatever happens. Pools are sized so that two servers, a worker and the test stay
    well under PostgreSQL's 100 connections (each pool may double under load)."""
    data_dir.mkdir(parents=True, exist_ok=True)
    cluster = Cluster(pg_url=pg_url, data_dir=data_dir)
    env = _base_env(pg_url, data_dir)
    try:
        if bank:
            port = free_port()
            cluster.bank_url = f"http://127.0.0.1:{port}"
            args = ["sim", "bank", "--port", str(port), "--public-url", cluster.bank_url]
            cluster.bank = Service(
                "bank",
                args,
                dict(env),
                data_dir / "bank.log",
                url=cluster.bank_url,
                health="/_control",
            )
            env["ADMIT_BANK_URL"] = cluster.bank_url
        if sms:
            port = free_port()
            cluster.sms_url = f"http://127.0.0.1:{port}"
            cluster.sms = Service(
                "sms",
                ["sim", "sms", "--port", str(port)],
                dict(env),
                data_dir / "sms.log",
                url=cluster.sms_url,
                health="/v1/_stats",
            )
            env["ADMIT_SMS_URL"] = cluster.sms_url
        for i in range(servers):
            port = free_port()
            url = f"http://127.0.0.1:{port}"
            server_env = {**env, "ADMIT_PUBLIC_URL": url, "ADMIT_DB_POOL_SIZE": str(pool_size)}
            cluster.servers.append(
                Service(
                    f"server{i}",
                    ["serve", "--port", str(port)],
                    server_env,
                    data_dir / f"server{i}.log",
                    url=url,
                    # The process answers (migrated, listening); readiness would also wait
                    # for the worker, which a cluster may run without.
                    health="/livez",
                )
            )
            cluster.urls.append(url)
        if worker:
            cluster.worker = Service(
                "worker",
                ["worker"],
                {
                    **env,
                    "ADMIT_DB_POOL_SIZE": "4",
                    "ADMIT_WORKER_POLL_SECONDS": str(worker_poll_seconds),
                },
                data_dir / "worker.log",
                ready_text="Worker running",
            )
        for service in cluster.services:
            service.start()
        for service in cluster.services:
            service.wait_ready()
        yield cluster
    finally:
        cluster.close()


# --- seeding ------------------------------------------------------------------------------


@contextlib.contextmanager
def running_demo(data_dir: Path, *, timeout: float = 180.0) -> Iterator[str]:
    """``admit demo`` (SQLite, demo catalogue, simulators and worker in process) on a free
    port with ``data_dir`` as its data dir, until healthy: its base URL. Stopped afterwards;
    its output is in ``data_dir/server.log`` and shown when it fails to start."""
    port = free_port()
    env = {
        **os.environ,
        "ADMIT_DATA_DIR": str(data_dir),
        # The page tests' requests, holds, sign-up codes and registrations all come from
        # 127.0.0.1: that network is exempt from the address budgets, by configuration.
        "ADMIT_LIMIT_EXEMPT_NETWORKS": '["127.0.0.0/8"]',
    }
    env.pop("ADMIT_DATABASE_URL", None)
    log = data_dir / "server.log"
    with log.open("w") as out:
        proc = subprocess.Popen(
            [sys.executable, "-m", "admit", "demo", "--port", str(port)],
            env=env,
            stdout=out,
            stderr=subprocess.STDOUT,
        )
    base = f"http://127.0.0.1:{port}"
    try:
        deadline = time.monotonic() + timeout
        while True:
            assert proc.poll() is None, log.read_text()
            try:
                if httpx.get(f"{base}/healthz", timeout=1).status_code == 200:
                    break
            except httpx.TransportError:
                pass
            assert time.monotonic() < deadline, log.read_text()
            time.sleep(0.3)
        yield base
    finally:
        proc.terminate()
        proc.wait(timeout=30)


@contextlib.contextmanager
def serving(url: str, data_dir: Path, *argv: str, **extra: str) -> Iterator[Service]:
    """``admit serve`` with ``argv`` on a free port, on ``url``, with ``extra`` settings (and
    nothing else of this environment's ``ADMIT_*``), until it answers ``/livez``."""
    port = free_port()
    env = {
        **KEYS,
        "PATH": "/usr/bin:/bin",
        "PYTHONPATH": os.environ.get("PYTHONPATH", ""),  # the code under test, not an install
        "ADMIT_DATABASE_URL": url,
        "ADMIT_DATA_DIR": str(data_dir),
        "ADMIT_RUN_WORKER_IN_PROCESS": "false",
        "ADMIT_SIMULATORS_IN_PROCESS": "false",
        "ADMIT_ENVIRONMENT": "development",
        **extra,
    }
    server = Service(
        "serve",
        ["serve", "--port", str(port), *argv],
        env,
        data_dir / f"serve-{port}.log",
        url=f"http://127.0.0.1:{port}",
        health="/livez",  # no worker runs: readiness would fail on its heartbeat
    )
    server.start()
    try:
        server.wait_ready()
        yield server
    finally:
        server.stop()
