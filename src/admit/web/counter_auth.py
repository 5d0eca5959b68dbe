"""Who is at the counter: the clerk behind the staff cookie, at which outlet (FE2).

The cookie (``admit_counter``, HttpOnly, SameSite=Strict, Secure over https) carries the
clerk's staff token, the same token the counter API takes as a bearer; a second cookie names
the outlet chosen at sign-in when the clerk's grant reaches more than one. Every counter page
authenticates the token (``Authenticator.staff``: a revoked grant or a locked account counts
at once), spends a token of the account's budget, and checks that the clerk still sells at
that outlet and that the outlet is switched on — a disabled outlet's clerk gets a clear 409
``outlet_disabled`` on every page. Every POST also checks that it comes from this site
(``web.auth.same_origin``), as the customer's forms do."""

from __future__ import annotations

from collections.abc import AsyncIterator
from dataclasses import dataclass
from typing import Annotated

from fastapi import Depends, Request, Response
from sqlalchemy import select

from admit.core.audit_context import Actor
from admit.core.errors import Forbidden, InvalidInput, NotFound, Unauthorized
from admit.core.permissions import Permission, Principal, ScopeKind
from admit.core.runtime import Runtime
from admit.core.uow import UnitOfWork
from admit.http.deps import authenticator, staff_actor
from admit.http.edge_limits import spend_account
from admit.sales.counter_gate import refuse_if_closed
from admit.sales.models import Outlet

STAFF_COOKIE = "admit_counter"
OUTLET_COOKIE = "admit_counter_outlet"
COUNTER_CHANNELS = ("box_office", "agent", "client_rep")


class NotASeller(Forbidden):
    code = "not_a_seller"


@dataclass(frozen=True, slots=True)
class Clerk:
    who: Principal
    token: str
    outlet: str
    outlet_name: str
    channel: str

    @property
    def buyer(self) -> str:
        """How the sales services name a counter sale's buyer (as the counter API does)."""
        return f"staff:{self.who.staff_id}"

    @property
    def actor(self) -> Actor:
        return staff_actor(self.who)

    @property
    def username(self) -> str:
        return self.who.username


def outlets_within(who: Principal) -> frozenset[str] | None:
    """The outlets a clerk's ``sales.sell`` grants name; ``None`` when a grant reaches every
    outlet (global, or by channel: the outlet is named at sign-in). Raises ``NotASeller``."""
    if not who.scopes_of(Permission.SELL):
        raise NotASeller("this account does not sell at a counter (it needs sales.sell)")
    if who.scopes_of(Permission.SELL) - {ScopeKind.OUTLET}:
        return None
    return who.reach(Permission.SELL, ScopeKind.OUTLET)


async def counter_outlet(rt: Runtime, who: Principal, asked: str | None) -> Outlet:
    """The outlet the clerk sells at: the one asked for (within their grant) or their only
    one. Raises ``NotASeller``, ``InvalidInput`` (name the outlet), ``Forbidden``,
    ``NotFound`` and ``OutletDisabled`` (409, the outlet is switched off)."""
    mine = outlets_within(who)
    code = asked or None
    if code is None:
        if mine is None or len(mine) != 1:
            raise InvalidInput("name the outlet you sell at", details={"field": "outlet"})
        code = next(iter(mine))
    async with rt.uow(staff_actor(who), readonly=True) as uow:
        outlet = await uow.session.scalar(select(Outlet).where(Outlet.code == code))
        if outlet is None or outlet.channel not in COUNTER_CHANNELS:
            raise NotFound(f"there is no counter outlet {code!r}")
        if not (
            who.can_in(Permission.SELL, ScopeKind.OUTLET, outlet.code)
            or who.can_in(Permission.SELL, ScopeKind.CHANNEL, outlet.channel)
        ):
            raise Forbidden(f"you do not sell at outlet {outlet.code!r}")
        await refuse_if_closed(uow, outlet.code)
    return outlet


async def signed_in_clerk(request: Request) -> Clerk:
    """The clerk behind the staff cookie, at a switched-on outlet of theirs. Raises
    ``Unauthorized`` (a GET page then goes to ``/counter/login``), ``RateLimited``,
    ``NotASeller``, ``OutletDisabled``."""
    token = request.cookies.get(STAFF_COOKIE, "")
    if not token or len(token) > 200:
        raise Unauthorized("sign in at the counter first")
    rt: Runtime = request.app.state.runtime
    who = await authenticator(rt).staff(token)
    await spend_account(rt, request.scope, kind="staff", account=who.staff_id)
    outlet = await counter_outlet(rt, who, request.cookies.get(OUTLET_COOKIE, "")[:40] or None)
    return Clerk(who, token, outlet.code, outlet.name, outlet.channel)


ClerkDep = Annotated[Clerk, Depends(signed_in_clerk)]


async def _clerk_reader(request: Request, clerk: ClerkDep) -> AsyncIterator[UnitOfWork]:
    rt: Runtime = request.app.state.runtime
    async with rt.uow(clerk.actor, readonly=True) as uow:
        yield uow


async def _clerk_writer(request: Request, clerk: ClerkDep) -> AsyncIterator[UnitOfWork]:
    rt: Runtime = request.app.state.runtime
    async with rt.uow(clerk.actor) as uow:
        yield uow


# Committed before the response is sent, as the API's units of work are.
ClerkReader = Annotated[UnitOfWork, Depends(_clerk_reader, scope="function")]
ClerkWriter = Annotated[UnitOfWork, Depends(_clerk_writer, scope="function")]


def _secure(request: Request) -> bool:
    rt: Runtime = request.app.state.runtime
    return rt.settings.base_url.startswith("https://")


def set_counter_cookies(response: Response, request: Request, token: str, outlet: str) -> None:
    for name, value in ((STAFF_COOKIE, token), (OUTLET_COOKIE, outlet)):
        response.set_cookie(
            name,
            value,
            path="/counter",
            httponly=True,
            samesite="strict",
            secure=_secure(request),
        )


def clear_counter_cookies(response: Response, request: Request) -> None:
    for name in (STAFF_COOKIE, OUTLET_COOKIE):
        response.delete_cookie(
            name, path="/counter", httponly=True, samesite="strict", secure=_secure(request)
        )
