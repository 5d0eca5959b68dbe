"""Who a device token belongs to, remembered for a few seconds per process
(``ADMIT_TOKEN_CACHE_SECONDS``, default 5): every signed-in request checks its token, and
without this each check is a transaction of its own. A sign-out, password reset, operator
lock or device-limit sign-out made in this process clears the cache when it commits; other
processes stop accepting the token within those seconds."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime

from admit.accounts.customer_phones import phone_of
from admit.accounts.customers import authenticate
from admit.accounts.tokens import digest
from admit.core.audit_context import ANONYMOUS
from admit.core.runtime import Runtime
from admit.core.short_cache import TOKENS, ShortCache, cache_of


@dataclass(frozen=True, slots=True)
class SignedIn:
    customer_id: int
    login: str  # phone or email, as the header shows it
    expires_at: datetime


async def signed_in_customer(rt: Runtime, token: str) -> SignedIn:
    """The customer behind a live device token. Raises ``Unauthorized``."""
    now = rt.clock.now()
    cache: ShortCache[str, SignedIn] = cache_of(rt.caches, TOKENS, rt.settings.token_cache_seconds)
    key = digest(token)
    found = cache.get(key)
    if found is not None and found.expires_at > now:
        return found
    generation = cache.generation
    async with rt.uow(ANONYMOUS, readonly=True) as uow:
        owner = await authenticate(uow, token=token, now=now)
    login = phone_of(rt.crypto, owner) or owner.email or ""
    found = SignedIn(owner.customer_id, login, owner.expires_at)
    cache.put(key, found, generation)
    return found
