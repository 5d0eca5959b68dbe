"""The identities the contract fuzz runs as (issue 31, item 4): an administrator, a customer, a
clerk whose grants are scoped to one outlet and one venue, a gate device and a partner key, over
a small world (two organisers' venues, sessions, gates, devices, windows and passes) so that
generated ids often name something that exists.

Each identity can make a fresh credential (a new account and token, device or key): the cases
that could lock the fuzzing account out — signing out, changing its password, revoking or
disabling itself — run with a throw-away one made for that case."""

from __future__ import annotations

import itertools
from collections.abc import Awaitable, Callable
from dataclasses import dataclass
from datetime import timedelta

import httpx

from admit.accounts import staff
from admit.accounts.api_clients import SCOPES
from admit.core import heartbeat
from admit.core.audit_context import SYSTEM
from admit.core.permissions import Grant, Role, ScopeKind
from admit.core.runtime import Runtime
from admit.payments.directory import Gateways
from tests.conftest import T0, TEST_ACTOR
from tests.fakes.gateway import EmptyStatements
from tests.integration.accounts.people_factories import make_api_client
from tests.integration.accounts.scoped_world import OUTLET, two_sides
from tests.integration.sales.sale_factories import customers_with_ids

IDENTITIES = ("admin", "customer", "scoped_clerk", "gate_device", "partner")
Headers = dict[str, str]
_serial = itertools.count(1)
# Strong under any policy a case may set (up to 128 characters of all four classes).
PASSWORD = "Aq7!Zx3$Wm5%Kp2&" * 8


@dataclass
class Identity:
    name: str
    make: Callable[[], Awaitable[Headers]]
    headers: Headers
    probe: str  # a GET the credential answers 200 on while it is alive
    world: dict[str, object]  # the world's resources, by path parameter name

    async def renewed_if_dead(self, http: httpx.AsyncClient) -> None:
        """A case may have disabled the fuzzing account after all (an id it guessed): carry
        on with a new one rather than with 401s."""
        if (await http.get(self.probe, headers=self.headers)).status_code == 401:
            self.headers = await self.make()


async def _staff(runtime: Runtime, grants: list[Grant]) -> Headers:
    async with runtime.uow(TEST_ACTOR) as uow:
        user = await staff.create_staff(
            uow,
            runtime.crypto,
            staff.NewStaff(username=f"fuzz{next(_serial)}", password=PASSWORD, grants=grants),
            now=T0,
        )
        issued = await staff.issue_token(
            uow, staff_id=user.id, lifetime=timedelta(days=3650), now=T0
        )
    return {"Authorization": f"Bearer {issued.token}"}


async def identity(name: str, runtime: Runtime, admin: httpx.AsyncClient) -> Identity:
    """Build the world, then the identity ``name`` in it. A worker has beaten, as on a
    running platform, so readiness answers 200 (its 503 is for a platform without one); the
    bank serves statements (empty ones), so a reconciliation answers rather than 503."""
    mine, _ = await two_sides(admin, runtime)
    gateways = runtime.adapter(Gateways)
    runtime.register(Gateways, Gateways(*(EmptyStatements(gateways.get(n)) for n in gateways)))
    async with runtime.uow(SYSTEM) as uow:
        await heartbeat.beat(uow, runtime.clock.now())

    async def make() -> Headers:
        if name == "admin":
            return await _staff(runtime, [Grant(Role.SYSTEM_ADMIN)])
        if name == "scoped_clerk":
            return await _staff(
                runtime,
                [
                    Grant(Role.KIOSK_STAFF, ScopeKind.OUTLET, OUTLET),
                    Grant(Role.TICKET_OPS, ScopeKind.VENUE, str(mine["venue_id"])),
                ],
            )
        if name == "customer":
            ((_, headers),) = await customers_with_ids(runtime, 1, first=next(_serial))
            return headers
        if name == "gate_device":
            response = await admin.post(
                "/api/v1/admin/gate-devices",
                json={
                    "number": f"FUZZ-{next(_serial)}",
                    "device_type": "handheld",
                    "venue_id": mine["venue_id"],
                },
            )
            assert response.status_code == 201, response.text
            return {"X-Device-Key": response.json()["credential"]}
        key = await make_api_client(
            admin, name=f"fuzz {next(_serial)}", scopes=SCOPES, rate_per_minute=6000, burst=1000
        )
        return key.headers

    probe = {
        "admin": "/api/v1/admin/venues",
        "scoped_clerk": "/api/v1/admin/venues",
        "customer": "/api/v1/me",
        "gate_device": "/api/v1/gate/device",
        "partner": "/api/v1/partner/sessions",
    }[name]
    return Identity(
        name=name, make=make, headers=await make(), probe=probe, world={**mine, "method": "bank"}
    )
