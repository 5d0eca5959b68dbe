"""The platform under load: a fresh database (PostgreSQL or the SQLite default), migrated; the
``admit serve`` processes (each on its own port, with its own public URL so the bank notifies
the server that opened the trade) and the bank simulator (``admit sim bank``) as
subprocesses with health checks; and a runtime of the harness's own process on the same
database, for seeding through the services and for the correctness checks."""

from __future__ import annotations

import asyncio
import contextlib
import os
import socket
import subprocess
import sys
import time
from collections.abc import AsyncIterator, Iterator, Sequence
from dataclasses import dataclass, field
from pathlib import Path

import asyncpg
import httpx
from cryptography.fernet import Fernet

from admit.core.audit_context import Actor
from admit.core.config import Settings
from admit.core.runtime import Runtime
from admit.migrations import upgrade

PG_ADMIN = os.environ.get("ADMIT_TEST_PG", "postgresql://postgres@127.0.0.1:5432/postgres")
BENCH_ACTOR = Actor(kind="system", id="bench", name="bench")
START_TIMEOUT_S = 90.0
POSTGRESQL, SQLITE = "postgresql", "sqlite"


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


def pg_url(database: str) -> str:
    base = PG_ADMIN.rsplit("/", 1)[0].replace("postgresql://", "postgresql+asyncpg://")
    return f"{base}/{database}"


async def _pg_admin(sql: str) -> None:
    conn = await asyncpg.connect(PG_ADMIN)
    try:
        await conn.execute(sql)
    finally:
        await conn.close()


@contextlib.contextmanager
def database(backend: str, data_dir: Path, name: str = "admit_bench") -> Iterator[str]:
    """A new, migrated database; its SQLAlchemy URL. A PostgreSQL one is dropped afterwards
    (the SQLite file lives in ``data_dir``)."""
    data_dir.mkdir(parents=True, exist_ok=True)
    if backend == SQLITE:
        url = f"sqlite+aiosqlite:///{(data_dir / 'admit.db').resolve()}"
        upgrade(url)
        yield url
        return
    asyncio.run(_pg_admin(f"DROP DATABASE IF EXISTS {name} WITH (FORCE)"))
    asyncio.run(_pg_admin(f"CREATE DATABASE {name}"))
    try:
        url = pg_url(name)
        upgrade(url)
        yield url
    finally:
        asyncio.run(_pg_admin(f"DROP DATABASE IF EXISTS {name} WITH (FORCE)"))


class Service:
    """One ``python -m admit …`` subprocess logging to a file, ready when ``url + health``
    answers 200."""

    def __init__(self, name: str, argv: Sequence[str], env: dict[str, str], log: Path) -> None:
        self.name = name
        self.argv = [sys.executable, "-m", "admit", *argv]
        self.env = env
        self.log = log
        self.url = ""
        self.health = ""
        self.proc: subprocess.Popen[bytes] | None = None

    @property
    def pid(self) -> int:
        assert self.proc is not None, f"{self.name} is not running"
        return self.proc.pid

    def start(self) -> None:
        with self.log.open("ab") as out:
            self.proc = subprocess.Popen(
                self.argv, env=self.env, stdout=out, stderr=subprocess.STDOUT
            )

    def wait_ready(self, timeout: float = START_TIMEOUT_S) -> None:
        deadline = time.monotonic() + timeout
        while True:
            assert self.proc is not None, f"{self.name} was not started"
            assert self.proc.poll() is None, f"{self.name} exited:\n{self.tail()}"
            try:
                if httpx.get(self.url + self.health, timeout=1).status_code == 200:
                    return
            except httpx.TransportError:
                pass
            assert time.monotonic() < deadline, f"{self.name} did not start:\n{self.tail()}"
            time.sleep(0.1)

    def wait_logged(self, text: str, timeout: float = START_TIMEOUT_S) -> None:
        """Ready when its log says ``text`` (a process that serves no HTTP)."""
        deadline = time.monotonic() + timeout
        while text not in (self.log.read_text(errors="replace") if self.log.exists() else ""):
            assert self.proc is not None, f"{self.name} was not started"
            assert self.proc.poll() is None, f"{self.name} exited:\n{self.tail()}"
            assert time.monotonic() < deadline, f"{self.name} did not start:\n{self.tail()}"
            time.sleep(0.1)

    def stop(self) -> None:
        if self.proc is None or self.proc.poll() is not None:
            return
        self.proc.terminate()
        try:
            self.proc.wait(timeout=20)
        except subprocess.TimeoutExpired:
            self.proc.kill()
            self.proc.wait(timeout=20)

    def tail(self, lines: int = 60) -> str:
        if not self.log.exists():
            return "(no log)"
        return "\n".join(self.log.read_text(errors="replace").splitlines()[-lines:])


@dataclass
class Cluster:
    """What a scenario drives: the servers' URLs (buyer ``i`` goes to server ``i % n``), the
    bank simulator's, and the database the harness seeds and checks."""

    backend: str
    database_url: str
    data_dir: Path
    keys: dict[str, str]
    servers: list[Service] = field(default_factory=list)
    bank: Service | None = None
    settlers: list[Service] = field(default_factory=list)  # ``admit settle`` processes

    @property
    def urls(self) -> list[str]:
        return [s.url for s in self.servers]

    @property
    def label(self) -> str:
        n, k = len(self.servers), len(self.settlers)
        return f"{self.backend} ×{n}" + (f" +{k} settler" + "s" * (k > 1) if k else "")

    def settings(self) -> Settings:
        return Settings(
            data_dir=self.data_dir,
            database_url=self.database_url,
            field_keys=self.keys["ADMIT_FIELD_KEYS"],
            lookup_key=self.keys["ADMIT_LOOKUP_KEY"],
            run_worker_in_process=False,
            simulators_in_process=False,
            db_pool_size=4,
        )

    @contextlib.asynccontextmanager
    async def runtime(self) -> AsyncIterator[Runtime]:
        rt = Runtime.from_settings(self.settings())
        try:
            yield rt
        finally:
            await rt.close()

    def logs(self) -> str:
        every = [*self.servers, *([self.bank] if self.bank else [])]
        return "\n\n".join(f"----- {s.name} ({s.log}) -----\n{s.tail()}" for s in every)


def new_keys() -> dict[str, str]:
    """Field-encryption and lookup keys shared by every process of a run."""
    return {
        "ADMIT_FIELD_KEYS": Fernet.generate_key().decode(),
        "ADMIT_LOOKUP_KEY": Fernet.generate_key().decode(),
    }


def _env(database_url: str, data_dir: Path, keys: dict[str, str]) -> dict[str, str]:
    env = {k: v for k, v in os.environ.items() if not k.startswith("ADMIT_")}
    return {
        **env,
        **keys,
        "ADMIT_DATABASE_URL": database_url,
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
    backend: str,
    database_url: str,
    data_dir: Path,
    keys: dict[str, str],
    *,
    servers: int = 1,
    settlers: int = 0,
    pool_size: int = 10,
    log_dir: Path | None = None,
    settings: dict[str, str] | None = None,
) -> Iterator[Cluster]:
    """Start the bank simulator, ``servers`` server processes and ``settlers`` settlement
    workers (``admit settle``; with any, the servers leave settling to them), wait until
    each is up, and stop them all on the way out. Pools are sized to stay under
    PostgreSQL's 100 connections with two servers (a pool may double under load).
    ``settings``: more ``ADMIT_*`` variables for every process."""
    cluster = Cluster(backend, database_url, data_dir, keys)
    env = {**_env(database_url, data_dir, keys), **(settings or {})}
    logs = log_dir or data_dir
    logs.mkdir(parents=True, exist_ok=True)
    bank_port = free_port()
    bank_url = f"http://127.0.0.1:{bank_port}"
    cluster.bank = Service(
        "bank",
        ["sim", "bank", "--port", str(bank_port), "--public-url", bank_url],
        dict(env),
        logs / "bank.log",
    )
    cluster.bank.url, cluster.bank.health = bank_url, "/_control"
    env["ADMIT_BANK_URL"] = bank_url
    if settlers:
        env["ADMIT_SETTLE_IN_SERVER"] = "false"
    for i in range(settlers):
        settler = Service(
            f"settler{i}",
            ["settle", "--poll", "1"],
            {**env, "ADMIT_DB_POOL_SIZE": "4"},
            logs / f"settler{i}.log",
        )
        cluster.settlers.append(settler)
    for i in range(servers):
        port = free_port()
        url = f"http://127.0.0.1:{port}"
        server = Service(
            f"server{i}",
            ["serve", "--port", str(port)],
            {**env, "ADMIT_PUBLIC_URL": url, "ADMIT_DB_POOL_SIZE": str(pool_size)},
            logs / f"server{i}.log",
        )
        server.url, server.health = url, "/livez"  # no worker: readiness would wait for one
        cluster.servers.append(server)
    every = [cluster.bank, *cluster.servers, *cluster.settlers]
    try:
        for service in every:
            service.start()
        for service in every:
            if service.url:
                service.wait_ready()
            else:  # a settlement worker serves no HTTP
                service.wait_logged("Settlement worker running")
        yield cluster
    finally:
        for service in every:
            service.stop()
