"""No API route answers 500 to an id the database cannot hold (a 20-digit number): every GET
route with path parameters is called with one, as an administrator, and gets a 4xx; an id in
a path or query is refused at the edge (422) and nothing is logged as an error."""

from __future__ import annotations

import re
from collections.abc import AsyncIterator

import httpx
import pytest
from fastapi import FastAPI

from admit.core.logging import configure_logging
from admit.core.runtime import Runtime
from tests.integration.accounts.test_permission_matrix import _api_routes

pytestmark = pytest.mark.backends
HUGE = "99999999999999999999"


def _get_routes(app: FastAPI) -> list[str]:
    return sorted(
        path
        for path, route in _api_routes(app.routes)
        if path.startswith("/api/v1") and "GET" in route.methods and "{" in path
    )


async def test_huge_ids_are_refused_never_a_500(app: FastAPI, admin: httpx.AsyncClient) -> None:
    paths = _get_routes(app)
    assert len(paths) > 20
    answers = {}
    for path in paths:
        url = re.sub(r"\{[^}]+\}", HUGE, path)
        answers[path] = (await admin.get(url)).status_code
    failures = {p: code for p, code in answers.items() if code >= 500}
    assert failures == {}
    assert all(400 <= code < 500 for code in answers.values()), answers


@pytest.fixture
async def strict(app: FastAPI) -> AsyncIterator[httpx.AsyncClient]:
    """A client through which an exception the application lets out (the one a server logs
    as "Exception in ASGI application", with its traceback) fails the test."""
    transport = httpx.ASGITransport(app=app, raise_app_exceptions=True)
    async with httpx.AsyncClient(transport=transport, base_url="http://admit.test") as c:
        yield c


async def test_a_huge_id_is_a_422_at_the_edge_and_logs_no_traceback(
    runtime: Runtime, strict: httpx.AsyncClient, capsys: pytest.CaptureFixture[str]
) -> None:
    configure_logging(runtime.settings)
    capsys.readouterr()
    answer = await strict.get(f"/api/v1/sessions/{HUGE}/sale")
    assert answer.status_code == 422, answer.text
    error = answer.json()["error"]
    assert error["code"] == "invalid_request"
    assert error["details"][0]["loc"] == ["path", "session_id"]
    logged = capsys.readouterr()
    assert "Traceback" not in logged.out + logged.err
    assert "error" not in logged.out + logged.err  # nothing logged at error level


async def test_huge_ids_in_every_get_route_raise_nothing(
    app: FastAPI, strict: httpx.AsyncClient, admin_token: str
) -> None:
    strict.headers["Authorization"] = f"Bearer {admin_token}"
    for path in _get_routes(app):
        answer = await strict.get(re.sub(r"\{[^}]+\}", HUGE, path))
        assert 400 <= answer.status_code < 500, (path, answer.text)


async def test_a_huge_id_in_a_query_or_body_raises_nothing(
    strict: httpx.AsyncClient, admin_token: str
) -> None:
    strict.headers["Authorization"] = f"Bearer {admin_token}"
    listed = await strict.get("/api/v1/admin/audit", params={"before_seq": HUGE})
    assert listed.status_code == 422, listed.text
    assert listed.json()["error"]["details"][0]["loc"] == ["query", "before_seq"]
    created = await strict.post(
        "/api/v1/admin/outlets",
        json={"channel": "box_office", "code": "BIG", "name": "Big", "venue_id": int(HUGE)},
    )
    assert created.status_code == 422, created.text
    assert created.json()["error"]["details"][0]["loc"] == ["body", "venue_id"]


async def test_a_huge_body_id_no_schema_bounds_is_a_400_and_raises_nothing(
    runtime: Runtime,
    strict: httpx.AsyncClient,
    admin_token: str,
    capsys: pytest.CaptureFixture[str],
) -> None:
    configure_logging(runtime.settings)
    capsys.readouterr()
    strict.headers["Authorization"] = f"Bearer {admin_token}"
    answer = await strict.put(
        "/api/v1/admin/recommendations", json={"sessions": [{"session_id": int(HUGE)}]}
    )
    assert answer.status_code == 400, answer.text
    assert answer.json()["error"]["code"] == "invalid_input"
    logged = capsys.readouterr()
    assert "Traceback" not in logged.out + logged.err
    assert "value_out_of_range" in logged.out
