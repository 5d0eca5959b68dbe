"""The cinema simulator's own rules, without HTTP: seats locked all or nothing and expiring
on its clock, submits idempotent by the agent's order number, releases acknowledged, counter
sales, the daily report and its injected discrepancies, and signed requests."""

from __future__ import annotations

from datetime import UTC, date, datetime, timedelta

import pytest

from admit.core.clock import FixedClock
from admit.core.signing import sign_params
from admit.sims.cinema_state import CinemaSimConfig, CinemaState, SimRefusal

T0 = datetime(2026, 11, 22, 8, 0, tzinfo=UTC)
SESSION = "C001-H1-20261122-3"  # 19:30 in Shanghai


@pytest.fixture
def clock() -> FixedClock:
    return FixedClock(T0)


@pytest.fixture
def sim(clock: FixedClock) -> CinemaState:
    state = CinemaState(CinemaSimConfig(apps={"admit": "s3cret"}, lock_minutes=15), clock)
    state.showtimes("C001", date(2026, 11, 22), 1)
    return state


def _states(sim: CinemaState, *seats: str) -> list[str]:
    found = dict(sim.seat_states("C001", SESSION))
    return [found[s] for s in seats]


def test_the_programme_is_three_halls_three_showtimes_a_day(sim: CinemaState) -> None:
    day = date(2026, 11, 23)
    codes = [s.code for c in ("C001", "C002") for s in sim.showtimes(c, day, 1)]
    assert len(codes) == 9
    assert codes[0] == "C001-H1-20261123-1"
    assert sim.showtimes("C001", day, 1)[0].starts_at == datetime(2026, 11, 23, 2, 30, tzinfo=UTC)
    assert len(sim.seat_states("C001", SESSION)) == 8 * 12


def test_a_lock_is_all_or_nothing_and_the_same_reference_gets_the_same_lock(
    sim: CinemaState,
) -> None:
    lock = sim.lock("admit", "C001", SESSION, ["A-1", "A-2"], "ref-1")
    assert sim.lock("admit", "C001", SESSION, ["A-1", "A-2"], "ref-1") is lock
    assert _states(sim, "A-1", "A-2", "A-3") == ["locked", "locked", "available"]
    with pytest.raises(SimRefusal) as refused:
        sim.lock("admit", "C001", SESSION, ["A-3", "A-2"], "ref-2")
    assert (refused.value.code, refused.value.details) == ("seat_unavailable", {"seats": ["A-2"]})
    assert _states(sim, "A-3") == ["available"]


def test_a_lock_expires_on_the_cinemas_clock_and_cannot_be_sold_then(
    sim: CinemaState, clock: FixedClock
) -> None:
    sim.lock("admit", "C001", SESSION, ["A-1"], "ref-1")
    clock.advance(timedelta(minutes=15))
    assert _states(sim, "A-1") == ["available"]
    with pytest.raises(SimRefusal) as refused:
        sim.submit("admit", "C001", "ref-1", "ORD-1", 4500)
    assert refused.value.code == "lock_expired"
    assert sim.release("admit", "C001", "ref-1") == "expired"
    other = sim.lock("admit", "C001", SESSION, ["A-1"], "ref-2")
    assert other.seats == ("A-1",)


def test_a_submit_is_idempotent_by_order_number_and_checks_the_amount(sim: CinemaState) -> None:
    sim.lock("admit", "C001", SESSION, ["A-1", "H-1"], "ref-1")
    with pytest.raises(SimRefusal) as wrong:
        sim.submit("admit", "C001", "ref-1", "ORD-1", 9000)
    assert (wrong.value.code, wrong.value.details) == ("amount_mismatch", {"due": 4500 + 6500})
    order = sim.submit("admit", "C001", "ref-1", "ORD-1", 11000)
    assert sim.submit("admit", "C001", "ref-1", "ORD-1", 11000) is order
    assert (len(order.print_no), len(order.verify_code)) == (10, 6)
    assert _states(sim, "A-1", "H-1") == ["sold", "sold"]
    with pytest.raises(SimRefusal) as used:
        sim.submit("admit", "C001", "ref-1", "ORD-2", 11000)
    assert used.value.code == "lock_used"
    with pytest.raises(SimRefusal) as sold:
        sim.release("admit", "C001", "ref-1")
    assert sold.value.code == "already_sold"
    assert sim.refund("admit", "C001", "ORD-1").status == "refunded"
    assert _states(sim, "A-1") == ["available"]


def test_releases_are_acknowledged_whatever_is_left_to_release(sim: CinemaState) -> None:
    assert sim.release("admit", "C001", "never-locked") == "unknown"
    sim.lock("admit", "C001", SESSION, ["A-1"], "ref-1")
    assert sim.release("admit", "C001", "ref-1") == "released"
    assert sim.release("admit", "C001", "ref-1") == "released"
    assert _states(sim, "A-1") == ["available"]


def test_counter_sales_take_seats_from_every_agent(sim: CinemaState) -> None:
    sim.counter_sale("C001", SESSION, ["B-1"])
    with pytest.raises(SimRefusal) as refused:
        sim.lock("admit", "C001", SESSION, ["B-1"], "ref-1")
    assert refused.value.code == "seat_unavailable"
    with pytest.raises(SimRefusal):
        sim.counter_sale("C001", SESSION, ["B-1"])


def test_faults_refuse_locks_and_submits_once(sim: CinemaState) -> None:
    sim.faults.refuse_next_locks = 1
    with pytest.raises(SimRefusal) as refused:
        sim.lock("admit", "C001", SESSION, ["A-1"], "ref-1")
    assert refused.value.code == "lock_refused"
    sim.lock("admit", "C001", SESSION, ["A-1"], "ref-1")
    sim.faults.refuse_next_submits = 1
    with pytest.raises(SimRefusal) as not_sold:
        sim.submit("admit", "C001", "ref-1", "ORD-1", 4500)
    assert not_sold.value.code == "submit_refused"
    assert sim.submit("admit", "C001", "ref-1", "ORD-1", 4500).status == "confirmed"


def test_the_daily_report_lists_the_agents_sales_with_injected_discrepancies(
    sim: CinemaState,
) -> None:
    for n, seat in enumerate(("A-1", "A-2", "A-3")):
        sim.lock("admit", "C001", SESSION, [seat], f"ref-{n}")
        sim.submit("admit", "C001", f"ref-{n}", f"ORD-{n}", 4500)
    sim.counter_sale("C001", SESSION, ["A-4"])  # not the agent's
    sim.faults.report_drop = {"ORD-0"}
    sim.faults.report_amounts = {"ORD-1": 100}
    lines = sim.report("admit", "C001", date(2026, 11, 22))
    assert [(ln["order_no"], ln["kind"], ln["amount"]) for ln in lines] == [
        ("ORD-1", "sale", 100),
        ("ORD-2", "sale", 4500),
    ]
    assert sim.report("admit", "C001", date(2026, 11, 23)) == []


def test_requests_must_be_signed_fresh_and_once(sim: CinemaState) -> None:
    body: dict[str, object] = {
        "app_code": "admit",
        "nonce": "n1",
        "timestamp": int(T0.timestamp()),
        "cinema_code": "C001",
    }
    body["sign"] = sign_params(body, "s3cret")
    assert sim.authenticate(body) == "admit"
    with pytest.raises(SimRefusal) as replayed:
        sim.authenticate(body)
    assert replayed.value.code == "replayed_nonce"
    forged = {**body, "nonce": "n2", "cinema_code": "C002"}
    with pytest.raises(SimRefusal) as bad:
        sim.authenticate(forged)
    assert bad.value.code == "bad_signature"
    stale = {**body, "nonce": "n3", "timestamp": int(T0.timestamp()) - 400}
    stale["sign"] = sign_params(stale, "s3cret")
    with pytest.raises(SimRefusal) as old:
        sim.authenticate(stale)
    assert old.value.code == "stale_timestamp"
