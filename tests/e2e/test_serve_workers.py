"""`admit serve` as deployed: N server processes share one port over one PostgreSQL database,
and the client's address is the socket's peer unless ``ADMIT_TRUSTED_PROXIES`` says otherwise
(uvicorn's own reading of ``X-Forwarded-For`` is off)."""

from __future__ import annotations

import subprocess
from pathlib import Path

import httpx
import pytest

from tests.conftest import pg_template  # noqa: F401  (the migrated template database)
from tests.e2e.harness import Service, fresh_database, serving

ADDRESS_LOCKOUT = 20  # the security policy's default ip_lockout_threshold


def _wrong_login(server: Service, forwarded_for: str) -> httpx.Response:
    return httpx.post(
        f"{server.url}/api/v1/auth/staff/login",
        json={"username": "nobody", "password": "not the password"},
        headers={"X-Forwarded-For": forwarded_for},
        timeout=30,
    )


def test_two_worker_processes_answer_on_one_port(pg_template: str, tmp_path: Path) -> None:  # noqa: F811
    with (
        fresh_database(pg_template, "workers") as url,
        serving(url, tmp_path, "--workers", "2") as server,
    ):
        assert server.proc is not None
        children = subprocess.run(
            ["pgrep", "-P", str(server.proc.pid)], capture_output=True, text=True
        ).stdout.split()
        assert len(children) >= 2, server.tail()
        answers = [httpx.get(f"{server.url}/api/v1/sessions").status_code for _ in range(20)]
        assert answers == [200] * 20


@pytest.mark.parametrize("workers", ["1", "2"])
def test_spoofed_forwarded_for_reaches_the_address_lockout(
    pg_template: str,  # noqa: F811
    tmp_path: Path,
    workers: str,
) -> None:
    """With no trusted proxy, each failure comes from the socket's peer (127.0.0.1) whatever
    ``X-Forwarded-For`` claims, so a new claimed address per guess still gets locked out."""
    with (
        fresh_database(pg_template, f"xff{workers}") as url,
        serving(url, tmp_path, "--workers", workers, ADMIT_TRUSTED_PROXIES="0") as server,
    ):
        answers = [
            _wrong_login(server, f"203.0.113.{i}").status_code for i in range(ADDRESS_LOCKOUT)
        ]
        assert answers == [401] * ADDRESS_LOCKOUT, server.tail()
        refused = _wrong_login(server, "198.51.100.99")
        assert refused.status_code == 429, refused.text
        assert refused.json()["error"]["code"] == "too_many_attempts"


def test_one_trusted_proxy_means_the_last_hop(pg_template: str, tmp_path: Path) -> None:  # noqa: F811
    """Behind one proxy the address is the entry that proxy appended (the last), whatever
    the client wrote before it; another last hop is another address."""
    with (
        fresh_database(pg_template, "xffproxy") as url,
        serving(url, tmp_path, ADMIT_TRUSTED_PROXIES="1") as server,
    ):
        answers = [
            _wrong_login(server, f"10.0.0.{i}, 192.0.2.50").status_code
            for i in range(ADDRESS_LOCKOUT)
        ]
        assert answers == [401] * ADDRESS_LOCKOUT, server.tail()
        locked = _wrong_login(server, "10.1.1.1, 192.0.2.50")
        assert locked.status_code == 429, locked.text
        other = _wrong_login(server, "10.0.0.1, 192.0.2.51")
        assert other.status_code == 401, other.text
