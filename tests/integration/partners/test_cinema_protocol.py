"""The box-office client against the cinema simulator's HTTP protocol: every operation's
answer decoded, signatures both ways, refusals (nothing happened) told apart from unknown
outcomes (timeouts, outages, stale duplicated answers) — the latter safe to repeat."""

from __future__ import annotations

from collections.abc import AsyncIterator
from datetime import UTC, date, datetime, timedelta

import httpx
import pytest

from admit.core.clock import FixedClock
from admit.partners.box_office import (
    BoxOfficeRefused,
    BoxOfficeUnavailable,
    PartnerOrderNotFound,
)
from admit.partners.cinema_client import HttpBoxOffice
from admit.sims.cinema import CinemaSimConfig, create_cinema_app
from admit.sims.cinema_state import CinemaState

T0 = datetime(2026, 11, 22, 8, 0, tzinfo=UTC)
SESSION = "C001-H1-20261122-3"


@pytest.fixture
def clock() -> FixedClock:
    return FixedClock(T0)


@pytest.fixture
async def wired(clock: FixedClock) -> AsyncIterator[tuple[HttpBoxOffice, CinemaState]]:
    app = create_cinema_app(CinemaSimConfig(apps={"admit": "s3cret"}, hang_s=5), clock=clock)
    office = HttpBoxOffice(
        "http://cinema.test",
        "admit",
        "s3cret",
        transport=httpx.ASGITransport(app=app),
        clock=clock,
        timeout=0.5,
    )
    yield office, app.state.cinema
    await office.aclose()


async def test_cinemas_halls_showtimes_and_seat_plans_are_read(
    wired: tuple[HttpBoxOffice, CinemaState],
) -> None:
    office, _ = wired
    cinemas = await office.list_cinemas()
    assert [(c.code, c.name) for c in cinemas] == [
        ("C001", "Lumière Riverside"),
        ("C002", "Golden Harvest Jing'an"),
    ]
    halls = await office.list_halls("C001")
    assert [(h.code, len(h.seats)) for h in halls] == [("H1", 96), ("H2", 60)]
    assert halls[0].seats[0].code == "A-1"
    assert {s.area for s in halls[0].seats[-12:]} == {"VIP"}
    shows = await office.list_showtimes("C001", start=date(2026, 11, 22), days=1)
    assert [s.code for s in shows][-1] == "C001-H2-20261122-3"
    assert shows[2].prices == {"STD": 4500, "VIP": 6500}
    assert shows[2].starts_at == datetime(2026, 11, 22, 11, 30, tzinfo=UTC)
    plan = await office.seat_plan("C001", SESSION)
    assert len(plan.seats) == 96
    assert plan.unavailable() == set()
    with pytest.raises(BoxOfficeRefused) as unknown:
        await office.seat_plan("C001", "C001-H9-20261122-1")
    assert unknown.value.reason == "session_not_found"


async def test_lock_confirm_query_refund_and_report(
    wired: tuple[HttpBoxOffice, CinemaState], clock: FixedClock
) -> None:
    office, _ = wired
    await office.list_showtimes("C001", start=date(2026, 11, 22), days=1)
    lock = await office.lock("C001", SESSION, ["A-1", "A-2"], ref="r1")
    assert (lock.seats, lock.expires_at) == (("A-1", "A-2"), T0 + timedelta(minutes=15))
    with pytest.raises(BoxOfficeRefused) as taken:
        await office.lock("C001", SESSION, ["A-2"], ref="r2")
    assert (taken.value.reason, taken.value.details["seats"]) == ("seat_unavailable", ["A-2"])
    with pytest.raises(PartnerOrderNotFound):
        await office.query_order("C001", order_no="O-1")
    done = await office.confirm("C001", ref="r1", order_no="O-1", amount=9000, phone="13500000001")
    again = await office.confirm("C001", ref="r1", order_no="O-1", amount=9000, phone="")
    assert again == done
    state = await office.query_order("C001", order_no="O-1")
    assert (state.status, state.print_no, state.verify_code) == (
        "confirmed",
        done.print_no,
        done.verify_code,
    )
    assert (await office.refund("C001", order_no="O-1")).status == "refunded"
    (sale, refund) = await office.daily_report("C001", date(2026, 11, 22))
    assert (sale.kind, sale.order_no, sale.amount, sale.tickets) == ("sale", "O-1", 9000, 2)
    assert refund.kind == "refund"
    assert await office.release("C001", ref="never") == "unknown"


async def test_a_wrong_secret_is_refused_and_a_down_or_slow_cinema_is_unknown(
    wired: tuple[HttpBoxOffice, CinemaState], clock: FixedClock
) -> None:
    office, sim = wired
    stranger = HttpBoxOffice(
        "http://cinema.test",
        "admit",
        "wrong",
        transport=httpx.ASGITransport(
            app=create_cinema_app(CinemaSimConfig(apps={"admit": "s3cret"}), clock=clock)
        ),
        clock=clock,
    )
    with pytest.raises(BoxOfficeRefused) as refused:
        await stranger.list_cinemas()
    assert refused.value.reason == "bad_signature"
    await stranger.aclose()

    sim.faults.outage = True
    with pytest.raises(BoxOfficeUnavailable):
        await office.list_cinemas()
    sim.faults.outage = False
    sim.faults.latency_ms = 800
    with pytest.raises(BoxOfficeUnavailable) as slow:
        await office.list_cinemas()
    assert slow.value.details["reason"] == "timeout"


async def test_a_stale_duplicate_answer_is_not_believed_and_the_retry_is_safe(
    wired: tuple[HttpBoxOffice, CinemaState],
) -> None:
    office, sim = wired
    await office.list_showtimes("C001", start=date(2026, 11, 22), days=1)
    await office.lock("C001", SESSION, ["B-1"], ref="r1")
    sim.faults.duplicate_next = {"LockSeat": 1}
    with pytest.raises(BoxOfficeUnavailable) as stale:
        await office.lock("C001", SESSION, ["B-2"], ref="r2")
    assert stale.value.details["reason"] == "bad_signature"
    again = await office.lock("C001", SESSION, ["B-2"], ref="r2")  # it was made: same lock
    assert again.seats == ("B-2",)
    assert len(sim.locks) == 2


async def test_a_timed_out_submit_may_have_sold_the_seats(
    wired: tuple[HttpBoxOffice, CinemaState],
) -> None:
    office, sim = wired
    await office.list_showtimes("C001", start=date(2026, 11, 22), days=1)
    await office.lock("C001", SESSION, ["C-1"], ref="r1")
    sim.faults.timeout_next = {"SubmitOrder": 1}
    sim.faults.timeout_done = True
    with pytest.raises(BoxOfficeUnavailable):
        await office.confirm("C001", ref="r1", order_no="O-9", amount=4500, phone="")
    assert (await office.query_order("C001", order_no="O-9")).status == "confirmed"
