"""Customers' holds over HTTP (C7: only a signed-in customer holds seats): hold, look, let go.
Every hold first passes the on-sale's limits (``on_sale_limits_api``) and the buyer checks."""

from __future__ import annotations

from collections.abc import Iterable
from datetime import datetime, timedelta
from typing import Annotated, Literal

from fastapi import APIRouter, Header
from pydantic import BaseModel, ConfigDict, Field

from admit.clients.keys import buyer_keys
from admit.clients.rules import buyer_of_customer
from admit.core.audit_context import Actor
from admit.core.runtime import Runtime
from admit.core.uow import UnitOfWork
from admit.http.deps import ClientIP, CustomerId, CustomerReader, CustomerUoW, Now, RuntimeDep
from admit.http.throttle import DeviceHeader
from admit.inventory.claims import seats_of_hold
from admit.inventory.client_reservations import holdable_reserved
from admit.sales import buyer_checks, hold_endings, holds
from admit.sales.hold_requests import HoldSummary
from admit.sales.models import Hold
from admit.sales.on_sale_limits_api import limit_holds
from admit.sales.outside_inventory import outside
from admit.waiting import room as waiting_room

router = APIRouter(tags=["holds"])


class Model(BaseModel):
    model_config = ConfigDict(extra="forbid")


class PlacesIn(Model):
    area: Annotated[str, Field(min_length=1, max_length=20)]
    quantity: int = Field(ge=1, le=100)


class BestIn(Model):
    level: Annotated[str, Field(min_length=1, max_length=20, description="price level code")]
    quantity: int = Field(ge=1, le=20)


class HoldIn(Model):
    seats: list[Annotated[str, Field(min_length=1, max_length=60)]] = Field(
        default_factory=list, max_length=100
    )
    places: list[PlacesIn] = Field(default_factory=list, max_length=10)
    best: BestIn | None = Field(
        default=None, description="the best N seats side by side at a level, chosen for you"
    )
    channel: Literal["web", "mobile"] = "web"

    def request(self, session_id: int, buyer: str, key: str | None) -> holds.HoldRequest:
        return holds.HoldRequest(
            session_id=session_id,
            buyer=buyer,
            channel=self.channel,
            seat_keys=self.seats,
            places=[(p.area, p.quantity) for p in self.places],
            idempotency_key=key,
            best=(self.best.level, self.best.quantity) if self.best else None,
        )


# Every state a hold takes (``sales.holds``, ``settlement``, ``partners.handover``).
HoldStatus = Literal["active", "confirming", "sold", "released", "expired"]


class HoldOut(Model):
    id: int
    session_id: int
    status: HoldStatus
    quantity: int
    expires_at: datetime
    seats: list[str]


def hold_out(hold: Hold | HoldSummary, seats: Iterable[str]) -> HoldOut:
    return HoldOut(
        id=hold.id,
        session_id=hold.session_id,
        status=hold.status,
        quantity=hold.quantity,
        expires_at=hold.expires_at,
        seats=list(seats),
    )


async def read_hold_out(uow: UnitOfWork, hold: Hold | HoldSummary) -> HoldOut:
    return hold_out(hold, await seats_of_hold(uow, hold.id))


@router.post("/sessions/{session_id}/holds", status_code=201)
async def place_hold(
    session_id: int,
    body: HoldIn,
    cid: CustomerId,
    address: ClientIP,
    now: Now,
    rt: RuntimeDep,
    idempotency_key: Annotated[str | None, Header(max_length=80)] = None,
    x_admission_token: Annotated[str | None, Header(max_length=200)] = None,
    device: DeviceHeader = None,
) -> HoldOut:
    """Hold seats (by key) and general-admission places until the payment time limit: all or
    nothing, 409 naming what is gone. Send an ``Idempotency-Key`` to retry safely. A session
    behind a waiting room needs the admission from its queue as ``X-Admission-Token``. On a
    partner cinema's session the cinema locks the seats first, outside any transaction (409
    ``partner_lock_refused`` when it will not). Too many holds from one address or device
    (``X-Device-Id``) answer 429 ``rate_limited``; an account opened moments ago, 403
    ``account_too_new``; both with ``Retry-After``."""
    await limit_holds(rt, address=address, device=device)
    req = body.request(session_id, f"customer:{cid}", idempotency_key)
    actor = Actor(kind="customer", id=str(cid))
    inventory = outside()
    partner = inventory.known(rt.caches, session_id)
    if not partner:
        async with rt.uow(actor) as uow:
            if partner is None:  # first sight in this process: one primary-key read
                partner = await inventory.remember(rt.caches, uow, session_id)
            if not partner:
                await check_buyer(uow, rt, req, cid, x_admission_token, now)
                placed = await holds.hold_seats(uow, req, now=now)
        if not partner and not placed.replayed:
            return hold_out(placed.hold, placed.seats)
        if not partner:
            # Read after the commit: the hold's counter rows are not kept locked for it.
            async with rt.uow(actor, readonly=True) as uow:
                return await read_hold_out(uow, placed.hold)
    # The cinema's seats: its lock is taken with no transaction open (C2).
    async with rt.uow(actor) as uow:
        await check_buyer(uow, rt, req, cid, x_admission_token, now)
    hold_id = await inventory.place_hold(rt, actor, req)
    async with rt.uow(actor, readonly=True) as uow:
        return await read_hold_out(uow, await holds.get_hold(uow, hold_id=hold_id, buyer=req.buyer))


async def check_buyer(
    uow: UnitOfWork,
    rt: Runtime,
    req: holds.HoldRequest,
    cid: int,
    token: str | None,
    now: datetime,
) -> None:
    await buyer_checks.check_buyer(
        uow,
        waiting_room.signer(rt.crypto),
        buyer_checks.Buyer(cid, req.session_id, req.channel, token),
        delay=timedelta(seconds=rt.settings.new_account_hold_delay_seconds),
        now=now,
    )


class ReservedForYouOut(Model):
    session_id: int
    seats: list[str] = Field(
        description="seats the public map shows reserved (r) that you may hold now: reserved "
        "for a client or client group you buy for"
    )


@router.get("/sessions/{session_id}/availability/mine")
async def reserved_for_you(
    session_id: int, uow: CustomerReader, cid: CustomerId, now: Now
) -> ReservedForYouOut:
    """The signed-in buyer's overlay on the public availability map (INV3): the reserved seats
    that are theirs to hold. Empty for a buyer linked to no client."""
    keys = await buyer_keys(uow, buyer_of_customer(cid))
    seats = await holdable_reserved(uow, session_id=session_id, keys=keys, now=now)
    return ReservedForYouOut(session_id=session_id, seats=seats)


@router.get("/holds/{hold_id}")
async def get_hold(hold_id: int, uow: CustomerReader, cid: CustomerId) -> HoldOut:
    return await read_hold_out(
        uow, await holds.get_hold(uow, hold_id=hold_id, buyer=f"customer:{cid}")
    )


@router.delete("/holds/{hold_id}")
async def release_hold(hold_id: int, uow: CustomerUoW, cid: CustomerId, now: Now) -> HoldOut:
    hold = await hold_endings.release_hold(uow, hold_id=hold_id, buyer=f"customer:{cid}", now=now)
    if hold.status in ("released", "expired", "sold"):  # no seat is held by it any more
        return hold_out(hold, [])
    return await read_hold_out(uow, hold)
