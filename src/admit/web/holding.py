""" "You are holding 2 seats — continue": a buyer who leaves checkout while holding and comes
back to the session page sees their own seats as taken like anyone else's. The page is the
same for everyone (cached), so the seat map asks here, with the cookie, whether this visitor
holds seats of the session; the answer is theirs alone and never cached."""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, Depends, Path, Request, Response
from fastapi.responses import JSONResponse

from admit.clients.keys import buyer_keys
from admit.core.runtime import Runtime
from admit.http.deps import runtime
from admit.http.int_bounds import DB_INT_MAX
from admit.inventory.client_reservations import holdable_reserved
from admit.web.auth import signed_in
from admit.web.errors import PageRoute
from admit.web.purchase_views import live_hold

router = APIRouter(route_class=PageRoute, include_in_schema=False)
NO_STORE = {"Cache-Control": "no-store, private"}


@router.get("/checkout/holding/{session_id}", response_model=None)
async def holding(
    session_id: Annotated[int, Path(ge=1, le=DB_INT_MAX)],
    request: Request,
    rt: Annotated[Runtime, Depends(runtime)],
) -> Response:
    """The signed-in visitor's live hold on the session: ``{"hold", "quantity", "seconds_left",
    "checkout"}``, or 204 when there is none (or nobody is signed in)."""
    visitor = await signed_in(request)
    if visitor is None:
        return Response(status_code=204, headers=NO_STORE)
    now = rt.clock.now()
    async with rt.uow(visitor.actor, readonly=True) as uow:
        found = await live_hold(uow, buyer=visitor.buyer, session_id=session_id, now=now)
    if found is None:
        return Response(status_code=204, headers=NO_STORE)
    hold_id, quantity, expires_at = found
    return JSONResponse(
        {
            "hold": hold_id,
            "quantity": quantity,
            "seconds_left": int((expires_at - now).total_seconds()),
            "checkout": f"/checkout/{hold_id}",
        },
        headers=NO_STORE,
    )


@router.get("/checkout/reserved/{session_id}", response_model=None)
async def reserved_for_visitor(
    session_id: Annotated[int, Path(ge=1, le=DB_INT_MAX)],
    request: Request,
    rt: Annotated[Runtime, Depends(runtime)],
) -> Response:
    """The reserved seats the signed-in visitor may hold (``{"seats": [keys]}``), or 204 when
    there are none (nobody signed in, or a visitor who buys for no client: no statement)."""
    visitor = await signed_in(request)
    if visitor is None:
        return Response(status_code=204, headers=NO_STORE)
    now = rt.clock.now()
    async with rt.uow(visitor.actor, readonly=True) as uow:
        keys = await buyer_keys(uow, visitor.buyer)
        seats = await holdable_reserved(uow, session_id=session_id, keys=keys, now=now)
    if not seats:
        return Response(status_code=204, headers=NO_STORE)
    return JSONResponse({"seats": seats}, headers=NO_STORE)
