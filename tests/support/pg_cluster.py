"""A PostgreSQL cluster of the test's own, on a free port, that it may stop, kill and start
again (outage tests): ``initdb`` + ``pg_ctl`` from the machine's PostgreSQL, run as the
``postgres`` user when the tests run as root (PostgreSQL refuses to run as root). The shared
server on 5432 is never touched."""

from __future__ import annotations

import contextlib
import os
import shutil
import signal
import socket
import subprocess
import tempfile
import time
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

START_TIMEOUT_S = 30.0


def _bin_dir() -> Path:
    roots = sorted(Path("/usr/lib/postgresql").glob("*/bin"), reverse=True)
    for root in roots:
        if (root / "pg_ctl").exists():
            return root
    found = shutil.which("pg_ctl")
    if found is None:
        raise RuntimeError("pg_ctl is not installed: the outage tests need PostgreSQL's binaries")
    return Path(found).parent


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


def _as_postgres(argv: list[str]) -> list[str]:
    if os.geteuid() != 0:
        return argv
    return ["runuser", "-u", "postgres", "--", *argv]


def _run(argv: list[str], *, check: bool = True) -> subprocess.CompletedProcess[str]:
    done = subprocess.run(argv, capture_output=True, text=True, check=False, timeout=120)
    if check and done.returncode != 0:
        raise subprocess.CalledProcessError(done.returncode, argv, done.stdout, done.stderr)
    return done


@dataclass
class PgCluster:
    """One private cluster. ``url(db)`` is its SQLAlchemy URL; ``stop``/``kill``/``start``
    make and end outages."""

    directory: Path
    port: int

    @property
    def data(self) -> Path:
        return self.directory / "data"

    def url(self, database: str = "postgres", *, driver: str = "postgresql+asyncpg") -> str:
        return f"{driver}://postgres@127.0.0.1:{self.port}/{database}"

    def _pg_ctl(self, *args: str, check: bool = True) -> subprocess.CompletedProcess[str]:
        argv = [str(_bin_dir() / "pg_ctl"), "-D", str(self.data), *args]
        return _run(_as_postgres(argv), check=check)

    def init(self) -> None:
        self.directory.mkdir(parents=True, exist_ok=True)
        if os.geteuid() == 0:
            shutil.chown(self.directory, "postgres", "postgres")
        _run(
            _as_postgres(
                [
                    str(_bin_dir() / "initdb"),
                    "-D",
                    str(self.data),
                    "-U",
                    "postgres",
                    "--auth=trust",
                    "--no-sync",
                    "-E",
                    "UTF8",
                ]
            )
        )

    def start(self) -> None:
        options = (
            f"-p {self.port} -c listen_addresses=127.0.0.1 -c fsync=off "
            f"-c unix_socket_directories={self.directory} -c max_connections=200"
        )
        self._pg_ctl("-l", str(self.directory / "server.log"), "-o", options, "-w", "start")
        deadline = time.monotonic() + START_TIMEOUT_S
        while time.monotonic() < deadline:
            with (
                contextlib.suppress(OSError),
                socket.create_connection(("127.0.0.1", self.port), timeout=1),
            ):
                return
            time.sleep(0.1)
        raise RuntimeError(f"the private PostgreSQL on {self.port} did not start")

    def stop(self, mode: str = "fast") -> None:
        """A clean shutdown (``fast``: connections are cut, nothing is lost)."""
        self._pg_ctl("-m", mode, "-w", "stop", check=False)

    def kill(self) -> None:
        """kill -9 of the postmaster, as a crash would (the next start recovers)."""
        pid_file = self.data / "postmaster.pid"
        if not pid_file.exists():
            return
        pid = int(pid_file.read_text().splitlines()[0])
        with contextlib.suppress(ProcessLookupError):
            os.kill(pid, signal.SIGKILL)
        deadline = time.monotonic() + 10
        while time.monotonic() < deadline:
            try:
                os.kill(pid, 0)
            except ProcessLookupError:
                break
            time.sleep(0.05)
        # Children (backends) exit on their own once the postmaster is gone.
        time.sleep(0.5)

    def psql(self, sql: str, database: str = "postgres") -> str:
        argv = [
            str(_bin_dir() / "psql"),
            "-h",
            "127.0.0.1",
            "-p",
            str(self.port),
            "-U",
            "postgres",
            "-d",
            database,
            "-tAc",
            sql,
        ]
        return _run(argv).stdout.strip()


@contextlib.contextmanager
def private_cluster() -> Iterator[PgCluster]:
    """A started private cluster in a directory of its own under the system's temporary
    directory (pytest's are private to root, and the server runs as ``postgres``); stopped
    and removed afterwards."""
    cluster = PgCluster(directory=Path(tempfile.mkdtemp(prefix="admit-pg-")), port=_free_port())
    cluster.init()
    cluster.start()
    try:
        yield cluster
    finally:
        cluster.stop("immediate")
        shutil.rmtree(cluster.directory, ignore_errors=True)
