"""The routers are included hot path first (``admit.app``): reordering them must not change
which route answers a request. No route may be shadowed by an earlier one — an earlier
pattern that matches a later route's own path with a method in common would take its
requests (``/sessions/{id}`` before ``/sessions/search``)."""

from __future__ import annotations

import re
from typing import Any

from fastapi import FastAPI


def _routes_in_match_order(app: FastAPI) -> list[Any]:
    flat: list[Any] = []
    for route in app.router.routes:
        contexts = getattr(route, "effective_route_contexts", None)
        flat.extend(contexts() if contexts is not None else [route])
    return [r for r in flat if getattr(r, "path_regex", None) and getattr(r, "methods", None)]


def _shadowed(routes: list[Any]) -> list[str]:
    found = []
    for i, later in enumerate(routes):
        own_path = re.sub(r"\{[^}]+\}", "7", later.path_format)
        for earlier in routes[:i]:
            if earlier.path_regex.match(own_path) and earlier.methods & later.methods:
                found.append(
                    f"{sorted(later.methods)} {later.path_format} by {earlier.path_format}"
                )
                break
    return found


def test_no_route_is_shadowed_by_an_earlier_one(app: FastAPI) -> None:
    routes = _routes_in_match_order(app)
    assert len(routes) > 150
    assert _shadowed(routes) == []


def test_the_check_finds_a_shadowed_route(app: FastAPI) -> None:
    routes = _routes_in_match_order(app)

    def route(path: str, method: str) -> Any:
        return next(r for r in routes if r.path_format == path and method in r.methods)

    one_hold = route("/api/v1/holds/{hold_id}", "GET")
    mine = _Literal("/api/v1/holds/mine")  # what a later literal path would be
    assert _shadowed([mine, one_hold]) == []
    assert _shadowed([one_hold, mine]) == ["['GET'] /api/v1/holds/mine by /api/v1/holds/{hold_id}"]


class _Literal:
    def __init__(self, path: str) -> None:
        self.path_format = path
        self.path_regex = re.compile(f"^{re.escape(path)}$")
        self.methods = {"GET"}
