"""The channel booking API (API1, API2): what kiosk, outlet, contract-client and agent systems
call with an API key bound to their channel (``channels.booking_keys``) — the public API's
operations (sessions, detail, remaining, submit and query orders, submit and query holders),
sold in the key's channel and at its outlet, and for an agent's key the payment it collected
itself. Every call is authenticated, scoped (``catalog.read``, ``availability.read``,
``orders.write``, ``orders.read``), metered per key and per channel (429 with
``Retry-After``: ``rate_limited`` for the key, ``channel_rate_limited`` for the channel,
``channel_orders_throttled`` for a rush of orders) and logged in the key's access log."""

from __future__ import annotations

import math
from datetime import date
from typing import Annotated, Any

from fastapi import APIRouter, Depends, Header, Request, Response
from pydantic import BaseModel, ConfigDict, Field, model_validator
from sqlalchemy import select

from admit.accounts.documents import DocumentType
from admit.accounts.identities import DocumentIn
from admit.channels import booking_limits, booking_orders
from admit.channels.booking_orders import System, Wanted
from admit.channels.booking_remaining import remaining
from admit.core.audit_context import Actor
from admit.core.errors import Conflict, Forbidden, Unauthorized
from admit.core.ratelimit import Limit, RateLimiter
from admit.core.runtime import Runtime
from admit.http.deps import Now, PublicReader, RuntimeDep, authenticator, runtime
from admit.http.partner import API_KEY
from admit.http.throttle import RateLimited
from admit.inventory import public_api
from admit.inventory.schemas import SessionDetail, SessionSummary
from admit.sales import collected
from admit.sales.models import SalesWindow
from admit.sales.order_api import OrderOut, order_out
from admit.sales.rules import ChannelCode, SaleState

router = APIRouter(prefix="/channel", tags=["channel booking API"])
AUTH_ERRORS: dict[int | str, dict[str, str]] = {
    401: {"description": "no key, an unknown or revoked one"},
    403: {"description": "the key is not bound to a channel, or lacks the scope"},
    429: {
        "description": "``rate_limited`` (this key), ``channel_rate_limited`` (the "
        "channel's budget), ``channel_orders_throttled`` (too many orders): see Retry-After"
    },
}


class NotAnAgent(Conflict):
    code = "not_an_agent_key"


def system(scope: str | None) -> Any:
    """``Annotated[System, system("orders.write")]``: the calling channel system (with
    ``None``, any bound key: a terminal's heartbeat needs no scope)."""

    async def dependency(
        request: Request,
        rt: Annotated[Runtime, Depends(runtime)],
        key: Annotated[str | None, Depends(API_KEY)],
    ) -> System:
        if not key:
            raise Unauthorized("an X-Api-Key header is required")
        caller = await authenticator(rt).api_client(key)
        request.state.api_client_id = caller.id
        if caller.channel is None:
            raise Forbidden("this key is not bound to a sales channel")
        if scope is not None and scope not in caller.scopes:
            raise Forbidden(f"this key lacks the {scope} scope")
        limiter = rt.adapter(RateLimiter)  # type: ignore[type-abstract]
        decision = await limiter.take(
            f"api:{caller.id}", Limit.per_minute(caller.rate_per_minute, caller.burst)
        )
        if not decision.allowed:
            raise RateLimited(
                "rate limit exceeded for this key",
                details={"retry_after": max(1, math.ceil(decision.retry_after))},
            )
        await booking_limits.spend_call(rt, caller.channel)
        return System(caller.id, caller.channel, caller.outlet)

    return Depends(dependency)


def _actor(s: System) -> Actor:
    return Actor(kind="partner", id=str(s.client_id))


Key = Annotated[
    str,
    Header(
        min_length=8,
        max_length=50,
        pattern=r"^[A-Za-z0-9._:-]+$",
        description="the system's retry key: a retry with it returns the same order",
    ),
]


class Model(BaseModel):
    model_config = ConfigDict(extra="forbid")


class PlacesIn(Model):
    area: Annotated[str, Field(min_length=1, max_length=20)]
    quantity: int = Field(ge=1, le=100)


class BestIn(Model):
    level: Annotated[str, Field(min_length=1, max_length=20, description="price level code")]
    quantity: int = Field(ge=1, le=20)


class HolderIn(Model):
    doc_type: DocumentType
    number: Annotated[str, Field(min_length=5, max_length=30)]
    name: Annotated[str, Field(min_length=1, max_length=80)]
    nationality: Annotated[str, Field(min_length=2, max_length=2)] = "CN"
    visa_expires: date | None = None

    def document(self) -> DocumentIn:
        return DocumentIn(
            doc_type=self.doc_type,
            number=self.number,
            name=self.name,
            nationality=self.nationality,
            visa_expires=self.visa_expires,
        )


class ChannelOrderIn(Model):
    """Seats by key, places (quantities) in GA areas, or the best N seats of a level."""

    session_id: int = Field(ge=1)
    seats: list[Annotated[str, Field(min_length=1, max_length=60)]] = Field(
        default_factory=list, max_length=100
    )
    places: list[PlacesIn] = Field(default_factory=list, max_length=10)
    best: BestIn | None = None
    ticket_type: Annotated[str, Field(min_length=1, max_length=40)] = "adult"
    customer: (
        Annotated[str, Field(min_length=1, max_length=40, pattern=r"^[A-Za-z0-9._:-]+$")] | None
    ) = Field(default=None, description="the system's own reference for its customer")
    holders: list[HolderIn] | None = Field(
        default=None,
        max_length=100,
        description="one per ticket (seats, then places), required where the session is real-name",
    )

    @model_validator(mode="after")
    def _something(self) -> ChannelOrderIn:
        if not (self.seats or self.places or self.best):
            raise ValueError("name seats, places or best")
        return self


class HoldersIn(Model):
    holders: list[HolderIn] = Field(min_length=1, max_length=100)


class HolderOut(Model):
    seat: str | None
    area: str | None
    holder: str | None = Field(description="the holder's masked name")


class AgentPaymentIn(Model):
    reference: Annotated[
        str,
        Field(
            min_length=1,
            max_length=64,
            pattern=r"^[A-Za-z0-9._:/-]+$",
            description="the agent's own payment reference",
        ),
    ]


class AgentPaymentOut(Model):
    payment: str
    reference: str
    order: OrderOut


class RemainingLevel(Model):
    level: str
    quota: int
    held: int
    sold: int
    remaining: int


class RemainingOut(Model):
    session_id: int
    channel: ChannelCode
    state: SaleState
    remaining: int
    levels: list[RemainingLevel]


@router.get("/sessions", responses=AUTH_ERRORS)
async def channel_sessions(
    s: Annotated[System, system("catalog.read")],
    uow: PublicReader,
    rt: RuntimeDep,
    now: Now,
    f: public_api.Filter,
) -> list[SessionSummary]:
    """The public session search, narrowed to the sessions the key's channel sells."""
    found = await public_api.find_summaries(uow, rt, f, now)
    ids = [x.session.id for x in found]
    sold_here = set(
        (
            await uow.session.scalars(
                select(SalesWindow.session_id).where(
                    SalesWindow.session_id.in_(ids), SalesWindow.channel == s.channel
                )
            )
        ).all()
    )
    return [x for x in found if x.session.id in sold_here]


@router.get("/sessions/{session_id}", response_model=SessionDetail, responses=AUTH_ERRORS)
async def channel_session(
    _: Annotated[System, system("catalog.read")],
    session_id: int,
    request: Request,
    uow: PublicReader,
    rt: RuntimeDep,
    now: Now,
) -> Response:
    """The session with its event, venue, price levels and live counts, as the public API."""
    return await public_api.session_detail(session_id, request, uow, rt, now)


@router.get("/sessions/{session_id}/remaining", responses=AUTH_ERRORS)
async def channel_remaining(
    s: Annotated[System, system("availability.read")], session_id: int, uow: PublicReader, now: Now
) -> RemainingOut:
    """What the key's channel may still sell, per price level (404: not sold through it)."""
    return RemainingOut.model_validate(
        await remaining(uow, session_id=session_id, channel=s.channel, now=now)
    )


@router.post("/orders", status_code=201, responses=AUTH_ERRORS)
async def channel_submit_order(
    s: Annotated[System, system("orders.write")],
    body: ChannelOrderIn,
    rt: RuntimeDep,
    now: Now,
    idempotency_key: Key,
) -> OrderOut:
    """Hold and order in one go, in the key's channel and at its outlet: all or nothing. The
    refusals are the public hold's and order's (409 ``not_on_sale``, ``channel_closed`` — a
    switched-off channel —, ``outlet_disabled``, ``seats_taken``, ``sold_out``, ``limit_exceeded``,
    ``real_name_required``); 429 ``channel_orders_throttled`` when the channel's orders come
    faster than its budget. Pay before ``pay_by`` (an agent: ``/payment``)."""
    await booking_limits.spend_order(rt, s.channel)
    wanted = Wanted(
        session_id=body.session_id,
        seats=body.seats,
        places=[(p.area, p.quantity) for p in body.places],
        best=(body.best.level, body.best.quantity) if body.best else None,
        ticket_type=body.ticket_type,
        holders=[h.document() for h in body.holders] if body.holders is not None else None,
    )
    async with rt.uow(_actor(s)) as uow:
        order = await booking_orders.submit_order(
            uow,
            rt.crypto,
            s,
            wanted,
            customer=body.customer or idempotency_key,
            key=idempotency_key,
            now=now,
        )
        return await order_out(uow, order)


@router.get("/orders/{number}", responses=AUTH_ERRORS)
async def channel_order(
    s: Annotated[System, system("orders.read")], number: str, uow: PublicReader
) -> OrderOut:
    return await order_out(uow, await booking_orders.get_order(uow, s, number))


@router.post("/orders/{number}/holders", responses=AUTH_ERRORS)
async def channel_name_holders(
    s: Annotated[System, system("orders.write")],
    number: str,
    body: HoldersIn,
    rt: RuntimeDep,
    now: Now,
) -> list[HolderOut]:
    """Name one holder per ticket (in the order's line order) of an order that has none yet;
    409 ``holders_already_named`` otherwise."""
    async with rt.uow(_actor(s)) as uow:
        lines = await booking_orders.name_holders(
            uow, rt.crypto, s, number=number, docs=[h.document() for h in body.holders], now=now
        )
        return [
            HolderOut(seat=ln.seat_key, area=ln.area_code, holder=ln.holder_name) for ln in lines
        ]


@router.get("/orders/{number}/holders", responses=AUTH_ERRORS)
async def channel_holders(
    s: Annotated[System, system("orders.read")], number: str, uow: PublicReader
) -> list[HolderOut]:
    order = await booking_orders.get_order(uow, s, number)
    return [
        HolderOut(seat=ln.seat_key, area=ln.area_code, holder=ln.holder_name)
        for ln in await booking_orders.lines_of(uow, order)
    ]


@router.post("/orders/{number}/payment", responses=AUTH_ERRORS)
async def channel_agent_payment(
    s: Annotated[System, system("orders.write")],
    number: str,
    body: AgentPaymentIn,
    rt: RuntimeDep,
    now: Now,
) -> AgentPaymentOut:
    """An agent's system collected the order's total itself (its ``reference``): the order is
    paid and issued at once, recorded as method ``agent`` and owed by the agent
    (``agent:<outlet>:receivable``) until settled. Agent keys only (409
    ``not_an_agent_key``); 409 ``outlet_disabled``, ``not_payable``."""
    if s.channel != "agent" or s.outlet is None:
        raise NotAnAgent("only an agent's key records a payment it collected itself")
    async with rt.uow(_actor(s)) as uow:
        order = await booking_orders.get_order(uow, s, number)
        payment = await collected.pay_collected(
            uow,
            rt.crypto,
            order_number=number,
            buyer=order.buyer,
            method="agent",
            reference=body.reference,
            outlet=s.outlet,
            taken_by=f"api_client:{s.client_id}",
            now=now,
        )
        return AgentPaymentOut(
            payment=payment.number, reference=body.reference, order=await order_out(uow, order)
        )
