"""Counter staff sign in and out in the browser (FE2): ``/counter/login`` checks the password
through the same guard as the staff API (lockouts, expiry), then that the account sells
(``sales.sell``) at an outlet of its grant that is switched on. A refused clerk gets the
reason and its code on the form, and the token just issued is revoked at once; an admitted
clerk gets the staff cookie (``web.counter_auth``). Sign-out revokes the token."""

from __future__ import annotations

from datetime import timedelta
from typing import Annotated

from fastapi import APIRouter, Form, Query, Request
from fastapi.responses import HTMLResponse, RedirectResponse, Response

from admit.accounts import staff_signin
from admit.core.audit_context import ANONYMOUS
from admit.core.errors import AdmitError
from admit.core.runtime import Runtime
from admit.http.deps import address_of, authenticator
from admit.web.auth import SameOrigin, safe_next
from admit.web.counter_auth import (
    STAFF_COOKIE,
    clear_counter_cookies,
    counter_outlet,
    set_counter_cookies,
)
from admit.web.counter_layout import CounterRoute, counter_page

router = APIRouter(route_class=CounterRoute, include_in_schema=False)

Clean = r"^[^\x00-\x1f\x7f]*$"
HOME = "/counter/"


async def _form(
    request: Request,
    *,
    next_url: str,
    username: str = "",
    outlet: str = "",
    refusal: AdmitError | None = None,
) -> HTMLResponse:
    context = {
        "title": "Counter sign in",
        "clerk": None,
        "next": next_url,
        "username": username,
        "outlet": outlet,
        "refusal": refusal,
        "signed_out": request.query_params.get("msg") == "signed_out",
    }
    return await counter_page(request, "login.html", context, refusal.status if refusal else 200)


@router.get("/counter/login", response_class=HTMLResponse)
async def login_form(
    request: Request, next: Annotated[str, Query(max_length=2000)] = HOME
) -> HTMLResponse:
    return await _form(request, next_url=safe_next(next, HOME))


@router.post("/counter/login", dependencies=[SameOrigin])
async def log_in(
    request: Request,
    username: Annotated[str, Form(min_length=1, max_length=80, pattern=Clean)],
    password: Annotated[str, Form(min_length=1, max_length=128)],
    outlet: Annotated[str, Form(max_length=40, pattern=Clean)] = "",
    next: Annotated[str, Form(max_length=2000)] = HOME,
) -> Response:
    """Sign a clerk in at an outlet (their only one unless named)."""
    rt: Runtime = request.app.state.runtime
    target = safe_next(next, HOME)
    attempt = await staff_signin.log_in(
        rt.uow,
        username=username,
        password=password,
        ip=address_of(request, rt),
        now=rt.clock.now(),
        lifetime=timedelta(hours=rt.settings.staff_token_hours),
    )
    if attempt.token is None:
        assert attempt.refusal is not None
        return await _form(
            request, next_url=target, username=username, outlet=outlet, refusal=attempt.refusal
        )
    token = attempt.token.token
    try:
        who = await authenticator(rt).staff(token)
        chosen = await counter_outlet(rt, who, outlet.strip() or None)
    except AdmitError as refusal:  # not a seller, or not at a switched-on outlet of theirs
        await _revoke(rt, token)
        return await _form(
            request, next_url=target, username=username, outlet=outlet, refusal=refusal
        )
    response = RedirectResponse(target, status_code=303)
    set_counter_cookies(response, request, token, chosen.code)
    return response


async def _revoke(rt: Runtime, token: str) -> None:
    async with rt.uow(ANONYMOUS) as uow:
        await staff_signin.log_out(uow, token=token, now=rt.clock.now())


@router.post("/counter/logout", dependencies=[SameOrigin])
async def log_out(request: Request) -> Response:
    """Sign the clerk out: the staff token stops working at once."""
    rt: Runtime = request.app.state.runtime
    token = request.cookies.get(STAFF_COOKIE, "")
    if token and len(token) <= 200:
        await _revoke(rt, token)
    response = RedirectResponse("/counter/login?msg=signed_out", status_code=303)
    clear_counter_cookies(response, request)
    return response
