"""Signing in with an OpenID Connect provider (G2): ``/login/with/{provider}`` sends the browser
to the provider, ``…/callback`` finishes. A visitor is signed in to the account linked to the
provider identity, or to a new one; a customer already signed in when it started links the
identity to that account instead (the only way a link to an existing account is made).

What the callback needs (state, nonce, PKCE verifier, where to go next, who was signed in) is
kept in a short-lived cookie encrypted with the field keys, bound to this browser: an answer
whose ``state`` is not the cookie's is refused (a forged or replayed answer, or another
browser's), and the cookie is cleared whatever the answer."""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Annotated, Any

import orjson
from fastapi import APIRouter, Depends, Path, Query, Request
from fastapi.responses import RedirectResponse, Response

from admit.accounts import provider_links
from admit.accounts.oidc_providers import (
    PENDING_LIFETIME,
    OidcProviders,
    PendingSignIn,
    ProviderRefused,
    SignInStateMismatch,
    check_state,
)
from admit.core.audit_context import ANONYMOUS, Actor
from admit.core.crypto import UndecryptableValue
from admit.core.errors import AdmitError
from admit.core.runtime import Runtime
from admit.core.uow import UnitOfWork
from admit.http.deps import runtime
from admit.web.auth import SameOrigin, SignedIn, safe_next, set_session_cookie, signed_in
from admit.web.errors import PageRoute, error_page

router = APIRouter(route_class=PageRoute, include_in_schema=False)

FLOW_COOKIE = "admit_provider_flow"
FLOW_PATH = "/login/with"
ProviderName = Annotated[str, Path(pattern=r"^[a-z0-9-]{1,40}$")]
QueryText = Annotated[str, Query(max_length=2000)]
Rt = Annotated[Runtime, Depends(runtime)]


def providers_offered(request: Request) -> list[dict[str, str]]:
    """The providers the sign-in page offers: name and label."""
    rt: Runtime = request.app.state.runtime
    if OidcProviders not in rt.adapters:
        return []
    return [{"name": p.name, "label": p.label} for p in rt.adapter(OidcProviders).all()]


async def providers_of(request: Request, uow: UnitOfWork, customer_id: int) -> list[dict[str, Any]]:
    """The account page's providers: each offered one, whether the account is linked to it
    (and links to providers no longer offered, which can still be unlinked)."""
    linked = {link.provider: link for link in await provider_links.links_of(uow, customer_id)}
    shown = [{**p, "linked": p["name"] in linked} for p in providers_offered(request)]
    offered = {p["name"] for p in shown}
    shown += [{"name": n, "label": n, "linked": True} for n in linked if n not in offered]
    return shown


def _callback_url(rt: Runtime, provider: str) -> str:
    return f"{rt.settings.base_url}{FLOW_PATH}/{provider}/callback"


def _sealed(rt: Runtime, pending: PendingSignIn) -> str:
    fields: dict[str, Any] = {
        "p": pending.provider,
        "s": pending.state,
        "n": pending.nonce,
        "v": pending.verifier,
        "t": int(pending.started_at.timestamp()),
        "x": pending.next,
        "c": pending.customer_id,
    }
    return rt.crypto.encrypt(orjson.dumps(fields).decode())


def _opened(rt: Runtime, sealed: str | None) -> PendingSignIn | None:
    """The pending sign-in in the cookie; ``None`` when there is none or it is not ours."""
    if not sealed or len(sealed) > 2000:
        return None
    try:
        f = orjson.loads(rt.crypto.decrypt(sealed))
        return PendingSignIn(
            provider=str(f["p"]),
            state=str(f["s"]),
            nonce=str(f["n"]),
            verifier=str(f["v"]),
            started_at=datetime.fromtimestamp(int(f["t"]), UTC),
            next=str(f["x"]),
            customer_id=int(f["c"]) if f["c"] is not None else None,
        )
    except (UndecryptableValue, ValueError, KeyError, TypeError):
        return None  # tampered, another key, another shape: no sign-in was started here


def _secure(rt: Runtime) -> bool:
    return rt.settings.base_url.startswith("https://")


def _device(request: Request) -> str:
    return "web: " + request.headers.get("user-agent", "")[:180]


@router.get(FLOW_PATH + "/{provider}", response_model=None)
async def start(request: Request, rt: Rt, provider: ProviderName, next: QueryText = "") -> Response:  # noqa: A002
    """Send the browser to the provider. Signed in, the identity will be linked to the account."""
    chosen = rt.adapter(OidcProviders).get(provider)
    visitor = await signed_in(request)
    url, pending = await chosen.start(
        redirect_uri=_callback_url(rt, provider),
        now=rt.clock.now(),
        next=safe_next(next, ""),
        customer_id=visitor.customer_id if visitor else None,
    )
    response = RedirectResponse(url, status_code=303)
    response.headers["Cache-Control"] = "no-store"
    response.set_cookie(
        FLOW_COOKIE,
        _sealed(rt, pending),
        max_age=int(PENDING_LIFETIME.total_seconds()),
        path=FLOW_PATH,
        httponly=True,
        samesite="lax",
        secure=_secure(rt),
    )
    return response


async def _finish(
    request: Request, rt: Runtime, provider: str, code: str, state: str, error: str
) -> Response:
    now = rt.clock.now()
    pending = check_state(
        _opened(rt, request.cookies.get(FLOW_COOKIE)), provider=provider, state=state, now=now
    )
    if error or not code:
        raise ProviderRefused(
            f"the provider answered {error or 'without a code'}",
            details={"error": error or "no_code"},
        )
    identity = (
        await rt.adapter(OidcProviders)
        .get(provider)
        .identify(code=code, pending=pending, redirect_uri=_callback_url(rt, provider), now=now)
    )
    if pending.customer_id is not None:
        visitor = await signed_in(request)
        if visitor is None or visitor.customer_id != pending.customer_id:
            raise SignInStateMismatch("the account signed in changed during the sign-in")
        async with rt.uow(visitor.actor) as uow:
            await provider_links.link_to(
                uow, customer_id=visitor.customer_id, identity=identity, now=now
            )
        return RedirectResponse("/account?msg=provider_linked", status_code=303)
    async with rt.uow(ANONYMOUS) as uow:
        done = await provider_links.sign_in_with(
            uow, identity=identity, device=_device(request), now=now
        )
    assert done.token is not None
    default = "/account?msg=registered" if done.outcome == "created" else "/account"
    response = RedirectResponse(safe_next(pending.next, default), status_code=303)
    set_session_cookie(response, request, done.token.token, done.token.expires_at)
    return response


@router.get(FLOW_PATH + "/{provider}/callback", response_model=None)
async def callback(
    request: Request,
    rt: Rt,
    provider: ProviderName,
    code: QueryText = "",
    state: QueryText = "",
    error: Annotated[str, Query(max_length=200)] = "",
) -> Response:
    """The provider's answer. A refusal is a page with its code (400 for a forged state, a
    wrong issuer or a bad token; 409 for a link that cannot be made); the pending sign-in is
    over either way."""
    try:
        response = await _finish(request, rt, provider, code, state, error)
    except AdmitError as refused:
        response = await error_page(request, refused.code, refused.status)
    response.delete_cookie(
        FLOW_COOKIE, path=FLOW_PATH, httponly=True, samesite="lax", secure=_secure(rt)
    )
    return response


@router.post("/account/providers/{provider}/unlink", response_model=None)
async def unlink(
    rt: Rt, provider: ProviderName, visitor: SignedIn, _: Annotated[None, SameOrigin]
) -> Response:
    """Remove the account's link to a provider (refused when it is the only way to sign in)."""
    actor: Actor = visitor.actor
    async with rt.uow(actor) as uow:
        await provider_links.unlink(
            uow, customer_id=visitor.customer_id, provider=provider, now=rt.clock.now()
        )
    return RedirectResponse("/account?msg=provider_unlinked", status_code=303)
