"""Holds (S5, INV0): a buyer's seats and places claimed atomically, within the sales window,
the level quotas and the per-person limit, all in the caller's one transaction. A hold expires
at the window's payment time limit (lazily at claim time, and by the sweeper)."""

from __future__ import annotations

from collections import Counter
from collections.abc import Sequence
from dataclasses import replace
from datetime import datetime, timedelta

from sqlalchemy import insert, select
from sqlalchemy.dialects.postgresql import insert as pg_insert
from sqlalchemy.dialects.sqlite import insert as sqlite_insert

from admit.clients.keys import buyer_keys
from admit.clients.rules import NO_KEYS
from admit.core import sliced_counters
from admit.core.errors import InvalidInput, NotFound
from admit.core.sliced_counters import home_slice
from admit.core.uow import UnitOfWork
from admit.inventory.best_claims import BestClaim, claim_best_seats, level_id
from admit.inventory.claims import (
    SoldOut,
    claim_seats,
    find_area,
    take_places,
)
from admit.sales import hold_statement
from admit.sales.hold_endings import expire_due
from admit.sales.hold_requests import HoldRequest as HoldRequest  # callers say holds.HoldRequest
from admit.sales.hold_requests import HoldSummary, Placed
from admit.sales.limits import LimitExceeded, take_buyer_usage
from admit.sales.models import Hold, HoldCount, WindowQuotaSlice
from admit.sales.sale_gate import OpenWindow, check_on_sale
from admit.sales.windows import ChannelClosed, NotOnSale


async def _existing(uow: UnitOfWork, req: HoldRequest) -> Hold | None:
    if req.idempotency_key is None:
        return None
    return await uow.session.scalar(
        select(Hold).where(Hold.buyer == req.buyer, Hold.idempotency_key == req.idempotency_key)
    )


def summary(hold: Hold) -> HoldSummary:
    return HoldSummary(
        hold.id, hold.session_id, hold.buyer, hold.status, hold.quantity, hold.expires_at
    )


async def place_hold(uow: UnitOfWork, req: HoldRequest, *, now: datetime) -> HoldSummary:
    """Claim everything requested or nothing. Raises ``NotOnSale``/``ChannelClosed``,
    ``SeatsTaken`` (the seats already gone), ``SoldOut`` (a level quota or GA area),
    ``SeatReserved`` (a seat reserved for a client the buyer does not buy for),
    ``LimitExceeded`` (per-person limit) — all 409 — or ``InvalidInput``. A repeated
    ``idempotency_key`` returns the buyer's first hold."""
    return (await hold_seats(uow, req, now=now)).hold


async def hold_seats(uow: UnitOfWork, req: HoldRequest, *, now: datetime) -> Placed:
    """``place_hold``, also saying which seats were claimed. The hot path of an on-sale: the
    gate reads cached configuration, and on PostgreSQL the hold is one statement
    (``hold_statement``); elsewhere, and for the best available seats, five — the hold row,
    the buyer's counter, the seats, the quota counters (last, so their rows stay locked only
    until the commit right after), the hold's counts. The best available seats are chosen
    and claimed in the seats' place (``best_claims``): such a hold fails only when the
    level has fewer free seats than asked (``SoldOut``)."""
    if req.best is not None and req.seat_keys:
        raise InvalidInput("ask for named seats or for the best available, not both")
    window = await _gate(uow, req, now)
    if isinstance(window, Hold):  # a retry after the sale closed: the first hold stands
        return Placed(summary(window), (), True)
    if req.keys is None:  # from the process's map: no statement (``clients.keys``)
        req = replace(req, keys=await buyer_keys(uow, req.buyer))
    best = req.best[1] if req.best is not None else 0
    quantity = len(req.seat_keys) + sum(q for _, q in req.places) + best
    if quantity < 1:
        raise InvalidInput("hold at least one seat or place")
    if quantity > window.per_person_limit:
        raise LimitExceeded(f"at most {window.per_person_limit} tickets per person")
    if hold_statement.fits(uow, req):
        return await _hold_in_one(uow, req, window, quantity, now)
    hold = await _insert_hold(uow, req, window, quantity, now)
    if hold is None:  # the same key again: the first hold stands
        existing = await _existing(uow, req)
        assert existing is not None
        return Placed(summary(existing), (), True)
    await take_buyer_usage(uow, req.session_id, req.buyer, quantity, window.per_person_limit)
    seats = await _claim(uow, req, hold, window, now)
    return Placed(summary(hold), tuple(sorted(seats)), False)


async def _hold_in_one(
    uow: UnitOfWork, req: HoldRequest, window: OpenWindow, quantity: int, now: datetime
) -> Placed:
    """The one statement; when a quota looks used up it has written nothing, and holds of the
    session that have lapsed are expired (holding no row of this hold) before one more try."""
    places = _per_area(req.places)
    placed = await hold_statement.hold_once(uow, req, window, places, quantity=quantity, now=now)
    if placed is None and await expire_due(uow, now=now, session_id=req.session_id):
        placed = await hold_statement.hold_once(
            uow, req, window, places, quantity=quantity, now=now
        )
    if placed is None:
        raise SoldOut("not enough tickets left at this price level for this channel")
    return placed


async def _claim(
    uow: UnitOfWork, req: HoldRequest, hold: Hold, window: OpenWindow, now: datetime
) -> list[str]:
    """Claim what the request asks for; the keys of the seats held."""
    # Rows are locked in one order by every hold and every release — buyer counter, seats,
    # GA areas, quotas (each by id) — so concurrent transactions cannot deadlock. A
    # counter is split into slices (sliced_counters): the take says which slice it counted on,
    # and the hold's counts record it, for release and sale to touch that slice only.
    quotas = window.quotas
    per_quota: Counter[int] = Counter()
    held = list(req.seat_keys)
    if req.best is not None:
        held, quota_id = await _claim_best(uow, req, hold, window, now)
        per_quota[quota_id] += len(held)
    if req.seat_keys:
        seats = await claim_seats(
            uow,
            session_id=req.session_id,
            seat_keys=req.seat_keys,
            hold_id=hold.id,
            expires_at=hold.expires_at,
            allowed_levels=list(quotas),
            now=now,
            keys=req.keys or NO_KEYS,
        )
        per_quota.update(quotas[s.price_level_id] for s in seats if s.price_level_id is not None)
    areas = []
    for area, n in sorted(_per_area(req.places).items()):
        found = await find_area(uow, session_id=req.session_id, area_code=area)
        if found.price_level_id is None or found.price_level_id not in quotas:
            raise NotOnSale(f"the {area} area is not sold through {req.channel}")
        per_quota[quotas[found.price_level_id]] += n
        areas.append((area, found, n))
    # The session's shared counters — GA areas, then quotas — come last: a taker never waits
    # on a slice another buyer is updating, it takes another one.
    counts: list[dict[str, int | None]] = []
    for area, found, n in sorted(areas, key=lambda a: a[1].id):
        slice_ = await take_places(
            uow,
            session_ga_id=found.id,
            home=home_slice(hold.id, found.slices),
            area_code=area,
            quantity=n,
        )
        counts.append(_count(hold, slice_, n, session_ga_id=found.id))
    for quota_id in sorted(per_quota):
        home = home_slice(hold.id, window.quota_slices.get(quota_id, 1))
        slice_ = await _take_quota(uow, quota_id, home, per_quota[quota_id], hold, now)
        counts.append(_count(hold, slice_, per_quota[quota_id], quota_id=quota_id))
    if counts:
        await uow.session.execute(insert(HoldCount), counts)
    return held


def _count(
    hold: Hold,
    slice_: int,
    n: int,
    *,
    session_ga_id: int | None = None,
    quota_id: int | None = None,
) -> dict[str, int | None]:
    return {
        "hold_id": hold.id,
        "session_ga_id": session_ga_id,
        "quota_id": quota_id,
        "slice": slice_,
        "quantity": n,
    }


def _per_area(places: Sequence[tuple[str, int]]) -> Counter[str]:
    """Places asked for per area (an area named twice is one take of its counter)."""
    per_area: Counter[str] = Counter()
    for area, n in places:
        if n < 1:
            raise InvalidInput("hold at least one place")
        per_area[area] += n
    return per_area


async def _gate(uow: UnitOfWork, req: HoldRequest, now: datetime) -> OpenWindow | Hold:
    try:
        return await check_on_sale(
            uow, session_id=req.session_id, channel=req.channel, outlet_code=req.outlet, now=now
        )
    except (NotOnSale, ChannelClosed):
        if (existing := await _existing(uow, req)) is not None:
            return existing
        raise


async def _insert_hold(
    uow: UnitOfWork, req: HoldRequest, window: OpenWindow, quantity: int, now: datetime
) -> Hold | None:
    """One statement that yields to a concurrent retry with the same key: it waits for that
    transaction and, if it committed, inserts nothing (``None``)."""
    upsert = pg_insert if uow.dialect == "postgresql" else sqlite_insert
    return (
        await uow.session.scalars(
            upsert(Hold)
            .values(
                session_id=req.session_id,
                window_id=window.window_id,
                buyer=req.buyer,
                channel=req.channel,
                outlet=req.outlet,
                quantity=quantity,
                idempotency_key=req.idempotency_key,
                status="active",
                created_at=now,
                expires_at=now + timedelta(minutes=window.payment_minutes),
            )
            .on_conflict_do_nothing(index_elements=[Hold.buyer, Hold.idempotency_key])
            .returning(Hold)
        )
    ).first()


async def _claim_best(
    uow: UnitOfWork, req: HoldRequest, hold: Hold, window: OpenWindow, now: datetime
) -> tuple[list[str], int]:
    """The best seats free at the asked level: their keys, and the quota they count on."""
    assert req.best is not None
    code, quantity = req.best
    level = await level_id(uow, session_id=req.session_id, level_code=code)
    if level not in window.quotas:
        raise NotOnSale(f"level {code} is not sold through {req.channel}")
    claim = BestClaim(
        req.session_id, level, code, quantity, hold.id, hold.expires_at, req.keys or NO_KEYS
    )
    return await claim_best_seats(uow, claim, now=now), window.quotas[level]


async def take_quota_counter(uow: UnitOfWork, quota_id: int, home: int, n: int) -> int | None:
    """Count n more held tickets against the quota, if they fit: the slice counted on, or None."""
    return await sliced_counters.take(uow, WindowQuotaSlice, quota_id, home, n)


async def _take_quota(
    uow: UnitOfWork, quota_id: int, home: int, n: int, hold: Hold, now: datetime
) -> int:
    for attempt in range(2):
        if (slice_ := await take_quota_counter(uow, quota_id, home, n)) is not None:
            return slice_
        if attempt == 0 and not await expire_due(uow, now=now, session_id=hold.session_id):
            break  # nothing lapsed to give back: the quota is really used up
    raise SoldOut("not enough tickets left at this price level for this channel")


async def get_hold(uow: UnitOfWork, *, hold_id: int, buyer: str) -> Hold:
    hold = await uow.session.get(Hold, hold_id)
    if hold is None or hold.buyer != buyer:
        raise NotFound(f"hold {hold_id} does not exist")
    return hold
