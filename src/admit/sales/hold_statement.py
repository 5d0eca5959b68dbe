"""A seat hold in one statement on PostgreSQL (issue 17): ``admit_hold(…)``, the SQL function
of migration 0021 (as 0033 left it: the buyer's reservation keys are its last two arguments),
does what ``sales.holds`` does in five — the hold row (a repeated
idempotency key returns the first hold), the buyer's per-person counter, the named seats, the
GA areas' and the quotas' counter slices, the hold's counts — in the same lock order, and
answers with a status: a refusal has written nothing (the function's block is rolled back) and
the transaction stays usable, so the caller may give back lapsed holds and try again.

It is sent with ``UnitOfWork.call`` on the unit of work's connection: SQLAlchemy begins the
transaction before it (the lazy-BEGIN trap of the design guide: a statement sent on the raw
driver connection before any SQLAlchemy statement would run outside the transaction), no
SQL is compiled, and the answer is built from the row it returns, with no ORM object.

What it does not do — the best available seats (chosen in Python), a seat named twice, a
place count below one — goes the way of ``sales.holds`` (``fits``)."""

from __future__ import annotations

from collections.abc import Mapping
from datetime import datetime, timedelta
from typing import Any

from admit.clients.rules import NO_KEYS
from admit.core.errors import InvalidInput
from admit.core.uow import UnitOfWork
from admit.inventory.claims import RESERVED, SeatReserved, SeatsTaken, SoldOut
from admit.sales.hold_requests import HoldRequest, HoldSummary, Placed
from admit.sales.limits import LimitExceeded
from admit.sales.sale_gate import OpenWindow
from admit.sales.windows import NotOnSale

CALL = "SELECT * FROM admit_hold(" + ", ".join(f"${i}" for i in range(1, 20)) + ")"


def fits(uow: UnitOfWork, req: HoldRequest) -> bool:
    """Whether this hold can be the one statement: PostgreSQL, seats named once each, places
    of at least one, and no best-available choice (its seats are chosen in Python)."""
    return (
        uow.dialect == "postgresql"
        and req.best is None
        and len(set(req.seat_keys)) == len(req.seat_keys)
        and all(n >= 1 for _, n in req.places)
    )


async def hold_once(
    uow: UnitOfWork,
    req: HoldRequest,
    window: OpenWindow,
    places: Mapping[str, int],
    *,
    quantity: int,
    now: datetime,
) -> Placed | None:
    """Place the hold with one statement; ``None`` when a level quota looked used up (nothing
    was written: the caller may expire lapsed holds and try again). Raises what
    ``holds.place_hold`` raises."""
    areas = sorted(places)
    keys = req.keys or NO_KEYS
    args = (
        req.session_id,
        window.window_id,
        req.buyer,
        req.channel,
        req.outlet,
        req.idempotency_key,
        now,
        now + timedelta(minutes=window.payment_minutes),
        quantity,
        window.per_person_limit,
        list(req.seat_keys),
        list(window.quotas),
        list(window.quotas.values()),
        list(window.quota_slices),
        list(window.quota_slices.values()),
        areas,
        [places[a] for a in areas],
        sorted(keys.clients),
        sorted(keys.groups),
    )
    row = (await uow.call(CALL, args)).one()
    return answer(row, req, window)


def answer(row: Any, req: HoldRequest, window: OpenWindow) -> Placed | None:
    """The function's row as the hold placed, or the refusal it names, raised."""
    status, hold_id, session_id, hold_status, quantity, expires_at, seats, detail = row
    if status in ("held", "replayed"):
        hold = HoldSummary(hold_id, session_id, req.buyer, hold_status, quantity, expires_at)
        return Placed(hold, tuple(sorted(seats)), status == "replayed")
    if status == "quota_short":
        return None
    raise _refusal(status, list(detail or ()), req, window)


def _refusal(status: str, detail: list[str], req: HoldRequest, window: OpenWindow) -> Exception:
    """The same refusals, with the same messages and details, as the statements of
    ``sales.holds`` raise."""
    if status == "limit":
        limit = window.per_person_limit
        return LimitExceeded(
            f"at most {limit} tickets per person for this session", details={"limit": limit}
        )
    if status == "seats_taken":
        return SeatsTaken("some seats are no longer available", details={"seats": detail})
    if status == "seat_reserved":
        return SeatReserved(RESERVED, details={"seats": detail})
    if status == "unknown_seats":
        return InvalidInput("no such seats in this session", details={"seats": detail})
    if status == "no_area":
        return InvalidInput(f"no general-admission area {detail[0]!r} in this session")
    if status == "area_not_sold":
        return NotOnSale(f"the {detail[0]} area is not sold through {req.channel}")
    if status == "ga_sold_out":
        return SoldOut(f"fewer than {detail[1]} places are left in {detail[0]}")
    raise AssertionError(f"admit_hold answered {status!r}")
