"""The accounts' answer to ``admit.core.authentication.Authenticator``: the HTTP plumbing asks
the runtime's registered authenticator who is calling, and this one asks the staff tokens, the
customers' device tokens (through their per-process cache) and the partners' API keys.

Each look-up runs in a read-only unit of work of its own as the anonymous actor, as a request
that has not yet said who it is; the access-log row is written in a writing one."""

from __future__ import annotations

from admit.accounts import api_clients
from admit.accounts.staff import principal_for_token
from admit.accounts.token_cache import signed_in_customer
from admit.core.audit_context import ANONYMOUS
from admit.core.authentication import ApiCaller
from admit.core.permissions import Principal
from admit.core.runtime import Runtime


class AccountsAuthenticator:
    """Authenticates against this runtime's database, clock and token cache."""

    def __init__(self, rt: Runtime) -> None:
        self._rt = rt

    async def staff(self, token: str) -> Principal:
        rt = self._rt
        async with rt.uow(ANONYMOUS, readonly=True) as uow:
            return await principal_for_token(uow, token=token, now=rt.clock.now())

    async def customer(self, token: str) -> int:
        return (await signed_in_customer(self._rt, token)).customer_id

    async def api_client(self, api_key: str) -> ApiCaller:
        async with self._rt.uow(ANONYMOUS, readonly=True) as uow:
            client = await api_clients.authenticate(uow, api_key=api_key)
            return ApiCaller(
                id=client.id,
                name=client.name,
                scopes=tuple(client.scopes),
                rate_per_minute=client.rate_per_minute,
                burst=client.burst,
                channel=client.channel,
                outlet=client.outlet,
            )

    async def log_api_call(
        self, *, client_id: int, method: str, path: str, status: int, latency_ms: int
    ) -> None:
        rt = self._rt
        async with rt.uow(ANONYMOUS) as uow:
            await api_clients.log_call(
                uow,
                client_id=client_id,
                method=method,
                path=path,
                status=status,
                latency_ms=latency_ms,
                now=rt.clock.now(),
            )
