"""FastAPI dependencies: the request's unit of work, the clock, the authenticated staff member
and the permission each admin endpoint requires.

The unit of work is a ``scope="function"`` dependency: it commits after the route returns and
*before* the response is sent, so a client never sees success for a rolled-back change."""

from __future__ import annotations

from collections.abc import AsyncIterator, Callable
from datetime import datetime
from typing import Annotated, Any

from fastapi import Depends, Request
from fastapi.security import HTTPAuthorizationCredentials, HTTPBearer

from admit.accounts import staff
from admit.accounts.permissions import Permission, Principal, ScopeKind
from admit.accounts.token_cache import signed_in_customer
from admit.core.audit_context import ANONYMOUS, Actor
from admit.core.errors import Forbidden, Unauthorized
from admit.core.runtime import Runtime
from admit.core.uow import UnitOfWork

_bearer = HTTPBearer(auto_error=False, description="Staff bearer token")


# Dependencies are ``async def``: FastAPI runs a plain ``def`` in its thread pool, a hand-off
# per dependency per request.
async def runtime(request: Request) -> Runtime:
    rt: Runtime = request.app.state.runtime
    return rt


async def now(rt: Annotated[Runtime, Depends(runtime)]) -> datetime:
    return rt.clock.now()


async def client_ip(request: Request, rt: Annotated[Runtime, Depends(runtime)]) -> str:
    return address_of(request, rt)


def address_of(request: Request, rt: Runtime) -> str:
    """The caller's address; X-Forwarded-For counts only behind configured trusted proxies."""
    hops = rt.settings.trusted_proxies
    forwarded = [h.strip() for h in request.headers.get("x-forwarded-for", "").split(",") if h]
    if hops and len(forwarded) >= hops:
        return forwarded[-hops]
    return request.client.host if request.client else "unknown"


async def principal(
    rt: Annotated[Runtime, Depends(runtime)],
    credentials: Annotated[HTTPAuthorizationCredentials | None, Depends(_bearer)],
) -> Principal:
    """The staff member behind the bearer token (once per request). Raises ``Unauthorized``."""
    if credentials is None:
        raise Unauthorized("a staff bearer token is required")
    async with rt.uow(ANONYMOUS, readonly=True) as uow:
        return await staff.principal_for_token(
            uow, token=credentials.credentials, now=rt.clock.now()
        )


def staff_actor(who: Principal) -> Actor:
    return Actor(kind="staff", id=str(who.staff_id), name=who.username)


def _staff_uow(permission: Permission, *, readonly: bool) -> Callable[..., Any]:
    async def dependency(
        rt: Annotated[Runtime, Depends(runtime)],
        who: Annotated[Principal, Depends(principal)],
    ) -> AsyncIterator[UnitOfWork]:
        if not who.can(permission):
            raise Forbidden(f"this needs the {permission.value} permission")
        async with rt.uow(staff_actor(who), readonly=readonly) as uow:
            yield uow

    dependency.required_permission = permission  # type: ignore[attr-defined]
    return dependency


def staff_writer(permission: Permission) -> Any:
    """``Annotated[UnitOfWork, staff_writer(P)]``: a writing unit of work for staff holding P."""
    return Depends(_staff_uow(permission, readonly=False), scope="function")


def staff_reader(permission: Permission) -> Any:
    return Depends(_staff_uow(permission, readonly=True), scope="function")


def require_scope(
    who: Principal, permission: Permission, scope: ScopeKind, scope_id: object
) -> None:
    """For grants scoped to one organiser or venue: refuse resources outside it."""
    if not who.can_in(permission, scope, scope_id):
        raise Forbidden(f"your {permission.value} permission does not cover this {scope.value}")


_customer_bearer = HTTPBearer(auto_error=False, description="Customer bearer token")


async def customer_id(
    rt: Annotated[Runtime, Depends(runtime)],
    credentials: Annotated[HTTPAuthorizationCredentials | None, Depends(_customer_bearer)],
) -> int:
    """The signed-in customer (C7: visitors may browse; buying needs an account)."""
    if credentials is None:
        raise Unauthorized("sign in first")
    return (await signed_in_customer(rt, credentials.credentials)).customer_id


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
