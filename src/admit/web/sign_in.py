"""Sign in (password, or a one-time code sent to the phone or e-mail), register with a code,
and sign out (G2, C7): the session cookie carries the customer's device token."""

from __future__ import annotations

from typing import Annotated, Any

from fastapi import APIRouter, Depends, Form, Query, Request
from fastapi.responses import HTMLResponse, RedirectResponse, Response

from admit.accounts import customers
from admit.accounts.security import TooManyAttempts
from admit.accounts.tokens import Attempt
from admit.core.audit_context import ANONYMOUS
from admit.core.errors import AdmitError
from admit.core.runtime import Runtime
from admit.http.deps import address_of
from admit.web.auth import (
    SameOrigin,
    clear_session_cookie,
    safe_next,
    set_session_cookie,
    signed_in,
)
from admit.web.errors import PageRoute
from admit.web.refusals import refusal_text
from admit.web.rendering import render

router = APIRouter(route_class=PageRoute, include_in_schema=False)

Clean = r"^[^\x00-\x1f\x7f]*$"
LoginField = Annotated[str, Form(min_length=1, max_length=254, pattern=Clean)]
Password = Annotated[str, Form(min_length=1, max_length=128)]
CodeField = Annotated[str, Form(max_length=12, pattern=Clean)]
Next = Annotated[str, Form(max_length=2000)]
NextQuery = Annotated[str, Query(max_length=2000)]
NO_ACCOUNT = "There is no account with this login yet: create one with the same code step."


def _runtime(request: Request) -> Runtime:
    rt: Runtime = request.app.state.runtime
    return rt


Rt = Annotated[Runtime, Depends(_runtime)]


def _device(request: Request) -> str:
    return "web: " + request.headers.get("user-agent", "")[:180]


def _signed_in_response(request: Request, attempt: Attempt, target: str) -> Response:
    assert attempt.token is not None
    response = RedirectResponse(target, status_code=303)
    set_session_cookie(response, request, attempt.token.token, attempt.token.expires_at)
    return response


# --- sign in --------------------------------------------------------------------------


@router.get("/login", response_class=HTMLResponse)
async def login_page(request: Request, next: NextQuery = "") -> Response:  # noqa: A002
    return await render(
        request, "account/login.html", {"title": "Sign in", "next": safe_next(next, "")}
    )


@router.post("/login", response_model=None)
async def log_in(
    request: Request,
    rt: Rt,
    login: LoginField,
    password: Password,
    _: Annotated[None, SameOrigin],
    next: Next = "",  # noqa: A002
) -> Response:
    """Password sign-in; a refusal (wrong password, locked account, too many attempts from
    this address) is shown on the form, and the failure it counted is kept."""
    async with rt.uow(ANONYMOUS) as uow:
        attempt = await customers.log_in_password(
            uow,
            login=login,
            password=password,
            ip=address_of(request, rt),
            device=_device(request),
            now=rt.clock.now(),
        )
    if attempt.refusal is not None:
        return await render(
            request,
            "account/login.html",
            {
                "title": "Sign in",
                "next": safe_next(next, ""),
                "login": login,
                "problem": refusal_text(attempt.refusal),
                "visitor": None,
            },
            attempt.refusal.status,
        )
    return _signed_in_response(request, attempt, safe_next(next))


@router.post("/logout", response_model=None)
async def log_out(request: Request, rt: Rt, _: Annotated[None, SameOrigin]) -> Response:
    """Sign this device out: the token stops working at once and the cookie is cleared."""
    visitor = await signed_in(request)
    if visitor is not None:
        async with rt.uow(visitor.actor) as uow:
            await customers.log_out(uow, token=visitor.token, now=rt.clock.now())
    response = RedirectResponse("/?msg=signed_out", status_code=303)
    clear_session_cookie(response, request)
    return response


# --- register: a code to the phone or e-mail, then the password ---------------------------


async def _step_form(
    request: Request, template: str, title: str, *, step: str, status: int, values: dict[str, Any]
) -> Response:
    """A page of a two-step form (a code first, then what it unlocks) for a visitor."""
    context = {"title": title, "step": step, "visitor": None, **values}
    context["next"] = safe_next(str(values.get("next", "")), "")
    return await render(request, template, context, status)


async def _register_form(
    request: Request, *, step: str, status: int = 200, **values: Any
) -> Response:
    return await _step_form(
        request,
        "account/register.html",
        "Create an account",
        step=step,
        status=status,
        values=values,
    )


@router.get("/register", response_class=HTMLResponse)
async def register_page(request: Request, next: NextQuery = "") -> Response:  # noqa: A002
    return await _register_form(request, step="login", next=next)


@router.post("/register/code", response_model=None)
async def send_code(
    request: Request,
    rt: Rt,
    login: LoginField,
    _: Annotated[None, SameOrigin],
    next: Next = "",  # noqa: A002
) -> Response:
    """Send the registration code; a code sent less than a minute ago still counts."""
    notice = None
    try:
        async with rt.uow(ANONYMOUS) as uow:
            await customers.request_code(
                uow, rt.crypto, login=login, purpose="register", now=rt.clock.now()
            )
    except TooManyAttempts:
        notice = "A code was sent less than a minute ago: use that one, or wait and ask again."
    except AdmitError as refused:
        return await _register_form(
            request,
            step="login",
            status=refused.status,
            login=login,
            next=next,
            problem=refusal_text(refused),
        )
    return await _register_form(request, step="code", login=login, next=next, notice=notice)


@router.post("/register", response_model=None)
async def register(
    request: Request,
    rt: Rt,
    login: LoginField,
    code: CodeField,
    password: Password,
    _: Annotated[None, SameOrigin],
    next: Next = "",  # noqa: A002
) -> Response:
    """Open the account with the code and a password, and sign it in."""
    try:
        async with rt.uow(ANONYMOUS) as uow:
            attempt = await customers.register(
                uow,
                rt.crypto,
                customers.Registration(
                    login=login,
                    code=code.strip(),
                    password=password,
                    source_channel="web",
                    device=_device(request),
                ),
                now=rt.clock.now(),
            )
    except AdmitError as refused:
        attempt = Attempt(refusal=refused)
    if attempt.refusal is not None:
        return await _register_form(
            request,
            step="code",
            status=attempt.refusal.status,
            login=login,
            next=next,
            problem=refusal_text(attempt.refusal),
        )
    target = safe_next(next, "/account?msg=registered")
    return _signed_in_response(request, attempt, target)


# --- sign in with a code instead of the password ------------------------------------------


async def _code_form(request: Request, *, step: str, status: int = 200, **values: Any) -> Response:
    return await _step_form(
        request,
        "account/login_code.html",
        "Sign in with a code",
        step=step,
        status=status,
        values=values,
    )


@router.get("/login/code", response_class=HTMLResponse)
async def login_code_page(request: Request, next: NextQuery = "") -> Response:  # noqa: A002
    return await _code_form(request, step="login", next=next)


@router.post("/login/code/send", response_model=None)
async def send_login_code(
    request: Request,
    rt: Rt,
    login: LoginField,
    _: Annotated[None, SameOrigin],
    next: Next = "",  # noqa: A002
) -> Response:
    """Send a sign-in code. The page reads the same whether or not the account exists, so it
    does not tell strangers who has one; a code sent less than a minute ago still counts."""
    try:
        async with rt.uow(ANONYMOUS) as uow:
            await customers.request_code(
                uow, rt.crypto, login=login, purpose="login", now=rt.clock.now()
            )
    except TooManyAttempts:
        pass  # the last code is still good: same page
    except AdmitError as refused:
        return await _code_form(
            request,
            step="login",
            status=refused.status,
            login=login,
            next=next,
            problem=refusal_text(refused),
        )
    return await _code_form(request, step="code", login=login, next=next)


@router.post("/login/code", response_model=None)
async def log_in_with_code(
    request: Request,
    rt: Rt,
    login: LoginField,
    code: CodeField,
    _: Annotated[None, SameOrigin],
    next: Next = "",  # noqa: A002
) -> Response:
    async with rt.uow(ANONYMOUS) as uow:
        attempt = await customers.log_in_code(
            uow,
            rt.crypto,
            login=login,
            code=code.strip(),
            ip=address_of(request, rt),
            device=_device(request),
            now=rt.clock.now(),
        )
    if attempt.refusal is not None:
        # Only the owner of the phone or address gets this far with a right code.
        no_account = attempt.refusal.code == "unauthorized"
        return await _code_form(
            request,
            step="login" if no_account else "code",
            status=attempt.refusal.status,
            login=login,
            next=next,
            problem=NO_ACCOUNT if no_account else refusal_text(attempt.refusal),
        )
    return _signed_in_response(request, attempt, safe_next(next))
