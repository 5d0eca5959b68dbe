"""Outlets online (OPS4 preview): a till reports with its clerk's token, an outlet system with
its key; operators see each outlet online while one of its terminals reported within the
window, and when each was last seen. A clerk reports only for an outlet their grant covers;
concurrent first beats of one terminal make one row (PostgreSQL and SQLite)."""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator
from datetime import timedelta

import httpx
import pytest
from sqlalchemy import func, select

from admit.channels import terminals
from admit.channels.terminals_models import OutletTerminal
from admit.core.clock import FixedClock
from admit.core.permissions import Role
from admit.core.runtime import Runtime
from tests.conftest import TEST_ACTOR
from tests.integration.accounts.people_factories import error, ok, plain_client
from tests.integration.channels.channel_world import (
    ADMIN,
    CHANNEL,
    add_outlet,
    bound_key,
    counter_staff,
)

pytestmark = pytest.mark.backends


@pytest.fixture
async def http(runtime: Runtime) -> AsyncIterator[httpx.AsyncClient]:
    async with plain_client(runtime) as c:
        yield c


async def test_outlets_online_from_tills_and_systems(
    admin: httpx.AsyncClient, http: httpx.AsyncClient, clock: FixedClock, runtime: Runtime
) -> None:
    for channel, code in (("box_office", "BO-1"), ("box_office", "BO-2"), ("agent", "AG-1")):
        await add_outlet(admin, channel, code)
    clerk = await counter_staff(runtime, Role.KIOSK_STAFF, "BO-1", "kiosk1")
    beat = ok(
        await http.post(
            "/api/v1/counter/heartbeat",
            headers=clerk,
            json={"outlet": "BO-1", "terminal": "till-1"},
        )
    )
    assert (beat["outlet"], beat["terminal"]) == ("BO-1", "till-1")
    error(
        await http.post(
            "/api/v1/counter/heartbeat",
            headers=clerk,
            json={"outlet": "BO-2", "terminal": "till-1"},
        ),
        403,
        "forbidden",
    )
    error(
        await http.post(
            "/api/v1/counter/heartbeat", headers=clerk, json={"outlet": "NOPE", "terminal": "t"}
        ),
        404,
        "not_found",
    )
    agent = await bound_key(admin, name="Agent system", channel="agent", outlet="AG-1")
    ok(await http.post(f"{CHANNEL}/heartbeat", headers=agent.headers, json={"terminal": "server"}))
    roaming = await bound_key(admin, name="Kiosk fleet", channel="box_office", outlet=None)
    error(
        await http.post(f"{CHANNEL}/heartbeat", headers=roaming.headers, json={"terminal": "k"}),
        409,
        "key_has_no_outlet",
    )

    clock.advance(timedelta(minutes=3))
    ok(
        await http.post(
            "/api/v1/counter/heartbeat",
            headers=clerk,
            json={"outlet": "BO-1", "terminal": "till-2"},
        )
    )
    board = {o["outlet"]: o for o in ok(await admin.get(f"{ADMIN}/outlets/online"))}
    assert {code: o["online"] for code, o in board.items()} == {
        "AG-1": True,
        "BO-1": True,
        "BO-2": False,
    }
    assert (board["BO-2"]["last_seen_at"], board["BO-2"]["terminals"]) == (None, [])
    assert [t["terminal"] for t in board["BO-1"]["terminals"]] == ["till-1", "till-2"]

    clock.advance(timedelta(minutes=4))  # till-1 and the agent's server: 7 minutes ago
    board = {o["outlet"]: o for o in ok(await admin.get(f"{ADMIN}/outlets/online"))}
    assert (board["AG-1"]["online"], board["BO-1"]["online"]) == (False, True)
    assert [t["online"] for t in board["BO-1"]["terminals"]] == [False, True]
    assert board["AG-1"]["last_seen_at"] is not None
    wider = {
        o["outlet"]: o["online"]
        for o in ok(await admin.get(f"{ADMIN}/outlets/online", params={"within_minutes": 10}))
    }
    assert wider["AG-1"] is True
    error(await http.get(f"{ADMIN}/outlets/online", headers=clerk), 403, "forbidden")


async def test_concurrent_first_beats_of_a_terminal_make_one_row(
    admin: httpx.AsyncClient, runtime: Runtime
) -> None:
    await add_outlet(admin, "box_office", "BO-1")

    async def one_beat(i: int) -> None:
        async with runtime.uow(TEST_ACTOR) as uow:
            await terminals.beat(
                uow,
                outlet="BO-1",
                terminal="till-1",
                reported_by=f"staff:{i}",
                now=runtime.clock.now(),
            )

    await asyncio.gather(*(one_beat(i) for i in range(4)))
    async with runtime.uow(TEST_ACTOR, readonly=True) as uow:
        rows = await uow.session.scalar(select(func.count()).select_from(OutletTerminal))
    assert rows == 1
