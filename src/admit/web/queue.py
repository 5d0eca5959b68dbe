"""The waiting room's page: a signed-in customer joins the queue of a session's on-sale (once;
joining again finds the same place), sees their place and the expected wait (the page refreshes
itself, with or without JavaScript), and, when their turn comes, carries the admission in a
cookie to the seat map and the checkout. A visitor signs in first. The browser keeps a random
device cookie: another account joining from the same browser is refused."""

from __future__ import annotations

import secrets
from urllib.parse import urlencode

from fastapi import APIRouter, Request, Response
from fastapi.responses import RedirectResponse

from admit.core.audit_context import ANONYMOUS
from admit.core.errors import NotFound
from admit.core.runtime import Runtime
from admit.http.deps import Now, PublicUoW, RuntimeDep, address_of
from admit.waiting import room as waiting_room
from admit.waiting.join_limits_api import limit_joins
from admit.web.auth import (
    DEVICE_COOKIE,
    DEVICE_COOKIE_SECONDS,
    SameOrigin,
    signed_in,
    web_device,
)
from admit.web.errors import PageRoute
from admit.web.params import PageId
from admit.web.rendering import render

router = APIRouter(route_class=PageRoute, include_in_schema=False)  # pages, not the API
REFRESH_SECONDS = 5


def queue_cookie(session_id: int) -> str:
    return f"admit_queue_{session_id}"


def pass_cookie(session_id: int) -> str:
    """The cookie that carries a buyer's admission to a session's sale."""
    return f"admit_pass_{session_id}"


def admission_of(request: Request, session_id: int) -> str | None:
    return request.cookies.get(pass_cookie(session_id))


async def needs_queue(request: Request, rt: Runtime, session_id: int) -> bool:
    """Whether a visitor must go through the waiting room before the session's seat map: the
    session has a live room and the visitor carries no valid admission for it."""
    async with rt.uow(ANONYMOUS, readonly=True) as uow:
        if not await waiting_room.room_is_on(uow, session_id):
            return False
    granted = waiting_room.read_admission(
        admission_of(request, session_id), waiting_room.signer(rt.crypto), rt.clock.now()
    )
    return granted is None or granted.session_id != session_id


def _cookie(response: Response, name: str, value: str, max_age: int) -> None:
    response.set_cookie(name, value, max_age=max_age, httponly=True, samesite="lax", path="/")


@router.post("/queue/{session_id}", dependencies=[SameOrigin])
async def join_queue(session_id: PageId, request: Request, rt: RuntimeDep, now: Now) -> Response:
    """Join as the signed-in customer (a visitor signs in first and comes back here)."""
    visitor = await signed_in(request)
    if visitor is None:
        return RedirectResponse(
            "/login?" + urlencode({"next": f"/queue/{session_id}"}), status_code=303
        )
    await limit_joins(rt, address=address_of(request, rt))
    named = web_device(request)
    device = named or secrets.token_urlsafe(24)  # as ``keep_device_cookie`` would give
    async with rt.uow(visitor.actor) as uow:
        joined = await waiting_room.join(
            uow,
            waiting_room.signer(rt.crypto),
            session_id=session_id,
            customer_id=visitor.customer_id,
            device=waiting_room.device_key(rt.crypto, device),
            now=now,
        )
    response = RedirectResponse(f"/queue/{session_id}", status_code=303)
    _cookie(response, queue_cookie(session_id), joined.token, 24 * 3600)
    if named is None:
        secure = rt.settings.base_url.startswith("https://")
        response.set_cookie(
            DEVICE_COOKIE,
            device,
            max_age=DEVICE_COOKIE_SECONDS,
            path="/",
            httponly=True,
            samesite="lax",
            secure=secure,
        )
    return response


@router.get("/queue/{session_id}")
async def queue_page(
    session_id: PageId, request: Request, uow: PublicUoW, rt: RuntimeDep, now: Now
) -> Response:
    """Join (or sign in to join), the place and the wait, or on to the seats once admitted."""
    room = await waiting_room.find_room(uow, session_id)
    if room is None or not room.enabled:
        raise NotFound("this session has no waiting room")
    visitor = await signed_in(request)
    token = request.cookies.get(queue_cookie(session_id))
    found = None
    if token and visitor is not None:
        try:
            found = await waiting_room.where_am_i(
                uow,
                waiting_room.signer(rt.crypto),
                session_id=session_id,
                customer_id=visitor.customer_id,
                token=token,
                now=now,
            )
        except waiting_room.QueueTokenInvalid:  # another account's, or forged
            found = None
    if found is not None and found.admission is not None:
        response: Response = RedirectResponse(f"/sessions/{session_id}", status_code=303)
        _cookie(response, pass_cookie(session_id), found.admission, room.admission_minutes * 60)
        return response
    response = await render(
        request,
        "queue/queue.html",
        {
            "title": "Waiting room",
            "session_id": session_id,
            "room": room,
            "found": found,
            "visitor": visitor,
            "refresh": REFRESH_SECONDS,
        },
    )
    if found is not None:
        _cookie(response, queue_cookie(session_id), found.token, 24 * 3600)
    return response
