"""The daily roll-up (``reports.rollup``): every report reads the same whether its days are
read live, rolled up, or some of each; a rolled-up day is really read from the roll-up; names
are looked up when read; rolling a day again changes nothing; several workers never roll the
same day twice — on SQLite and PostgreSQL (the race on PostgreSQL)."""

from __future__ import annotations

import asyncio
from datetime import UTC, date, datetime, timedelta
from pathlib import Path
from typing import Any

import httpx
import pytest
from sqlalchemy import func, select, update
from tests.conftest import TEST_ACTOR, logging_kept
from tests.integration.reports.conftest import figures
from tests.integration.reports.conftest import get_report as report
from tests.integration.reports.report_world import ADMIN, MONDAY, SUNDAY, History
from typer.testing import CliRunner

from admit.cli import app as cli
from admit.core.clock import FixedClock
from admit.core.runtime import Runtime
from admit.core.worker import sweep
from admit.reports import rollup
from admit.reports.kinds import KINDS
from admit.reports.models import ReportDayBuyer, ReportDayFigure

pytestmark = pytest.mark.backends
ROLLUP = frozenset({"reports.rollup"})
EVERY_REPORT = [(name, dim) for name, kind in KINDS.items() for dim in kind.dimensions]


async def every_report(admin: httpx.AsyncClient, history: History) -> dict[str, Any]:
    return {
        f"{name} by {dim}": await report(admin, history, name, by=dim) for name, dim in EVERY_REPORT
    }


async def through(runtime: Runtime) -> date | None:
    async with runtime.uow(TEST_ACTOR) as uow:
        return await rollup.rolled_through(uow)


async def test_every_report_reads_the_same_live_half_rolled_and_rolled(
    admin: httpx.AsyncClient, runtime: Runtime, clock: FixedClock, history: History
) -> None:
    sunday, monday = date.fromisoformat(SUNDAY), date.fromisoformat(MONDAY)
    assert (await through(runtime) or date.min) < sunday  # nothing of the history rolled up
    live = await every_report(admin, history)
    assert live["revenue by day"]["totals"]["net"] == 33000

    # Monday 02:00: Sunday closed at Monday 01:00; Monday is still read live.
    assert (await sweep(runtime, only=ROLLUP))["reports.rollup"] == 1
    assert await through(runtime) == sunday
    assert await every_report(admin, history) == live

    clock.advance(timedelta(hours=23, minutes=30))  # Tuesday 01:30: Monday is closed too
    await sweep(runtime, only=ROLLUP)
    assert await through(runtime) == monday
    assert await every_report(admin, history) == live
    assert (await sweep(runtime, only=ROLLUP))["reports.rollup"] == 0  # nothing left to do
    async with runtime.uow(TEST_ACTOR) as uow:
        days = await uow.session.scalars(
            select(ReportDayFigure.day).where(ReportDayFigure.dimension == "day")
        )
        assert sorted(days) == [sunday, monday]
        buyers = await uow.session.scalar(select(func.count()).select_from(ReportDayBuyer))
        assert buyers == 4  # Sunday: the clerk, Ann, Bob; Monday: the clerk


async def test_rolled_up_days_are_read_from_the_rollup_and_names_when_read(
    admin: httpx.AsyncClient, runtime: Runtime, clock: FixedClock, history: History
) -> None:
    clock.advance(timedelta(days=1))
    await sweep(runtime, only=ROLLUP)
    await sweep(runtime, only=ROLLUP)
    assert await through(runtime) == date.fromisoformat(MONDAY)
    # A fen written into Sunday's rolled-up row shows: the day is read from there.
    async with runtime.uow(TEST_ACTOR) as uow:
        await uow.session.execute(
            update(ReportDayFigure)
            .where(ReportDayFigure.dimension == "day", ReportDayFigure.day == date(2026, 11, 22))
            .values(paid=ReportDayFigure.paid + 1)
        )
    by_day = await report(admin, history, "revenue", by="day")
    assert figures(by_day, "key", "paid") == [(SUNDAY, 33001), (MONDAY, 8000)]
    # Renamed after its days were rolled up, the event reads with its new name.
    renamed = await admin.patch(f"{ADMIN}/events/{history.event_id}", json={"name": "Encore"})
    assert renamed.status_code == 200, renamed.text
    by_event = await report(admin, history, "revenue", by="event")
    assert figures(by_event, "key", "label", "net") == [(str(history.event_id), "Encore", 33000)]
    # Rolling the days up again (as after an import into the past) puts the true figure back.
    async with runtime.uow(TEST_ACTOR) as uow:
        await rollup.rewind(uow, date.fromisoformat(SUNDAY))
    assert await through(runtime) == date(2026, 11, 21)
    async with runtime.uow(TEST_ACTOR) as uow:
        rolled = await rollup.advance(uow, clock.now(), days=31)
    assert rolled == [date(2026, 11, 22), date(2026, 11, 23)]
    by_day = await report(admin, history, "revenue", by="day")
    assert figures(by_day, "key", "paid") == [(SUNDAY, 33000), (MONDAY, 8000)]


async def test_a_day_is_closed_an_hour_after_it_ends(runtime: Runtime) -> None:
    """No sale yet: the first cycle marks every day before the last closed one as rolled up."""
    assert rollup.last_closed(datetime.fromisoformat("2026-11-23T00:59+00:00")) == date(
        2026, 11, 21
    )
    assert rollup.last_closed(datetime.fromisoformat("2026-11-23T01:00+00:00")) == date(
        2026, 11, 22
    )
    await sweep(runtime, only=ROLLUP)
    assert await through(runtime) == rollup.last_closed(runtime.clock.now())


@pytest.mark.parametrize("db_url", ["postgresql"], indirect=True)
async def test_two_workers_never_roll_the_same_day_twice(
    admin: httpx.AsyncClient, runtime: Runtime, clock: FixedClock, history: History
) -> None:
    clock.advance(timedelta(days=1))

    async def worker() -> list[date]:
        async with runtime.uow(TEST_ACTOR) as uow:
            return await rollup.advance(uow, clock.now())

    # Each rolls one day: one Sunday, the other (waiting for the first) Monday — never both
    # the same day.
    first, second = await asyncio.gather(worker(), worker())
    assert sorted([*first, *second]) == [date(2026, 11, 22), date(2026, 11, 23)]
    assert await asyncio.gather(worker(), worker()) == [[], []]


@pytest.mark.parametrize("db_url", ["postgresql"], indirect=True)
async def test_a_worker_does_not_wait_for_another_rolling_up(
    admin: httpx.AsyncClient, runtime: Runtime, clock: FixedClock, history: History
) -> None:
    """While one transaction rolls a day up, another worker's sweep passes at once."""
    clock.advance(timedelta(days=1))
    async with runtime.uow(TEST_ACTOR) as holding:
        assert await rollup.advance(holding, clock.now()) == [date(2026, 11, 22)]
        swept = await asyncio.wait_for(sweep(runtime, only=ROLLUP), timeout=30)
        assert swept["reports.rollup"] == 0
    assert await through(runtime) == date(2026, 11, 22)
    assert (await sweep(runtime, only=ROLLUP))["reports.rollup"] == 1  # Monday, now free
    by_day = await report(admin, history, "revenue", by="day")
    assert figures(by_day, "key", "paid", "refunded") == [(SUNDAY, 33000, 0), (MONDAY, 8000, 8000)]


@pytest.mark.parametrize("db_url", ["sqlite"], indirect=True)
async def test_the_rollup_command_rolls_every_closed_day_and_again_from_a_day(
    admin: httpx.AsyncClient,
    runtime: Runtime,
    history: History,
    db_url: str,
    tmp_path: Path,
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    """``admit rollup-reports`` (on the real clock: every day since the history is closed)."""
    live = await every_report(admin, history)
    monkeypatch.setenv("ADMIT_DATA_DIR", str(tmp_path))
    monkeypatch.setenv("ADMIT_DATABASE_URL", db_url)
    closed = rollup.last_closed(datetime.now(UTC))
    days = (closed - date.fromisoformat(SUNDAY)).days + 1
    code, out = await asyncio.to_thread(invoke, "rollup-reports")
    assert (code, f"{days} day(s) rolled up" in out) == (0, True), out
    assert await through(runtime) == closed
    assert await every_report(admin, history) == live
    code, out = await asyncio.to_thread(invoke, "rollup-reports", "--from", MONDAY)
    assert (code, f"{days - 1} day(s) rolled up" in out) == (0, True), out
    assert await every_report(admin, history) == live
    code, out = await asyncio.to_thread(invoke, "rollup-reports")
    assert (code, "0 day(s) rolled up" in out) == (0, True), out


def invoke(*args: str) -> tuple[int, str]:
    with logging_kept():
        result = CliRunner().invoke(cli, list(args))
    return result.exit_code, result.output
