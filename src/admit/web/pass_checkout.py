"""Buying a pass on the website (INV5): the event page's "Buy the pass" holds the pass and
orders it at once (``sales.pass_sales``), then the buyer pays on the order's page. A refusal
(the seat taken in one of its sessions, none left) goes back to the event page with the
reason; a visitor who is not signed in signs in first and comes back to the event page."""

from __future__ import annotations

from datetime import timedelta
from typing import Annotated
from urllib.parse import urlencode

from fastapi import APIRouter, Depends, Form, Path, Request
from fastapi.responses import RedirectResponse, Response

from admit.core.errors import AdmitError, NotFound
from admit.core.runtime import Runtime
from admit.http.deps import address_of, runtime
from admit.sales import buyer_checks, pass_sales
from admit.sales.on_sale_limits_api import limit_holds
from admit.waiting import room as waiting_room
from admit.web.auth import SameOrigin, signed_in, web_device
from admit.web.errors import PageRoute
from admit.web.queue import admission_of

router = APIRouter(route_class=PageRoute, include_in_schema=False)
MAX_ID = 2**63 - 1
Rt = Annotated[Runtime, Depends(runtime)]


def _see(url: str) -> RedirectResponse:
    return RedirectResponse(url, status_code=303)


@router.post("/checkout/passes/{product_id}", response_model=None)
async def buy_pass(
    product_id: Annotated[int, Path(ge=1, le=MAX_ID)],
    request: Request,
    rt: Rt,
    event_id: Annotated[int, Form(ge=1, le=MAX_ID)],
    _: Annotated[None, SameOrigin],
) -> Response:
    """Hold and order the pass, then on to its order to pay. Too many holds from this address
    or browser, or an account opened moments ago, answer an error page, as the API does."""
    back = f"/events/{event_id}"
    visitor = await signed_in(request)
    if visitor is None:
        return _see("/login?" + urlencode({"next": back}))
    await limit_holds(rt, address=address_of(request, rt), device=web_device(request))
    now = rt.clock.now()
    try:
        async with rt.uow(visitor.actor) as uow:
            product, session_ids = await pass_sales.get_pass(uow, product_id)
            first = session_ids[0]
            await buyer_checks.check_buyer(
                uow,
                waiting_room.signer(rt.crypto),
                buyer_checks.Buyer(visitor.customer_id, first, "web", admission_of(request, first)),
                delay=timedelta(seconds=rt.settings.new_account_hold_delay_seconds),
                now=now,
            )
            sale = await pass_sales.hold_pass(
                uow, product_id=product.id, buyer=visitor.buyer, channel="web", now=now
            )
            number = sale.order.number
    except (NotFound, buyer_checks.AccountTooNew):
        raise
    except (waiting_room.AdmissionRequired, waiting_room.AdmissionNotYours):
        return _see(f"/queue/{first}")
    except AdmitError as refused:
        return _see(f"{back}?{urlencode({'msg': refused.code})}")
    return _see(f"/account/orders/{number}")
