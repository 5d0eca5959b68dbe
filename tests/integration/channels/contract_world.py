"""A contract-selling world for the channel tests: a session on sale (a 4×5 hall, level A
rows A–B, level B rows C–D: ``sales.sale_factories.on_sale``), clients, reps whose
``client_rep`` grant is scoped to their client, and an account manager."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import timedelta

import httpx

from admit.accounts import staff
from admit.core.permissions import Grant, Role, ScopeKind
from admit.core.runtime import Runtime
from tests.conftest import ROOT_PASSWORD, T0, TEST_ACTOR
from tests.integration.clients.client_factories import ADMIN

CONTRACT = ADMIN + "/clients/{client_id}/contract"


@dataclass(frozen=True)
class Person:
    staff_id: int
    headers: dict[str, str]


async def person(runtime: Runtime, username: str, grant: Grant) -> Person:
    """A staff member with one grant, and their Authorization header."""
    async with runtime.uow(TEST_ACTOR) as uow:
        user = await staff.create_staff(
            uow,
            runtime.crypto,
            staff.NewStaff(username=username, password=ROOT_PASSWORD, grants=[grant]),
            now=runtime.clock.now(),
        )
        token = await staff.issue_token(
            uow, staff_id=user.id, now=runtime.clock.now(), lifetime=timedelta(hours=8)
        )
    return Person(user.id, {"Authorization": f"Bearer {token.token}"})


async def rep_of(runtime: Runtime, client_id: int, username: str) -> Person:
    """A rep whose ``client_rep`` grant is scoped to the client."""
    return await person(runtime, username, Grant(Role.CLIENT_REP, ScopeKind.CLIENT, str(client_id)))


async def manager_of(
    runtime: Runtime, admin: httpx.AsyncClient, client_id: int, username: str
) -> Person:
    """A ticket-operations member made the client's account manager."""
    manager = await person(runtime, username, Grant(Role.TICKET_OPS))
    linked = await admin.post(
        f"{ADMIN}/clients/{client_id}/managers", json={"staff_id": manager.staff_id}
    )
    assert linked.status_code == 200, linked.text
    return manager


async def set_total(admin: httpx.AsyncClient, sid: int, **levels: int) -> None:
    body = {"levels": [{"level": k, "quota": v} for k, v in levels.items()]}
    answer = await admin.put(f"{ADMIN}/contract/sessions/{sid}/quotas", json=body)
    assert answer.status_code == 200, answer.text


async def set_client_quota(
    admin: httpx.AsyncClient, client_id: int, sid: int, **levels: int
) -> None:
    body = {"levels": [{"level": k, "quota": v} for k, v in levels.items()]}
    answer = await admin.put(f"{ADMIN}/clients/{client_id}/contract-quotas/{sid}", json=body)
    assert answer.status_code == 200, answer.text


def url(client_id: int, tail: str) -> str:
    return CONTRACT.format(client_id=client_id) + tail


async def contract_window(admin: httpx.AsyncClient, sid: int, *, limit: int = 4) -> None:
    """The session's ``client_rep`` window: the terms a collected lock's order is sold on."""
    body = {
        "channel": "client_rep",
        "starts_at": T0.isoformat(),
        "ends_at": (T0 + timedelta(hours=1)).isoformat(),  # over: hours do not matter here
        "per_person_limit": limit,
        "real_name_required": True,
        "quotas": [{"level": "A", "quota": 1}],  # nor does its quota: the contract's do
    }
    made = await admin.post(f"{ADMIN}/sessions/{sid}/sales-windows", json=body)
    assert made.status_code == 201, made.text
