"""Who is browsing: the signed-in customer behind the session cookie, if any.

The cookie carries the customer's device token (the same token the API takes as a bearer),
HttpOnly and SameSite=Lax. Pages that need an account redirect to ``/login?next=…``."""

from __future__ import annotations

from dataclasses import dataclass

from fastapi import Request

from admit.accounts import customers
from admit.core.audit_context import ANONYMOUS
from admit.core.errors import Unauthorized
from admit.core.runtime import Runtime

SESSION_COOKIE = "admit_session"


@dataclass(frozen=True, slots=True)
class Visitor:
    customer_id: int
    login: str
    token: str


async def signed_in(request: Request) -> Visitor | None:
    """The customer whose live token is in the session cookie; ``None`` for a visitor."""
    token = request.cookies.get(SESSION_COOKIE)
    if not token:
        return None
    rt: Runtime = request.app.state.runtime
    try:
        async with rt.uow(ANONYMOUS, readonly=True) as uow:
            found = await customers.authenticate(uow, token=token, now=rt.clock.now())
    except Unauthorized:
        return None
    return Visitor(customer_id=found.id, login=found.phone or found.email or "", token=token)
