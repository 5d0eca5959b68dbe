"""A gate to test against: ``admit demo`` on its own data dir with an administrator (made by
``create-admin``), a box office selling the cinema's first session, a gate, a policy admitting
from now and a handheld's credential; tickets sold there for cash, and forged copies of them.
Shared by the scanner's page tests in Chromium and the gate journey in every engine."""

from __future__ import annotations

import os
import sqlite3
import subprocess
import sys
import uuid
from collections.abc import Iterator
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from pathlib import Path

import httpx
import pytest

from admit.ticketing import qr_payload
from tests.e2e.harness import running_demo

PASSWORD = "Gate admin pass 9!"


@dataclass(frozen=True, slots=True)
class GateSite:
    base: str
    data: Path
    admin: dict[str, str]
    venue_id: int
    session_id: int
    credential: str


def ok(response: httpx.Response, status: int = 200) -> dict:  # type: ignore[type-arg]
    assert response.status_code == status, response.text
    return response.json()  # type: ignore[no-any-return]


def prepare(base: str, data: Path) -> GateSite:
    """An administrator, a box office selling the cinema's first session, a gate, a policy
    admitting from now, and a handheld at gate N."""
    http = httpx.Client(base_url=base, timeout=30)
    login = ok(
        http.post("/api/v1/auth/staff/login", json={"username": "gateadmin", "password": PASSWORD})
    )
    admin = {"Authorization": f"Bearer {login['token']}"}
    venues = ok(http.get("/api/v1/admin/venues", headers=admin))
    venue_id = next(v["id"] for v in venues if v["code"] == "STAR-PD")
    ok(
        http.post(
            f"/api/v1/admin/venues/{venue_id}/gates",
            headers=admin,
            json={"code": "N", "name": "North"},
        ),
        201,
    )
    device = ok(
        http.post(
            "/api/v1/admin/gate-devices",
            headers=admin,
            json={
                "number": "PHONE-1",
                "device_type": "handheld",
                "venue_id": venue_id,
                "gate": "N",
            },
        ),
        201,
    )
    credential = device["credential"]
    me = ok(http.get("/api/v1/gate/device", headers={"X-Device-Key": credential}))
    session_id = me["sessions"][0]["id"]
    now = datetime.now(UTC)
    ok(
        http.put(
            f"/api/v1/admin/sessions/{session_id}/validation-policy",
            headers=admin,
            json={
                "admit_from": (now - timedelta(hours=1)).isoformat(),
                "admit_until": (now + timedelta(days=10)).isoformat(),
            },
        )
    )
    ok(
        http.post(
            "/api/v1/admin/outlets",
            headers=admin,
            json={"channel": "box_office", "code": "BO-G", "name": "Gate box office"},
        ),
        201,
    )
    ok(
        http.post(
            f"/api/v1/admin/sessions/{session_id}/sales-windows",
            headers=admin,
            json={
                "channel": "box_office",
                "starts_at": (now - timedelta(hours=1)).isoformat(),
                "ends_at": (now + timedelta(hours=12)).isoformat(),
                "per_person_limit": 50,
                "quotas": [{"level": "STD", "quota": 30}],
            },
        ),
        201,
    )
    http.close()
    return GateSite(base, data, admin, venue_id, session_id, credential)


@pytest.fixture(scope="package")
def gate_site(tmp_path_factory: pytest.TempPathFactory) -> Iterator[GateSite]:
    """``admit demo`` on its own data dir, with an administrator made by ``create-admin``."""
    data = tmp_path_factory.mktemp("gate-site")
    env = {**os.environ, "ADMIT_DATA_DIR": str(data)}
    env.pop("ADMIT_DATABASE_URL", None)
    subprocess.run(
        [
            sys.executable,
            "-m",
            "admit",
            "create-admin",
            "--username",
            "gateadmin",
            "--password",
            PASSWORD,
        ],
        env=env,
        check=True,
        capture_output=True,
        timeout=120,
    )
    with running_demo(data) as base:
        yield prepare(base, data)


def sell(site: GateSite, seat: str) -> tuple[str, str]:
    """Sell one seat for cash at the box office; the ticket's code and QR text."""
    with httpx.Client(base_url=site.base, headers=site.admin, timeout=30) as http:
        hold = ok(
            http.post(
                f"/api/v1/counter/sessions/{site.session_id}/holds",
                json={"channel": "box_office", "outlet": "BO-G", "seats": [seat]},
            ),
            201,
        )
        order = ok(
            http.post(
                f"/api/v1/counter/holds/{hold['id']}/order",
                headers={"Idempotency-Key": f"gate-page-{uuid.uuid4()}"},
                json={"lines": [{"seat": seat}]},
            ),
            201,
        )
        ok(
            http.post(
                f"/api/v1/counter/orders/{order['number']}/cash", json={"received": order["total"]}
            )
        )
    with sqlite3.connect(site.data / "admit.db") as db:
        code, qr = db.execute(
            "SELECT code, qr FROM ticket WHERE order_number = ?", (order["number"],)
        ).fetchone()
    return str(code), str(qr)


def venue_sessions(site: GateSite) -> list[int]:
    """The sessions at the gate's venue (the cinema's showtimes), as its handheld sees them."""
    me = httpx.get(f"{site.base}/api/v1/gate/device", headers={"X-Device-Key": site.credential})
    return [int(s["id"]) for s in ok(me)["sessions"]]


def forge(qr: str) -> str:
    """The same ticket with one signed byte changed (its issue time): still well formed,
    but the signature no longer matches."""
    data = bytearray(qr_payload.b45decode(qr[len(qr_payload.PREFIX) :]))
    data[-65] ^= 0x01
    return qr_payload.PREFIX + qr_payload.b45encode(bytes(data))
