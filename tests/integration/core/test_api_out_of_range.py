"""No API route answers 500 to an id the database cannot hold (a 20-digit number): every GET
route with path parameters is called with one, as an administrator, and gets a 4xx."""

from __future__ import annotations

import re

import httpx
import pytest
from fastapi import FastAPI

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
