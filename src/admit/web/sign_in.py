"""Sign in (password, or a one-time code sent to the phone or e-mail), register with a code,
and sign out (G2, C7): the session cookie carries the customer's device token. The pages call
the API's services under the same limits (``signup_limits_api``, counted per address and per
the ``admit_device`` cookie) and give the same answers whether or not a login has an account."""

from __future__ import annotations

from typing import Annotated, Any

from fastapi import APIRouter, Depends, Form, Query, Request
from fastapi.responses import HTMLResponse, RedirectResponse, Response

from admit.accounts import codes, customer_sign_in, customers
from admit.accounts.security import TooManyAttempts
from admit.accounts.signup_limits_api import limit_code_request, limit_registration
from admit.accounts.tokens import Attempt
from admit.core.audit_context import ANONYMOUS
from admit.core.errors import AdmitError
from admit.core.runtime import Runtime
from admit.http.deps import address_of
from admit.web.auth import (
    SameOrigin,
    clear_session_cookie,
    keep_device_cookie,
    safe_next,
    set_session_cookie,
    signed_in,
    web_device,
)
from admit.web.errors import PageRoute
from admit.web.provider_sign_in import providers_offered
from admit.web.refusals import refusal_text
from admit.web.rendering import render

router = APIRouter(route_class=PageRoute, include_in_schema=False)

Clean = r"^[^\x00-\x1f\x7f]*$"
LoginField = Annotated[str, Form(min_length=1, max_length=254, pattern=Clean)]
Password = Annotated[str, Form(min_length=1, max_length=128)]
CodeField = Annotated[str, Form(max_length=12, pattern=Clean)]
Next = Annotated[str, Form(max_length=2000)]
NextQuery = Annotated[str, Query(max_length=2000)]


def _runtime(request: Request) -> Runtime:
    rt: Runtime = request.app.state.runtime
    return rt


Rt = Annotated[Runtime, Depends(_runtime)]


def _device(request: Request) -> str:
    return "web: " + request.headers.get("user-agent", "")[:180]


def _refused(response: Response, refusal: AdmitError) -> Response:
    """The form shown again for a refusal, with ``Retry-After`` when it says how long."""
    retry = refusal.details.get("retry_after") if isinstance(refusal.details, dict) else None
    if refusal.status in (423, 429) and retry is not None:
        response.headers["Retry-After"] = str(int(retry))
    return response


async def _with_device(request: Request, page: Response) -> Response:
    keep_device_cookie(page, request)
    return page


def _signed_in_response(request: Request, attempt: Attempt, target: str) -> Response:
    assert attempt.token is not None
    response = RedirectResponse(target, status_code=303)
    set_session_cookie(response, request, attempt.token.token, attempt.token.expires_at)
    return response


# --- sign in --------------------------------------------------------------------------


@router.get("/login", response_class=HTMLResponse)
async def login_page(request: Request, next: NextQuery = "") -> Response:  # noqa: A002
    page = await render(
        request,
        "account/login.html",
        {"title": "Sign in", "next": safe_next(next, ""), "providers": providers_offered(request)},
    )
    return await _with_device(request, page)


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
    attempt = await customer_sign_in.log_in_password(
        rt,
        login=login,
        password=password,
        ip=address_of(request, rt),
        device=_device(request),
        now=rt.clock.now(),
    )
    if attempt.refusal is not None:
        page = await render(
            request,
            "account/login.html",
            {
                "title": "Sign in",
                "next": safe_next(next, ""),
                "login": login,
                "problem": refusal_text(attempt.refusal),
                "visitor": None,
                "providers": providers_offered(request),
            },
            attempt.refusal.status,
        )
        return _refused(page, attempt.refusal)
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


async def _send(request: Request, rt: Runtime, login: str, purpose: str) -> None:
    """A one-time code, under the API's limits. Raises what they and the service refuse."""
    await limit_code_request(
        rt, address=address_of(request, rt), device=web_device(request), login=login
    )
    async with rt.uow(ANONYMOUS) as uow:
        await codes.request_code(uow, rt.crypto, login=login, purpose=purpose, now=rt.clock.now())


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
    return await _with_device(request, await _register_form(request, step="login", next=next))


@router.post("/register/code", response_model=None)
async def send_code(
    request: Request,
    rt: Rt,
    login: LoginField,
    _: Annotated[None, SameOrigin],
    next: Next = "",  # noqa: A002
) -> Response:
    """Send the registration code (only where there is no account yet: the page reads the
    same either way); a code sent less than a minute ago still counts."""
    notice = None
    try:
        await _send(request, rt, login, "register")
    except TooManyAttempts:
        notice = "A code was sent less than a minute ago: use that one, or wait and ask again."
    except AdmitError as refused:
        page = await _register_form(
            request,
            step="login",
            status=refused.status,
            login=login,
            next=next,
            problem=refusal_text(refused),
        )
        return _refused(page, refused)
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
    address = address_of(request, rt)
    try:
        await limit_registration(rt, address=address, device=web_device(request))
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
                ip=address,
            )
    except AdmitError as refused:
        attempt = Attempt(refusal=refused)
    if attempt.refusal is not None:
        # A wrong code keeps the password typed (only the code was wrong); a refused password
        # is typed again. The page is never stored.
        keep = password if attempt.refusal.code == "wrong_code" else ""
        page = await _register_form(
            request,
            step="code",
            status=attempt.refusal.status,
            login=login,
            next=next,
            problem=refusal_text(attempt.refusal),
            password=keep,
        )
        page.headers["Cache-Control"] = "no-store"
        return _refused(page, attempt.refusal)
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
    return await _with_device(request, await _code_form(request, step="login", next=next))


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
        await _send(request, rt, login, "login")
    except TooManyAttempts:
        pass  # the last code is still good: same page
    except AdmitError as refused:
        page = await _code_form(
            request,
            step="login",
            status=refused.status,
            login=login,
            next=next,
            problem=refusal_text(refused),
        )
        return _refused(page, refused)
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
        attempt = await customer_sign_in.log_in_code(
            uow,
            rt.crypto,
            login=login,
            code=code.strip(),
            ip=address_of(request, rt),
            device=_device(request),
            now=rt.clock.now(),
        )
    if attempt.refusal is not None:
        page = await _code_form(
            request,
            step="code",
            status=attempt.refusal.status,
            login=login,
            next=next,
            problem=refusal_text(attempt.refusal),
        )
        return _refused(page, attempt.refusal)
    return _signed_in_response(request, attempt, safe_next(next))
