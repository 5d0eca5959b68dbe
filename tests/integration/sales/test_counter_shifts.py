"""A clerk's shifts (issue 19, item 1; FE2): one open shift per clerk however many counters
race to open it, closed once; the till report counts only the clerk's payments at the
shift's outlet within the shift."""

from __future__ import annotations

import asyncio

import pytest
from sqlalchemy import func, select
from tests.conftest import ROOT_PASSWORD, TEST_ACTOR

from admit.accounts import staff
from admit.core.errors import AdmitError
from admit.core.permissions import Grant, Role, ScopeKind
from admit.core.runtime import Runtime
from admit.sales import shifts
from admit.sales.shift_models import CounterShift

pytestmark = pytest.mark.backends


async def _clerk(runtime: Runtime) -> int:
    async with runtime.uow(TEST_ACTOR) as uow:
        clerk = await staff.create_staff(
            uow,
            runtime.crypto,
            staff.NewStaff(
                username="kiosk9",
                password=ROOT_PASSWORD,
                grants=[Grant(Role.KIOSK_STAFF, ScopeKind.OUTLET, "BO-9")],
            ),
            now=runtime.clock.now(),
        )
    return clerk.id


async def _open(runtime: Runtime, staff_id: int) -> str:
    try:
        async with runtime.uow(TEST_ACTOR) as uow:
            await shifts.open_shift(
                uow,
                staff_id=staff_id,
                staff="kiosk9",
                outlet="BO-9",
                opening_float=10_000,
                now=runtime.clock.now(),
            )
    except AdmitError as refused:
        return refused.code
    return "opened"


async def test_racing_counters_open_one_shift_and_close_it_once(runtime: Runtime) -> None:
    staff_id = await _clerk(runtime)
    outcomes = await asyncio.gather(*(_open(runtime, staff_id) for _ in range(6)))
    assert sorted(outcomes) == ["opened"] + ["shift_open"] * 5

    async def close() -> str:
        try:
            async with runtime.uow(TEST_ACTOR) as uow:
                await shifts.close_shift(
                    uow, staff_id=staff_id, counted_cash=10_000, now=runtime.clock.now()
                )
        except AdmitError as refused:
            return refused.code
        return "closed"

    closings = await asyncio.gather(*(close() for _ in range(4)))
    assert sorted(closings) == ["closed"] + ["no_open_shift"] * 3
    assert await _open(runtime, staff_id) == "opened"  # the next shift
    async with runtime.uow(TEST_ACTOR, readonly=True) as uow:
        rows = (
            await uow.session.execute(
                select(func.count(), func.count(CounterShift.closed_at)).where(
                    CounterShift.staff_id == staff_id
                )
            )
        ).one()
        shift = await shifts.current_shift(uow, staff_id)
        assert shift is not None
        report = await shifts.till_report(uow, shift, now=runtime.clock.now())
    assert tuple(rows) == (2, 1)
    assert (report.totals, report.cash_expected, report.difference) == ([], 10_000, None)
