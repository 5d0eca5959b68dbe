"""The waiting room's page: join the queue of a session's on-sale, see your place and the
expected wait (the page refreshes itself, with or without JavaScript), and, when your turn
comes, carry the admission in a cookie to the seat map and the checkout."""

from __future__ import annotations

from fastapi import APIRouter, Request, Response
from fastapi.responses import RedirectResponse

from admit.core.audit_context import ANONYMOUS
from admit.core.errors import NotFound
from admit.core.runtime import Runtime
from admit.http.deps import Now, PublicUoW, RuntimeDep
from admit.sales import waiting_room
from admit.web.auth import SameOrigin
from admit.web.errors import PageRoute
from admit.web.params import PageId
from admit.web.rendering import render

router = APIRouter(route_class=PageRoute)
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
async def join_queue(session_id: PageId, uow: PublicUoW, rt: RuntimeDep, now: Now) -> Response:
    joined = await waiting_room.join(
        uow, waiting_room.signer(rt.crypto), session_id=session_id, now=now
    )
    response = RedirectResponse(f"/queue/{session_id}", status_code=303)
    _cookie(response, queue_cookie(session_id), joined.token, 24 * 3600)
    return response


@router.get("/queue/{session_id}")
async def queue_page(
    session_id: PageId, request: Request, uow: PublicUoW, rt: RuntimeDep, now: Now
) -> Response:
    room = await waiting_room.find_room(uow, session_id)
    if room is None or not room.enabled:
        raise NotFound("this session has no waiting room")
    token = request.cookies.get(queue_cookie(session_id))
    found = None
    if token:
        try:
            found = await waiting_room.where_am_i(
                uow, waiting_room.signer(rt.crypto), session_id=session_id, token=token, now=now
            )
        except waiting_room.QueueTokenInvalid:
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
            "refresh": REFRESH_SECONDS,
        },
    )
    if found is not None:
        _cookie(response, queue_cookie(session_id), found.token, 24 * 3600)
    return response
