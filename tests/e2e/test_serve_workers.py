"""`admit serve --workers N`: N server processes share one port over one PostgreSQL database."""

from __future__ import annotations

import subprocess
from pathlib import Path

import httpx

from tests.conftest import pg_template  # noqa: F401  (the migrated template database)
from tests.e2e.harness import KEYS, Service, free_port, fresh_database


def test_two_worker_processes_answer_on_one_port(pg_template: str, tmp_path: Path) -> None:  # noqa: F811
    with fresh_database(pg_template, "workers") as url:
        port = free_port()
        env = {
            **KEYS,
            "PATH": "/usr/bin:/bin",
            "ADMIT_DATABASE_URL": url,
            "ADMIT_DATA_DIR": str(tmp_path),
            "ADMIT_RUN_WORKER_IN_PROCESS": "false",
            "ADMIT_SIMULATORS_IN_PROCESS": "false",
        }
        server = Service(
            "serve",
            ["serve", "--port", str(port), "--workers", "2"],
            env,
            tmp_path / "serve.log",
            url=f"http://127.0.0.1:{port}",
            health="/healthz",
        )
        server.start()
        try:
            server.wait_ready()
            assert server.proc is not None
            children = subprocess.run(
                ["pgrep", "-P", str(server.proc.pid)], capture_output=True, text=True
            ).stdout.split()
            assert len(children) >= 2, server.tail()
            answers = [httpx.get(f"{server.url}/api/v1/sessions").status_code for _ in range(20)]
            assert answers == [200] * 20
        finally:
            server.stop()
