"""Every admin endpoint, called by every role and by nobody, against the permission matrix
(ROLE, U4, U5), and by scoped credentials on their own resources and on others' (issue 30,
item 3). ``docs/permissions.md`` shows the same matrix and each route's scope."""

from __future__ import annotations

import re
from datetime import timedelta
from pathlib import Path
from typing import Any

import httpx
import pytest
from fastapi.routing import APIRoute

from admit.accounts import staff
from admit.app import create_app
from admit.core.permissions import (
    ROLE_PERMISSIONS,
    Grant,
    Permission,
    Role,
    ScopeKind,
    permission_table,
)
from admit.core.runtime import Runtime
from admit.http.deps import CONCEALED, Scoping
from tests.conftest import ROOT_PASSWORD, T0, TEST_ACTOR
from tests.integration.accounts.scoped_world import DAY, OUTLET, two_sides

DOC = Path(__file__).parents[3] / "docs" / "permissions.md"


def _required(dependant: Any) -> Permission | None:
    return _declared(dependant)[0]


def _declared(dependant: Any) -> tuple[Permission | None, Scoping | None]:
    """The permission a route's dependencies require, and how its resource is scoped."""
    for dep in dependant.dependencies:
        found = getattr(dep.call, "required_permission", None)
        if found is not None:
            return found, getattr(dep.call, "scoping", None)
        inner = _declared(dep)
        if inner[0] is not None:
            return inner
    return None, None


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
    return [(method, path, permission) for method, path, permission, _ in scoped_routes(rt)]


def scoped_routes(rt: Runtime) -> list[tuple[str, str, Permission, Scoping | None]]:
    app = create_app(rt, run_worker=False)
    routes = []
    for path, route in _api_routes(app.routes):
        if path.startswith("/api/v1/admin"):
            permission, scoping = _declared(route.dependant)
            assert permission is not None, f"{path} declares no permission"
            routes.extend((method, path, permission, scoping) for method in sorted(route.methods))
    return routes


async def _tokens(rt: Runtime) -> dict[Role, str]:
    tokens = {}
    async with rt.uow(TEST_ACTOR) as uow:
        for role in Role:
            user = await staff.create_staff(
                uow,
                rt.crypto,
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


@pytest.mark.long
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


def test_the_documented_matrix_is_the_enforced_one(runtime: Runtime) -> None:
    text = DOC.read_text()
    assert permission_table() in text
    assert scope_table(runtime) in text, "docs/permissions.md: paste\n" + scope_table(runtime)


def scope_table(rt: Runtime) -> str:
    """The routes a scoped grant may reach, as ``docs/permissions.md`` lists them."""
    lines = ["| route | permission | scoped grants that reach it |", "|---|---|---|"]
    for method, path, permission, scoping in scoped_routes(rt):
        if scoping is None:
            continue
        kinds = " or ".join(k.value for k in scoping.kinds)
        if scoping.param is None:
            how = f"{kinds}: the route narrows to the grant's (body, query or list)"
        else:
            how = f"{kinds} of `{scoping.param}`" + (" (else 404)" if scoping.conceal else "")
        route = path.removeprefix("/api/v1")
        lines.append(f"| `{method} {route}` | `{permission.value}` | {how} |")
    return "\n".join(lines)


def _fill(path: str, ids: dict[str, Any]) -> str:
    fallback = {"day": DAY, "code": "NO-SUCH-TICKET"}
    return re.sub(r"\{([^}]+)\}", lambda m: str(ids.get(m[1], fallback.get(m[1], 999999))), path)


async def _scoped_tokens(rt: Runtime, grants: dict[str, Grant]) -> dict[str, str]:
    tokens = {}
    async with rt.uow(TEST_ACTOR) as uow:
        for label, grant in grants.items():
            user = await staff.create_staff(
                uow,
                rt.crypto,
                staff.NewStaff(
                    username=label.replace("_", "-").replace("@", ".at."),
                    password=ROOT_PASSWORD,
                    grants=[grant],
                ),
                now=T0,
            )
            issued = await staff.issue_token(
                uow, staff_id=user.id, lifetime=timedelta(hours=1), now=T0
            )
            tokens[label] = issued.token
    return tokens


def _scoped_grants(mine: dict[str, Any]) -> dict[str, Grant]:
    return {
        "kiosk@outlet": Grant(Role.KIOSK_STAFF, ScopeKind.OUTLET, OUTLET),
        "agent@channel": Grant(Role.AGENT_STAFF, ScopeKind.CHANNEL, "agent"),
        "validation_admin@venue": Grant(
            Role.VALIDATION_ADMIN, ScopeKind.VENUE, str(mine["venue_id"])
        ),
        "validation_staff@venue": Grant(
            Role.VALIDATION_STAFF, ScopeKind.VENUE, str(mine["venue_id"])
        ),
        "ticket_ops@organiser": Grant(
            Role.TICKET_OPS, ScopeKind.ORGANISER, str(mine["organiser_id"])
        ),
        "ticket_ops@venue": Grant(Role.TICKET_OPS, ScopeKind.VENUE, str(mine["venue_id"])),
        "business_manager@organiser": Grant(
            Role.BUSINESS_MANAGER, ScopeKind.ORGANISER, str(mine["organiser_id"])
        ),
        "customer_service@outlet": Grant(Role.CUSTOMER_SERVICE, ScopeKind.OUTLET, OUTLET),
        "client_rep@client": Grant(Role.CLIENT_REP, ScopeKind.CLIENT, str(mine["client_id"])),
    }


def _verdict(
    status: int, scoping: Scoping | None, reaches: bool, own: bool, body: str
) -> str | None:
    """What is wrong with an answer to a scoped credential, if anything."""
    if status >= 500 or status == 401:
        return "failed"
    if not reaches:
        return None if status == 403 else "not refused (403) although out of its scope kinds"
    assert scoping is not None
    if own:
        concealed = status == 404 and CONCEALED in body
        return "refused on its own resource" if status == 403 or concealed else None
    expected = 404 if scoping.conceal else 403
    return None if status == expected else f"not refused ({expected}) on another's resource"


@pytest.mark.long
async def test_scoped_credentials_reach_their_own_resources_only(
    runtime: Runtime, admin: httpx.AsyncClient, client: httpx.AsyncClient
) -> None:
    mine, other = await two_sides(admin, runtime)
    grants = _scoped_grants(mine)
    tokens = await _scoped_tokens(runtime, grants)
    wrong: list[str] = []
    reached: set[str] = set()
    for method, path, permission, scoping in scoped_routes(runtime):
        for label, grant in grants.items():
            headers = {"Authorization": f"Bearer {tokens[label]}"}
            reaches = (
                permission in ROLE_PERMISSIONS[grant.role]
                and scoping is not None
                and grant.scope in scoping.kinds
            )
            sides = [(True, mine)] + ([(False, other)] if reaches and scoping.param else [])  # type: ignore[union-attr]
            for own, ids in sides:
                response = await client.request(method, _fill(path, ids), headers=headers)
                problem = _verdict(response.status_code, scoping, reaches, own, response.text)
                if problem:
                    side = "own" if own else "other"
                    wrong.append(
                        f"{method} {path} as {label} ({side}): {response.status_code} {problem}"
                    )
                elif reaches and own:
                    reached.add(label)
    assert wrong == []
    # Each credential (but the channel-scoped agent: no admin route is a channel's) reached
    # some route of its own scope, so the refusals above are not the whole story.
    assert reached == set(grants) - {"agent@channel"}
