"""FastAPI dependencies: the request's unit of work, the clock, the authenticated staff user.

The unit of work is a ``scope="function"`` dependency: it commits after the route returns and
*before* the response is sent, so a client never sees success for a rolled-back change."""

from __future__ import annotations

from collections.abc import AsyncIterator
from datetime import datetime
from typing import Annotated

from fastapi import Depends, Request
from fastapi.security import HTTPAuthorizationCredentials, HTTPBearer

from admit.accounts import service as accounts
from admit.core.audit_context import ANONYMOUS, Actor
from admit.core.errors import Unauthorized
from admit.core.runtime import Runtime
from admit.core.uow import UnitOfWork

_bearer = HTTPBearer(auto_error=False, description="Staff bearer token")


def runtime(request: Request) -> Runtime:
    rt: Runtime = request.app.state.runtime
    return rt


def now(rt: Annotated[Runtime, Depends(runtime)]) -> datetime:
    return rt.clock.now()


async def _staff(rt: Runtime, credentials: HTTPAuthorizationCredentials | None) -> Actor:
    if credentials is None:
        raise Unauthorized("a staff bearer token is required")
    async with rt.uow(ANONYMOUS, readonly=True) as uow:
        user = await accounts.authenticate(uow, token=credentials.credentials, now=rt.clock.now())
    return Actor(kind="staff", id=str(user.id), name=user.username)


async def staff_uow(
    rt: Annotated[Runtime, Depends(runtime)],
    credentials: Annotated[HTTPAuthorizationCredentials | None, Depends(_bearer)],
) -> AsyncIterator[UnitOfWork]:
    """A writing unit of work on behalf of an authenticated staff member."""
    actor = await _staff(rt, credentials)
    async with rt.uow(actor) as uow:
        yield uow


async def staff_reader(
    rt: Annotated[Runtime, Depends(runtime)],
    credentials: Annotated[HTTPAuthorizationCredentials | None, Depends(_bearer)],
) -> AsyncIterator[UnitOfWork]:
    actor = await _staff(rt, credentials)
    async with rt.uow(actor, readonly=True) as uow:
        yield uow


async def public_reader(rt: Annotated[Runtime, Depends(runtime)]) -> AsyncIterator[UnitOfWork]:
    async with rt.uow(ANONYMOUS, readonly=True) as uow:
        yield uow


async def public_uow(rt: Annotated[Runtime, Depends(runtime)]) -> AsyncIterator[UnitOfWork]:
    async with rt.uow(ANONYMOUS) as uow:
        yield uow


StaffUoW = Annotated[UnitOfWork, Depends(staff_uow, scope="function")]
StaffReader = Annotated[UnitOfWork, Depends(staff_reader, scope="function")]
PublicReader = Annotated[UnitOfWork, Depends(public_reader, scope="function")]
PublicUoW = Annotated[UnitOfWork, Depends(public_uow, scope="function")]
Now = Annotated[datetime, Depends(now)]
RuntimeDep = Annotated[Runtime, Depends(runtime)]
