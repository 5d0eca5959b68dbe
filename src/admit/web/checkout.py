"""Checkout pages (G5, C7, RN1): the seat map's "Continue" holds the seats for the signed-in
customer, the checkout page shows what is held with its price, holders and countdown, "Pay"
orders the hold and sends the payer to the bank's page, and the bank's return is checked with
the bank before the confirmation (the return itself proves nothing)."""

from __future__ import annotations

import contextlib
import secrets
from dataclasses import dataclass
from datetime import timedelta
from typing import Annotated
from urllib.parse import urlencode

from fastapi import APIRouter, Depends, Form, Path, Request
from fastapi.responses import HTMLResponse, RedirectResponse, Response

from admit.core.errors import AdmitError, InvalidInput, NotFound
from admit.core.runtime import Runtime
from admit.http.deps import address_of, runtime
from admit.payments.gateway import GatewayError
from admit.sales import (
    buyer_checks,
    checkout,
    hold_endings,
    holds,
    order_views,
    orders,
    payment_views,
)
from admit.sales.on_sale_limits_api import limit_holds
from admit.waiting import room as waiting_room
from admit.web.auth import SameOrigin, SignedIn, Visitor, signed_in, web_device
from admit.web.errors import PageRoute
from admit.web.purchase_views import HoldView, hold_view, holder_choices, order_detail
from admit.web.queue import admission_of
from admit.web.refusals import refusal_text
from admit.web.rendering import render

router = APIRouter(route_class=PageRoute, include_in_schema=False)

MAX_ID = 2**63 - 1
Id = Annotated[int, Path(ge=1, le=MAX_ID)]
OrderNumber = Annotated[str, Path(pattern=r"^[A-Z0-9]{4,20}$")]
Text60 = Annotated[str, Form(max_length=60, pattern=r"^[^\x00-\x1f\x7f]*$")]
PAY_METHOD = "bank"
PAYMENT_WAIT_SECONDS = 2


Rt = Annotated[Runtime, Depends(runtime)]


def _see(url: str) -> RedirectResponse:
    return RedirectResponse(url, status_code=303)


def _session_page(session_id: int, **query: str) -> str:
    return f"/sessions/{session_id}" + (f"?{urlencode(query)}" if query else "")


def _choice_query(seats: list[str], level: str, area: str, quantity: int | None) -> dict[str, str]:
    """What the visitor chose, as the session page's query (it preselects it after login)."""
    if seats:
        return {"seats": ",".join(seats)}
    if level and quantity:
        return {"level": level, "quantity": str(quantity)}
    if area and quantity:
        return {"area": area, "quantity": str(quantity)}
    return {}


def _hold_request(
    visitor: Visitor,
    session_id: int,
    seats: list[str],
    level: str,
    area: str,
    quantity: int | None,
    key: str,
) -> holds.HoldRequest | None:
    if not seats and not (quantity and (level or area)):
        return None
    return holds.HoldRequest(
        session_id=session_id,
        buyer=visitor.buyer,
        channel="web",
        seat_keys=list(dict.fromkeys(seats)),
        places=[(area, quantity)] if area and quantity and not seats else [],
        best=(level, quantity) if level and quantity and not seats and not area else None,
        idempotency_key=f"web:{key}" if key else None,
    )


@router.post("/checkout/hold", response_model=None)
async def hold_seats(
    request: Request,
    rt: Rt,
    session_id: Annotated[int, Form(ge=1, le=MAX_ID)],
    _: Annotated[None, SameOrigin],
    seat: Annotated[list[str], Form(max_length=100)] = [],  # noqa: B006 (FastAPI's idiom)
    level: Text60 = "",
    area: Text60 = "",
    quantity: Annotated[int | None, Form(ge=1, le=100)] = None,
    key: Annotated[str, Form(max_length=60, pattern=r"^[A-Za-z0-9_-]*$")] = "",
) -> Response:
    """The seat map's "Continue": hold what was chosen (seats, best N at a level, or places
    in a standing area), then on to the checkout page. A refusal goes back to the map with
    the reason; a visitor who is not signed in signs in first and comes back to the map with
    the choice preselected. A session behind a waiting room needs the admission its queue
    gave (the queue's cookie); without one the buyer goes to the queue. Too many holds from
    this address or browser, or an account opened moments ago, answer an error page (429 or
    403 with ``Retry-After``), as the API does."""
    seats = [s for s in seat if s and len(s) <= 60 and s.isprintable()]
    visitor = await signed_in(request)
    if visitor is None:
        # Back after signing in with the choice and ``go``: the page holds it at once.
        choice = _choice_query(seats, level, area, quantity)
        back = _session_page(session_id, **choice, **({"go": "1"} if choice else {}))
        return _see("/login?" + urlencode({"next": back}))
    wanted = _hold_request(visitor, session_id, seats, level, area, quantity, key)
    if wanted is None:
        return _see(_session_page(session_id, msg="no_seats"))
    async with rt.uow(visitor.actor, readonly=True) as uow:
        unverified = await buyer_checks.own_identity_missing(
            uow, session_id=session_id, customer_id=visitor.customer_id, channel="web"
        )
    if unverified:
        # Verified before the seats are held, so the check never eats the time to pay; then
        # straight back to hold the same choice.
        choice = _choice_query(seats, level, area, quantity)
        back = _session_page(session_id, **choice, go="1")
        return _see("/account/holders?" + urlencode({"next": back, "msg": "verify_first"}))
    await limit_holds(rt, address=address_of(request, rt), device=web_device(request))
    buyer = buyer_checks.Buyer(
        visitor.customer_id, session_id, wanted.channel, admission_of(request, session_id)
    )
    try:
        async with rt.uow(visitor.actor) as uow:
            await buyer_checks.check_buyer(
                uow,
                waiting_room.signer(rt.crypto),
                buyer,
                delay=timedelta(seconds=rt.settings.new_account_hold_delay_seconds),
                now=rt.clock.now(),
            )
            hold = await holds.place_hold(uow, wanted, now=rt.clock.now())
            hold_id = hold.id
    except (NotFound, buyer_checks.AccountTooNew):
        raise
    except (waiting_room.AdmissionRequired, waiting_room.AdmissionNotYours):
        return _see(f"/queue/{session_id}")
    except AdmitError as refused:
        # Back to the map with the reason and the choice: the seats still free stay chosen.
        choice = _choice_query(seats, level, area, quantity)
        return _see(_session_page(session_id, msg=refused.code, **choice))
    return _see(f"/checkout/{hold_id}")


def _ended(view: HoldView, now_ts: float) -> bool:
    return not view.live or view.hold.expires_at.timestamp() <= now_ts


async def _checkout_page(
    request: Request,
    rt: Runtime,
    visitor: Visitor,
    hold_id: int,
    *,
    problem: str | None = None,
    status: int = 200,
) -> Response:
    async with rt.uow(visitor.actor, readonly=True) as uow:
        view = await hold_view(uow, hold_id=hold_id, buyer=visitor.buyer)
        holders = (
            await holder_choices(uow, rt.crypto, visitor.customer_id) if view.real_name else []
        )
    now = rt.clock.now()
    if view.order is not None and view.order.status == "paid":
        return _see(f"/account/orders/{view.order.number}")
    if _ended(view, now.timestamp()):
        cancelled = view.hold.status == "released" and view.order is None  # by the buyer
        ended = "hold_cancelled" if cancelled else "hold_expired"
        return _see(_session_page(view.session.id, msg=ended))
    return await render(
        request,
        "checkout/hold.html",
        {
            "title": "Checkout",
            "visitor": visitor,
            "view": view,
            "holders": [h for h in holders if h.status == "verified"],
            "self_verified": any(h.is_self and h.status == "verified" for h in holders),
            "seconds_left": max(int((view.hold.expires_at - now).total_seconds()), 0),
            "pay_key": secrets.token_urlsafe(12),
            "problem": problem,
        },
        status,
        # Never restored from the cache (Back after "Cancel"): its countdown and Pay would
        # be for a hold that has ended.
        headers={"Cache-Control": "no-store"},
    )


@router.get("/checkout/{hold_id}", response_class=HTMLResponse)
async def checkout_page(hold_id: Id, request: Request, rt: Rt, visitor: SignedIn) -> Response:
    """What is held, the price per ticket type, holders on real-name sales, the total and the
    time left to pay."""
    return await _checkout_page(request, rt, visitor, hold_id)


def _lines(view: HoldView, types: list[str], holders: list[str]) -> list[order_views.LineInput]:
    """One order line per held item, from the form's ticket type and holder per item."""
    if len(types) != len(view.items) or (holders and len(holders) != len(view.items)):
        raise InvalidInput("choose a ticket type (and a holder) for every ticket")
    out = []
    for i, item in enumerate(view.items):
        holder = holders[i] if holders else ""
        if holder and not (holder.isdigit() and len(holder) < 19):
            raise InvalidInput("choose a holder from the list")
        out.append(
            order_views.LineInput(
                ticket_type=types[i],
                seat=item.seat,
                area=item.area,
                holder=int(holder) if holder else None,
            )
        )
    return out


@dataclass(frozen=True, slots=True)
class _Ordered:
    number: str
    session_id: int
    payment: payment_views.PaymentView | None  # None: the order cannot be paid (paid already)


async def _order_hold(
    rt: Runtime, visitor: Visitor, hold_id: int, types: list[str], holders: list[str], key: str
) -> _Ordered:
    """The hold's order, placed now unless it has one already (a second press of "Pay"
    continues with the first order), and its bank payment opened — one transaction; the
    bank's trade is created after it."""
    async with rt.uow(visitor.actor) as uow:
        view = await hold_view(uow, hold_id=hold_id, buyer=visitor.buyer)
        if view.order is not None:
            number = view.order.number
        else:
            order = await orders.order_hold(
                uow,
                hold_id=hold_id,
                buyer=visitor.buyer,
                lines=_lines(view, types, holders),
                idempotency_key=f"web:{key}",
                now=rt.clock.now(),
            )
            number = order.number
        try:
            payment = await checkout.open_payment_view(
                uow, order_number=number, buyer=visitor.buyer, method=PAY_METHOD, now=rt.clock.now()
            )
        except checkout.NotPayable:  # refused before writing anything
            return _Ordered(number, view.session.id, None)
        return _Ordered(number, view.session.id, payment)


async def _to_the_bank(
    request: Request,
    rt: Runtime,
    visitor: Visitor,
    number: str,
    session_id: int,
    opened: payment_views.PaymentView | None = None,
) -> Response:
    """Open the bank payment (unless ``opened`` already) and send the payer to the bank's
    page."""
    return_url = f"{rt.settings.base_url}/checkout/orders/{number}/return"
    try:
        if opened is not None:
            payment = await checkout.create_trade(rt, visitor.actor, opened, return_url=return_url)
        else:
            payment = await checkout.start_payment(
                rt,
                visitor.actor,
                order_number=number,
                buyer=visitor.buyer,
                method=PAY_METHOD,
                return_url=return_url,
            )
    except orders.HoldExpired:
        return _see(_session_page(session_id, msg="hold_expired"))
    except checkout.NotPayable:
        return _see(f"/account/orders/{number}")
    except GatewayError:
        return await render(
            request,
            "checkout/bank_unavailable.html",
            {"title": "The bank is not answering", "visitor": visitor, "number": number},
            503,
        )
    if payment.pay_url is None:  # the gateway's answer is not known yet
        return _see(f"/checkout/orders/{number}/return")
    return _see(payment.pay_url)


@router.post("/checkout/{hold_id}/pay", response_model=None)
async def pay(
    hold_id: Id,
    request: Request,
    rt: Rt,
    visitor: SignedIn,
    _: Annotated[None, SameOrigin],
    key: Annotated[str, Form(min_length=8, max_length=60, pattern=r"^[A-Za-z0-9_-]+$")],
    ticket_type: Annotated[list[str], Form(max_length=100)] = [],  # noqa: B006
    holder: Annotated[list[str], Form(max_length=100)] = [],  # noqa: B006
) -> Response:
    """Order the hold and open its payment (the form's key makes a double submit one order)
    and go to the bank."""
    try:
        ordered = await _order_hold(rt, visitor, hold_id, ticket_type, holder, key)
    except orders.HoldExpired:
        async with rt.uow(visitor.actor, readonly=True) as uow:
            hold = await holds.get_hold(uow, hold_id=hold_id, buyer=visitor.buyer)
        return _see(_session_page(hold.session_id, msg="hold_expired"))
    except NotFound:
        raise
    except AdmitError as refused:
        return await _checkout_page(
            request, rt, visitor, hold_id, problem=refusal_text(refused), status=refused.status
        )
    if ordered.payment is None:
        return _see(f"/account/orders/{ordered.number}")
    return await _to_the_bank(
        request, rt, visitor, ordered.number, ordered.session_id, ordered.payment
    )


@router.post("/checkout/{hold_id}/release", response_model=None)
async def release(
    hold_id: Id, rt: Rt, visitor: SignedIn, _: Annotated[None, SameOrigin]
) -> Response:
    """The buyer changes their mind: the seats go back at once (an unpaid order ends too)."""
    async with rt.uow(visitor.actor) as uow:
        hold = await hold_endings.release_hold(
            uow, hold_id=hold_id, buyer=visitor.buyer, now=rt.clock.now()
        )
        session_id = hold.session_id
    return _see(_session_page(session_id, msg="payment_cancelled"))


@router.post("/checkout/orders/{number}/pay", response_model=None)
async def pay_order(
    number: OrderNumber,
    request: Request,
    rt: Rt,
    visitor: SignedIn,
    _: Annotated[None, SameOrigin],
) -> Response:
    """Pay an order still waiting for payment (from the account page)."""
    async with rt.uow(visitor.actor, readonly=True) as uow:
        order = await orders.get_order(uow, number=number, buyer=visitor.buyer)
        session_id = order.session_id
    return await _to_the_bank(request, rt, visitor, number, session_id)


@router.get("/checkout/orders/{number}/return", response_class=HTMLResponse)
async def bank_return(number: OrderNumber, request: Request, rt: Rt, visitor: SignedIn) -> Response:
    """Where the bank sends the payer back. The query string proves nothing: the platform
    asks the bank how the order's payments stand, applies that, and then shows the tickets,
    a page that waits for the bank, or the seat map again after a decline."""
    async with rt.uow(visitor.actor, readonly=True) as uow:
        detail = await order_detail(uow, number=number, buyer=visitor.buyer)
    for p in detail.payments:
        if p.status in hold_endings.OPEN_PAYMENTS and p.method != "cash":
            # Not known yet (the bank does not answer): the waiting page asks again.
            with contextlib.suppress(GatewayError):
                await checkout.refresh_payment(rt, number=p.number)
    async with rt.uow(visitor.actor, readonly=True) as uow:
        detail = await order_detail(uow, number=number, buyer=visitor.buyer)
    status = detail.order.status
    if status in ("paid", "refunded", "partially_refunded"):
        return _see(f"/account/orders/{number}?msg=paid")
    if any(p.status == "declined" for p in detail.payments) and status != "pending_payment":
        return _see(_session_page(detail.session.id, msg="payment_declined"))
    if status != "pending_payment":
        return _see(_session_page(detail.session.id, msg="hold_expired"))
    if any(p.status in hold_endings.OPEN_PAYMENTS for p in detail.payments):
        return await render(
            request,
            "checkout/waiting.html",
            {
                "title": "Waiting for the bank",
                "visitor": visitor,
                "detail": detail,
                "refresh_seconds": PAYMENT_WAIT_SECONDS,
            },
            headers={"Cache-Control": "no-store"},
        )
    return _see(f"/checkout/{detail.order.hold_id}")
