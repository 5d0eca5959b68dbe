"""FastAPI dependencies: the request's unit of work, the clock, the authenticated staff member
and the permission each admin endpoint requires, within the grant's scope.

Who a token belongs to is the runtime's ``Authenticator`` to say (``admit.core.authentication``,
registered by the composition root): this plumbing sits below the accounts and imports none
of them. A runtime without one fails the request (500) rather than letting anyone in.

The unit of work is a ``scope="function"`` dependency: it commits after the route returns and
*before* the response is sent, so a client never sees success for a rolled-back change.

Scopes are enforced here, not remembered by each route (ROLE, issue 30):

- ``staff_reader(P)`` / ``staff_writer(P)`` count **global** grants only. A grant of P scoped to
  an organiser, venue, channel or outlet is refused (403) on a route that does not say how its
  resource is scoped, so a new route cannot leak across scopes by forgetting.
- ``staff_reader(P, scope=by_path("venue_id", ScopeKind.VENUE))``: the path names the resource;
  the dependency finds where it lies (the id itself, or ``locate``: a session's organiser, a
  device's venue…) before the route runs, and refuses a scoped grant that does not cover it —
  403 ``forbidden``, or 404 ``not_found`` with ``conceal=True`` where even existence is
  personal (customers). A missing resource is 404 for everyone.
- ``staff_reader(P, scope=narrowed(ScopeKind.VENUE))``: lists and bodies name their scope, so
  the route narrows — ``require_scope`` for the one it acts on, ``reach`` for the ids a list may
  show. A route that lets a scoped caller through without either fails loudly (500, rolled
  back, logged) instead of answering.

Grants of a kind the route does not name (an outlet-scoped clerk on a venue route) are refused
before anything is looked up."""

from __future__ import annotations

from collections.abc import AsyncIterator, Awaitable, Callable, Sequence
from contextvars import ContextVar
from dataclasses import dataclass
from datetime import datetime
from typing import Annotated, Any

from fastapi import Depends, Request
from fastapi.security import HTTPAuthorizationCredentials, HTTPBearer

from admit.core.audit_context import ANONYMOUS, Actor
from admit.core.authentication import Authenticator
from admit.core.errors import Forbidden, NotFound, Unauthorized
from admit.core.permissions import Permission, Principal, ScopeKind
from admit.core.runtime import Runtime
from admit.core.uow import UnitOfWork
from admit.http.addresses import address_in
from admit.http.edge_limits import spend_account

_bearer = HTTPBearer(
    auto_error=False,
    scheme_name="StaffBearer",
    description="A staff member's token (sign in at /auth/staff/login)",
)


# Dependencies are ``async def``: FastAPI runs a plain ``def`` in its thread pool, a hand-off
# per dependency per request.
async def runtime(request: Request) -> Runtime:
    rt: Runtime = request.app.state.runtime
    return rt


async def now(rt: Annotated[Runtime, Depends(runtime)]) -> datetime:
    return rt.clock.now()


async def client_ip(request: Request, rt: Annotated[Runtime, Depends(runtime)]) -> str:
    return address_of(request, rt)


def authenticator(rt: Runtime) -> Authenticator:
    """The registered authenticator; raises ``RuntimeError`` naming it when there is none."""
    return rt.adapter(Authenticator)  # type: ignore[type-abstract]


def address_of(request: Request, rt: Runtime) -> str:
    """The caller's address; X-Forwarded-For counts only behind configured trusted proxies."""
    return address_in(request.scope, rt.settings.trusted_proxies)


async def principal(
    request: Request,
    rt: Annotated[Runtime, Depends(runtime)],
    credentials: Annotated[HTTPAuthorizationCredentials | None, Depends(_bearer)],
) -> Principal:
    """The staff member behind the bearer token (once per request), within the account's
    request budget. Raises ``Unauthorized``, ``RateLimited``."""
    if credentials is None:
        raise Unauthorized("a staff bearer token is required")
    who = await authenticator(rt).staff(credentials.credentials)
    await spend_account(rt, request.scope, kind="staff", account=who.staff_id)
    return who


def staff_actor(who: Principal) -> Actor:
    return Actor(kind="staff", id=str(who.staff_id), name=who.username)


Place = tuple[ScopeKind, object]
Locate = Callable[[UnitOfWork, str], Awaitable[Sequence[Place]]]


@dataclass(frozen=True, slots=True)
class Scoping:
    """How a route's resource is scoped: the kinds of scoped grant that may reach it, and
    either the path parameter naming it (with ``locate`` finding where it lies) or ``None``:
    the route narrows by itself."""

    kinds: tuple[ScopeKind, ...]
    param: str | None = None
    locate: Locate | None = None
    conceal: bool = False


def by_path(
    param: str, *kinds: ScopeKind, locate: Locate | None = None, conceal: bool = False
) -> Scoping:
    """The path parameter ``param`` is the resource: its value is the scope id (of each of
    ``kinds``), or ``locate`` says where the resource lies (raising ``NotFound``)."""
    return Scoping(kinds=kinds, param=param, locate=locate, conceal=conceal)


def narrowed(*kinds: ScopeKind) -> Scoping:
    """Scoped grants of ``kinds`` reach the route, which narrows with ``require_scope`` or
    ``reach``; one that does neither for a scoped caller fails (``ScopeNotNarrowed``)."""
    return Scoping(kinds=kinds)


def path_int(value: str, what: str) -> int:
    """A path's id for a ``locate``; a value that is not one names nothing (404)."""
    if not value.isdigit() or len(value) > 18:
        raise NotFound(f"{what} {value} does not exist")
    return int(value)


CONCEALED = "there is no such resource within your reach"


class ScopeNotNarrowed(RuntimeError):
    """A route declared ``narrowed`` let a scoped caller through without narrowing: a bug."""


# One box per request for the routes that narrow by themselves: ``require_scope`` and
# ``reach`` tick it. A mutable box, so that the route's ticks reach the dependency's check.
_narrowing: ContextVar[list[bool] | None] = ContextVar("admit_scope_narrowing", default=None)


def _ticked() -> None:
    box = _narrowing.get()
    if box is not None:
        box[0] = True


async def _located(scoping: Scoping, uow: UnitOfWork, request: Request) -> Sequence[Place]:
    value = str(request.path_params.get(scoping.param or "", ""))
    if scoping.locate is not None:
        return await scoping.locate(uow, value)
    canonical = str(int(value)) if value.isdigit() and len(value) <= 18 else value
    return [(kind, canonical) for kind in scoping.kinds]


def _admitted(who: Principal, permission: Permission, scoping: Scoping | None) -> bool:
    """Refuse before any look-up: no grant of P at all, or only grants of kinds the route does
    not know. Returns whether the caller holds P everywhere."""
    kinds = who.scopes_of(permission)
    if not kinds:
        raise Forbidden(f"this needs the {permission.value} permission")
    if ScopeKind.GLOBAL in kinds:
        return True
    if scoping is None or not kinds & set(scoping.kinds):
        raise Forbidden(
            f"your {permission.value} permission is scoped to "
            + ", ".join(sorted(k.value for k in kinds))
            + ("; this needs it globally" if scoping is None else "; it does not reach here")
        )
    return False


def _staff_uow(
    permission: Permission, *, readonly: bool, scoping: Scoping | None
) -> Callable[..., Any]:
    async def dependency(
        request: Request,
        rt: Annotated[Runtime, Depends(runtime)],
        who: Annotated[Principal, Depends(principal)],
    ) -> AsyncIterator[UnitOfWork]:
        everywhere = _admitted(who, permission, scoping)
        async with rt.uow(staff_actor(who), readonly=readonly) as uow:
            if scoping is not None and scoping.param is not None:
                try:
                    places = await _located(scoping, uow, request)
                except NotFound:
                    if scoping.conceal:  # the same answer as outside the scope
                        raise NotFound(CONCEALED) from None
                    raise
                if not everywhere and not any(
                    who.can_in(permission, kind, ident) for kind, ident in places
                ):
                    if scoping.conceal:
                        raise NotFound(CONCEALED)
                    raise Forbidden(f"your {permission.value} permission does not cover this")
                yield uow
                return
            box = [everywhere or scoping is None]
            _narrowing.set(box)
            yield uow
            if not box[0]:
                raise ScopeNotNarrowed(
                    f"{request.method} {request.url.path} let a scoped grant through unnarrowed"
                )

    dependency.required_permission = permission  # type: ignore[attr-defined]
    dependency.scoping = scoping  # type: ignore[attr-defined]
    return dependency


def staff_writer(permission: Permission, *, scope: Scoping | None = None) -> Any:
    """``Annotated[UnitOfWork, staff_writer(P)]``: a writing unit of work for staff holding P
    globally, or within ``scope`` (see the module docstring)."""
    return Depends(_staff_uow(permission, readonly=False, scoping=scope), scope="function")


def staff_reader(permission: Permission, *, scope: Scoping | None = None) -> Any:
    """The same as ``staff_writer`` with a read-only unit of work."""
    return Depends(_staff_uow(permission, readonly=True, scoping=scope), scope="function")


def staff_may(permission: Permission) -> Any:
    """``Annotated[Principal, staff_may(P)]``: the staff member holding P globally, with no unit
    of work open (for routes that call an outside system — a cinema, a payment gateway — before
    they write: nothing may be held open meanwhile)."""

    async def dependency(who: Annotated[Principal, Depends(principal)]) -> Principal:
        if not who.can(permission):
            raise Forbidden(f"this needs the {permission.value} permission")
        return who

    dependency.required_permission = permission  # type: ignore[attr-defined]
    return Depends(dependency)


def require_scope(
    who: Principal, permission: Permission, scope: ScopeKind, scope_id: object
) -> None:
    """For a resource named in a body: refuse (403) one outside the caller's scoped grants."""
    require_any_scope(who, permission, [(scope, scope_id)])


def require_any_scope(who: Principal, permission: Permission, places: Sequence[Place]) -> None:
    """The resource lies in each of ``places`` (an outlet and its channel): one must be covered."""
    _ticked()
    if not any(who.can_in(permission, kind, ident) for kind, ident in places):
        kinds = "/".join(kind.value for kind, _ in places)
        raise Forbidden(f"your {permission.value} permission does not cover this {kinds}")


def reach(who: Principal, permission: Permission, scope: ScopeKind) -> frozenset[str] | None:
    """For a list: the ids of this kind the caller may see; ``None`` for all of them."""
    _ticked()
    return who.reach(permission, scope)


_customer_bearer = HTTPBearer(
    auto_error=False,
    scheme_name="CustomerBearer",
    description="A customer's token (sign in at /auth/login)",
)


async def customer_id(
    request: Request,
    rt: Annotated[Runtime, Depends(runtime)],
    credentials: Annotated[HTTPAuthorizationCredentials | None, Depends(_customer_bearer)],
) -> int:
    """The signed-in customer (C7: visitors may browse; buying needs an account), within the
    account's request budget. Raises ``Unauthorized``, ``RateLimited``."""
    if credentials is None:
        raise Unauthorized("sign in first")
    cid = await authenticator(rt).customer(credentials.credentials)
    await spend_account(rt, request.scope, kind="customer", account=cid)
    return cid


async def customer_uow(
    rt: Annotated[Runtime, Depends(runtime)], cid: Annotated[int, Depends(customer_id)]
) -> AsyncIterator[UnitOfWork]:
    async with rt.uow(Actor(kind="customer", id=str(cid))) as uow:
        yield uow


async def customer_reader(
    rt: Annotated[Runtime, Depends(runtime)], cid: Annotated[int, Depends(customer_id)]
) -> AsyncIterator[UnitOfWork]:
    """For a customer's reads: no write transaction (on SQLite, no queueing behind writers)."""
    async with rt.uow(Actor(kind="customer", id=str(cid)), readonly=True) as uow:
        yield uow


async def public_reader(rt: Annotated[Runtime, Depends(runtime)]) -> AsyncIterator[UnitOfWork]:
    async with rt.uow(ANONYMOUS, readonly=True) as uow:
        yield uow


async def public_uow(rt: Annotated[Runtime, Depends(runtime)]) -> AsyncIterator[UnitOfWork]:
    async with rt.uow(ANONYMOUS) as uow:
        yield uow


PublicReader = Annotated[UnitOfWork, Depends(public_reader, scope="function")]
PublicUoW = Annotated[UnitOfWork, Depends(public_uow, scope="function")]
Now = Annotated[datetime, Depends(now)]
RuntimeDep = Annotated[Runtime, Depends(runtime)]
PrincipalDep = Annotated[Principal, Depends(principal)]
ClientIP = Annotated[str, Depends(client_ip)]
CustomerId = Annotated[int, Depends(customer_id)]
CustomerUoW = Annotated[UnitOfWork, Depends(customer_uow, scope="function")]
CustomerReader = Annotated[UnitOfWork, Depends(customer_reader, scope="function")]
