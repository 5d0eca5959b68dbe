"""Script errors reported by pages (``static/errors.js`` → ``POST /client-errors``), on both
databases: a report is logged as ``client_error``; a report from another site, one that is not
a report or too big, and a flood from one address are refused, and none of them is logged."""

from __future__ import annotations

import json

import httpx
from structlog.testing import capture_logs

from admit.core.runtime import Runtime

REPORT = {
    "kind": "error",
    "message": "TypeError: x is undefined",
    "source": "http://admit.test/static/seatmap.js",
    "line": 42,
    "page": "/sessions/7",
}


async def test_a_pages_script_error_is_logged(web: httpx.AsyncClient) -> None:
    page = await web.get("/")
    assert '<script src="/static/errors.js?v=' in page.text  # on every storefront page
    with capture_logs() as logs:
        sent = await web.post("/client-errors", content=json.dumps(REPORT))
    assert sent.status_code == 204
    [entry] = [e for e in logs if e["event"] == "client_error"]
    assert (entry["log_level"], entry["message"], entry["line"], entry["page"]) == (
        "warning",
        "TypeError: x is undefined",
        42,
        "/sessions/7",
    )


async def test_what_is_not_a_report_is_refused_and_not_logged(
    web: httpx.AsyncClient, runtime: Runtime
) -> None:
    with capture_logs() as logs:
        elsewhere = await web.post(
            "/client-errors", content=json.dumps(REPORT), headers={"Origin": "http://evil.test"}
        )
        assert elsewhere.status_code == 403
        for body in (b"not json", json.dumps({**REPORT, "kind": "shout"}).encode(), b"{}"):
            assert (await web.post("/client-errors", content=body)).status_code == 400
        big = json.dumps({**REPORT, "message": "x" * 3000})
        assert (await web.post("/client-errors", content=big)).status_code == 400
        runtime.settings.limit_client_errors_per_address_minute = 2
        answers = [
            (await web.post("/client-errors", content=json.dumps(REPORT))).status_code
            for _ in range(3)
        ]
    assert answers[-1] == 429
    assert sum(e["event"] == "client_error" for e in logs) == answers.count(204)
