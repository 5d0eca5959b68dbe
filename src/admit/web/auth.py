"""Who is browsing: the signed-in customer behind the session cookie, if any.

The cookie carries the customer's device token (the same token the API takes as a bearer),
HttpOnly and SameSite=Lax (Secure when the site is served over https). Pages that need an
account redirect to ``/login?next=…``. Every page POST checks that the request comes from
this site (``same_origin``): with SameSite=Lax a cross-site form cannot carry the cookie, and
the Origin check also refuses cross-site posts that need no cookie (signing in someone else)."""

from __future__ import annotations

import re
import secrets
from collections.abc import AsyncIterator
from dataclasses import dataclass
from datetime import datetime
from typing import Annotated
from urllib.parse import urlsplit

from fastapi import Depends, Request, Response

from admit.accounts.token_cache import signed_in_customer
from admit.core.audit_context import Actor
from admit.core.errors import Forbidden, Unauthorized
from admit.core.runtime import Runtime
from admit.core.uow import UnitOfWork
from admit.http.deps import runtime
from admit.http.edge_limits import spend_account

SESSION_COOKIE = "admit_session"
DEVICE_COOKIE = "admit_device"
DEVICE_ID = re.compile(r"^[A-Za-z0-9_-]{16,64}$")
DEVICE_COOKIE_SECONDS = 400 * 24 * 3600  # the longest a browser keeps a cookie
DEFAULT_NEXT = "/account"
NEXT_MAX = 2000


@dataclass(frozen=True, slots=True)
class Visitor:
    customer_id: int
    login: str
    token: str

    @property
    def buyer(self) -> str:
        """How the sales services name this customer as a buyer."""
        return f"customer:{self.customer_id}"

    @property
    def actor(self) -> Actor:
        return Actor(kind="customer", id=str(self.customer_id))


async def signed_in(request: Request) -> Visitor | None:
    """The customer whose live token is in the session cookie; ``None`` for a visitor."""
    token = request.cookies.get(SESSION_COOKIE)
    if not token or len(token) > 200:
        return None
    rt: Runtime = request.app.state.runtime
    try:
        found = await signed_in_customer(rt, token)
    except Unauthorized:
        return None
    return Visitor(customer_id=found.customer_id, login=found.login, token=token)


async def signed_in_visitor(request: Request) -> Visitor:
    """The signed-in customer, within the account's request budget (the API's: a page that
    needs an account spends a token of it, ``admit.http.edge_limits``); raises
    ``Unauthorized`` (a GET page then redirects to login) or ``RateLimited``."""
    visitor = await signed_in(request)
    if visitor is None:
        raise Unauthorized("sign in first")
    rt: Runtime = request.app.state.runtime
    await spend_account(rt, request.scope, kind="customer", account=visitor.customer_id)
    return visitor


SignedIn = Annotated[Visitor, Depends(signed_in_visitor)]


async def _visitor_reader(
    rt: Annotated[Runtime, Depends(runtime)], visitor: SignedIn
) -> AsyncIterator[UnitOfWork]:
    async with rt.uow(visitor.actor, readonly=True) as uow:
        yield uow


VisitorReader = Annotated[UnitOfWork, Depends(_visitor_reader, scope="function")]


# --- cross-site requests ---------------------------------------------------------------


def _origin_of(url: str) -> str | None:
    try:
        parts = urlsplit(url)
    except ValueError:
        return None
    if parts.scheme not in ("http", "https") or not parts.netloc:
        return None
    return f"{parts.scheme}://{parts.netloc}".lower()


def site_origins(request: Request) -> set[str]:
    """This site as the browser sees it: the public URL from the settings, and the address
    the request was sent to."""
    rt: Runtime = request.app.state.runtime
    found = {_origin_of(rt.settings.base_url), _origin_of(str(request.base_url))}
    return {o for o in found if o}


def same_origin(request: Request) -> bool:
    """Whether a POST comes from a page of this site: its ``Origin`` (or, when a browser
    leaves that out, its ``Referer``) is this site. Neither header → refused."""
    claimed = request.headers.get("origin") or request.headers.get("referer")
    if not claimed or claimed == "null":
        return False
    origin = _origin_of(claimed)
    return origin is not None and origin in site_origins(request)


async def require_same_origin(request: Request) -> None:
    if not same_origin(request):
        raise Forbidden("this form was sent from another site")


SameOrigin = Depends(require_same_origin)


# --- the session cookie and where to go after signing in --------------------------------


def set_session_cookie(
    response: Response, request: Request, token: str, expires_at: datetime
) -> None:
    rt: Runtime = request.app.state.runtime
    response.set_cookie(
        SESSION_COOKIE,
        token,
        expires=expires_at,
        path="/",
        httponly=True,
        samesite="lax",
        secure=rt.settings.base_url.startswith("https://"),
    )


def clear_session_cookie(response: Response, request: Request) -> None:
    rt: Runtime = request.app.state.runtime
    response.delete_cookie(
        SESSION_COOKIE,
        path="/",
        httponly=True,
        samesite="lax",
        secure=rt.settings.base_url.startswith("https://"),
    )


def safe_next(value: str | None, default: str = DEFAULT_NEXT) -> str:
    """Where to go after signing in: a path on this site, never another site (``//evil``,
    ``/\\evil``, ``https://…``, control characters are all refused for ``default``)."""
    if not value or len(value) > NEXT_MAX or not value.startswith("/"):
        return default
    if value.startswith(("//", "/\\")) or any(ord(c) < 0x20 or c == "\x7f" for c in value):
        return default
    parts = urlsplit(value)
    if parts.scheme or parts.netloc:
        return default
    return value


# --- the device cookie: what the website's abuse limits count a browser by ---------------


def web_device(request: Request) -> str | None:
    """This browser's device id (the ``admit_device`` cookie), if it has a well-formed one.
    The pages' limits per device (codes, registrations, holds) count by it, as the API's count
    by ``X-Device-Id``; a browser without one is limited by its address only."""
    value = request.cookies.get(DEVICE_COOKIE, "")
    return value if DEVICE_ID.match(value) else None


def keep_device_cookie(response: Response, request: Request) -> None:
    """Give this browser a device id if it has none (HttpOnly, SameSite=Lax, long-lived)."""
    if web_device(request) is not None:
        return
    rt: Runtime = request.app.state.runtime
    response.set_cookie(
        DEVICE_COOKIE,
        secrets.token_urlsafe(24),
        max_age=DEVICE_COOKIE_SECONDS,
        path="/",
        httponly=True,
        samesite="lax",
        secure=rt.settings.base_url.startswith("https://"),
    )
