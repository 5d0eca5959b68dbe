"""Who is calling: the interface the HTTP plumbing asks to turn a credential into a caller, and
to log a partner's call.

The plumbing (``admit.http``) sits below the slices, so it cannot import the accounts that know
staff tokens, customer device tokens and API keys. Accounts implements this interface
(``admit.accounts.authenticator``) and the composition root registers it on the runtime
(``admit.wiring.wire_adapters``); the plumbing finds it with ``rt.adapter(Authenticator)``.
Nothing falls back: with no registration that raises, and the request fails (500) instead of
letting anyone in."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Protocol

from admit.core.permissions import Principal


@dataclass(frozen=True, slots=True)
class ApiCaller:
    """A partner's active API client, as its key authenticated it: what the partner API needs
    to check scopes and meter the key's rate."""

    id: int
    name: str
    scopes: tuple[str, ...]
    rate_per_minute: int
    burst: int
    # A channel system's key (``admit.channels``): the channel it sells in and, for a kiosk
    # or an agent, its outlet; a plain partner key has neither.
    channel: str | None = None
    outlet: str | None = None


class Authenticator(Protocol):
    async def staff(self, token: str) -> Principal:
        """The staff member behind a live bearer token, with their grants as stored now (no
        caching: a revoked grant counts on the next request). Raises ``Unauthorized`` for an
        unknown, expired or revoked token and for a disabled or locked account."""
        ...

    async def customer(self, token: str) -> int:
        """The id of the customer behind a live device token, remembered a few seconds per
        process (``ADMIT_TOKEN_CACHE_SECONDS``) and never past the token's expiry. Raises
        ``Unauthorized``."""
        ...

    async def api_client(self, api_key: str) -> ApiCaller:
        """The active client behind ``<key_id>.<secret>``, the secret compared in constant
        time. Raises ``Unauthorized`` for an unknown key or a wrong secret alike, and for a
        revoked key."""
        ...

    async def log_api_call(
        self, *, client_id: int, method: str, path: str, status: int, latency_ms: int
    ) -> None:
        """Add a row to the client's access log, in a transaction of its own, stamped with the
        runtime clock. Database errors propagate: the caller decides what losing a row means."""
        ...
