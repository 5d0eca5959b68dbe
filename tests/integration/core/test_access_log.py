"""The access log: one record per request with its route template, status, duration and
request id, never its query string or headers; the request id comes back in a header."""

from __future__ import annotations

from collections.abc import AsyncIterator
from typing import Any

import httpx
import pytest
import structlog
from fastapi import APIRouter, FastAPI, Header
from structlog.testing import capture_logs

from admit.http.access_log import RequestLogMiddleware

TOKEN = "c2VjcmV0LXRva2VuLWZvci10ZXN0cw"
router = APIRouter()


@router.get("/orders/{order_id}")
async def _order(order_id: int, authorization: str = Header("")) -> dict[str, Any]:
    structlog.get_logger("test").info("inside")
    return {"id": order_id}


@router.get("/boom")
async def _boom() -> None:
    raise RuntimeError("unexpected")


def _app() -> FastAPI:
    app = FastAPI()
    app.include_router(router, prefix="/api/v1")
    app.add_middleware(RequestLogMiddleware)
    return app


@pytest.fixture
async def plain_client() -> AsyncIterator[httpx.AsyncClient]:
    transport = httpx.ASGITransport(app=_app(), raise_app_exceptions=False)
    async with httpx.AsyncClient(transport=transport, base_url="http://admit.test") as c:
        yield c


def _requests(logs: list[dict[str, Any]]) -> list[dict[str, Any]]:
    return [e for e in logs if e["event"] == "request"]


async def test_one_record_per_request_without_query_or_headers(
    plain_client: httpx.AsyncClient,
) -> None:
    with capture_logs(processors=[structlog.contextvars.merge_contextvars]) as logs:
        r = await plain_client.get(
            f"/api/v1/orders/42?phone=13812345678&token={TOKEN}",
            headers={"Authorization": f"Bearer {TOKEN}", "X-Request-Id": "lb-7f3a.1"},
        )
    assert r.status_code == 200
    assert r.headers["x-request-id"] == "lb-7f3a.1"
    [record] = _requests(logs)
    duration = record.pop("duration_ms")
    assert isinstance(duration, float)
    assert duration >= 0
    assert record == {
        "event": "request",
        "log_level": "info",
        "method": "GET",
        "route": "/api/v1/orders/{order_id}",
        "status": 200,
        "request_id": "lb-7f3a.1",
    }
    # Records written while the request runs carry its id too.
    assert [e["request_id"] for e in logs if e["event"] == "inside"] == ["lb-7f3a.1"]
    assert TOKEN not in repr(logs)
    assert "13812345678" not in repr(logs)


@pytest.mark.parametrize("given", ["", "has spaces", "x" * 65, "semi;colon"])
async def test_an_unfit_request_id_is_replaced(plain_client: httpx.AsyncClient, given: str) -> None:
    with capture_logs(processors=[structlog.contextvars.merge_contextvars]) as logs:
        r = await plain_client.get("/api/v1/orders/1", headers={"X-Request-Id": given})
    made = r.headers["x-request-id"]
    assert made != given
    assert len(made) == 32
    assert _requests(logs)[0]["request_id"] == made


async def test_unmatched_paths_and_errors(plain_client: httpx.AsyncClient) -> None:
    with capture_logs() as logs:
        missing = await plain_client.get("/nowhere/13812345678?q=1")
        token = await plain_client.get(f"/reset/{TOKEN}/confirm")
        failed = await plain_client.get("/api/v1/boom")
    assert (missing.status_code, token.status_code, failed.status_code) == (404, 404, 500)
    routes = [(e["route"], e["status"]) for e in _requests(logs)]
    assert routes == [
        ("/nowhere/13812345678", 404),  # the redactor masks the number when rendering
        ("/reset/***/confirm", 404),
        ("/api/v1/boom", 500),
    ]


async def test_the_application_logs_every_request(client: httpx.AsyncClient) -> None:
    with capture_logs() as logs:
        r = await client.get("/api/v1/sessions/999999?x=1")
    assert r.status_code == 404
    assert len(r.headers["x-request-id"]) == 32
    assert [(e["method"], e["route"], e["status"]) for e in _requests(logs)] == [
        ("GET", "/api/v1/sessions/{session_id}", 404)
    ]
