"""Every admin endpoint, called by every role and by nobody, against the permission matrix
(ROLE, U4, U5). ``docs/permissions.md`` shows the same matrix."""

from __future__ import annotations

import re
from datetime import timedelta
from pathlib import Path
from typing import Any

import httpx
from fastapi.routing import APIRoute

from admit.accounts import staff
from admit.accounts.permissions import ROLE_PERMISSIONS, Grant, Permission, Role, permission_table
from admit.app import create_app
from admit.core.runtime import Runtime
from tests.conftest import ROOT_PASSWORD, T0, TEST_ACTOR

DOC = Path(__file__).parents[3] / "docs" / "permissions.md"


def _required(dependant: Any) -> Permission | None:
    for dep in dependant.dependencies:
        found = getattr(dep.call, "required_permission", None) or _required(dep)
        if found is not None:
            return found  # type: ignore[no-any-return]
    return None


def _api_routes(routes: list[Any], prefix: str = "") -> list[tuple[str, APIRoute]]:
    """(full path, route) for every API route, through FastAPI's included-router wrappers."""
    found = []
    for route in routes:
        if isinstance(route, APIRoute):
            found.append((prefix + route.path, route))
        elif hasattr(route, "original_router"):
            inner = prefix + route.include_context.prefix
            found.extend(_api_routes(route.original_router.routes, inner))
    return found


def admin_routes(rt: Runtime) -> list[tuple[str, str, Permission]]:
    app = create_app(rt, run_worker=False)
    routes = []
    for path, route in _api_routes(app.routes):
        if path.startswith("/api/v1/admin"):
            permission = _required(route.dependant)
            assert permission is not None, f"{path} declares no permission"
            routes.extend((method, path, permission) for method in sorted(route.methods))
    return routes


async def _tokens(rt: Runtime) -> dict[Role, str]:
    tokens = {}
    async with rt.uow(TEST_ACTOR) as uow:
        for role in Role:
            user = await staff.create_staff(
                uow,
                staff.NewStaff(
                    username=f"r-{role.value}".replace("_", "-"),
                    password=ROOT_PASSWORD,
                    grants=[Grant(role)],
                ),
                now=T0,
            )
            issued = await staff.issue_token(
                uow, staff_id=user.id, lifetime=timedelta(hours=1), now=T0
            )
            tokens[role] = issued.token
    return tokens


def _concrete(path: str) -> str:
    return re.sub(r"\{[^}]+\}", "999999", path)


async def test_every_admin_endpoint_allows_exactly_the_matrix(
    runtime: Runtime, client: httpx.AsyncClient
) -> None:
    routes = admin_routes(runtime)
    assert len(routes) >= 40
    tokens = await _tokens(runtime)
    wrong: list[str] = []
    for method, path, permission in routes:
        url = _concrete(path)
        anonymous = await client.request(method, url)
        if anonymous.status_code != 401:
            wrong.append(f"{method} {path} without credentials: {anonymous.status_code}")
        for role, token in tokens.items():
            response = await client.request(
                method, url, headers={"Authorization": f"Bearer {token}"}
            )
            allowed = permission in ROLE_PERMISSIONS[role]
            denied = response.status_code in (401, 403)
            if allowed == denied:
                wrong.append(
                    f"{method} {path} as {role.value}: {response.status_code} "
                    f"(needs {permission.value})"
                )
            if response.status_code >= 500:
                wrong.append(f"{method} {path} as {role.value}: {response.status_code}")
    assert wrong == []


def test_the_documented_matrix_is_the_enforced_one() -> None:
    assert permission_table() in DOC.read_text()
