"""The README's run command: `admit demo` serves the demo catalogue on a fresh data dir."""

from __future__ import annotations

from collections.abc import Iterator

import httpx
import pytest

from tests.e2e.harness import running_demo


@pytest.fixture(scope="module")
def demo_server(tmp_path_factory: pytest.TempPathFactory) -> Iterator[str]:
    with running_demo(tmp_path_factory.mktemp("demo"), timeout=120) as base:
        yield base


def test_demo_serves_health_and_openapi(demo_server: str) -> None:
    ready = httpx.get(f"{demo_server}/healthz").json()  # readiness: the in-process worker beats
    assert (ready["status"], ready["database"]) == ("ok", "sqlite")
    assert httpx.get(f"{demo_server}/livez").json() == {"status": "alive"}
    assert httpx.get(f"{demo_server}/openapi.json").json()["info"]["title"] == "Admit"


def test_demo_has_cinema_and_stadium_sessions_in_the_next_days(demo_server: str) -> None:
    found = httpx.get(f"{demo_server}/api/v1/sessions", params={"limit": 200}).json()
    categories = {row["event"]["category"] for row in found}
    venues = {row["venue"]["code"] for row in found}
    assert categories == {"cinema", "sport"}
    # the partner cinemas' showtimes come from the cinema box-office simulator
    assert venues == {"STAR-PD", "HBR-STAD", "CINEMA-C001", "CINEMA-C002"}
    assert all(row["remaining"] > 0 and row["lowest_price"] for row in found)
    stadium = next(r for r in found if r["venue"]["code"] == "HBR-STAD")
    plan = httpx.get(f"{demo_server}/api/v1/sessions/{stadium['session']['id']}/availability")
    body = plan.json()
    assert body["seat_count"] >= 20000
    assert len(body["states"]) == body["seat_count"]
    assert set(body["levels"]) == {"0", "1"}
    again = httpx.get(
        f"{demo_server}/api/v1/sessions/{stadium['session']['id']}/availability",
        headers={"If-None-Match": plan.headers["etag"]},
    )
    assert again.status_code == 304
