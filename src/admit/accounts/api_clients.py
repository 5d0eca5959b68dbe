"""Partner API keys (API2, API6): scopes, a token-bucket rate policy per key, and an access log
of every call. The secret is shown once and kept only as SHA-256."""

from __future__ import annotations

import secrets
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime

from sqlalchemy import select

from admit.accounts.models import ApiAccessLog, ApiClient
from admit.accounts.tokens import digest
from admit.core import audit
from admit.core.errors import InvalidInput, Unauthorized
from admit.core.lookups import ensure_unique, get_or_404
from admit.core.uow import UnitOfWork

SCOPES = ("catalog.read", "availability.read", "orders.write", "orders.read")


@dataclass(frozen=True, slots=True)
class IssuedKey:
    client: ApiClient
    api_key: str  # "<key_id>.<secret>", shown once


def _check_scopes(scopes: Sequence[str]) -> None:
    unknown = sorted(set(scopes) - set(SCOPES))
    if unknown:
        raise InvalidInput(f"unknown scopes: {', '.join(unknown)}", details={"known": SCOPES})


async def create_client(
    uow: UnitOfWork,
    *,
    name: str,
    scopes: Sequence[str],
    rate_per_minute: int,
    burst: int,
    now: datetime,
) -> IssuedKey:
    _check_scopes(scopes)
    await ensure_unique(uow, ApiClient.name, name, f"an API client named {name!r} exists")
    key_id, secret = f"ak_{secrets.token_hex(8)}", secrets.token_urlsafe(32)
    client = ApiClient(
        name=name,
        key_id=key_id,
        secret_hash=digest(secret),
        scopes=list(scopes),
        rate_per_minute=rate_per_minute,
        burst=burst,
        created_at=now,
    )
    uow.session.add(client)
    await uow.session.flush()
    await audit.record(
        uow,
        action="api_client.created",
        entity_type="api_client",
        entity_id=client.id,
        now=now,
        data={
            "name": name,
            "scopes": list(scopes),
            "rate_per_minute": rate_per_minute,
            "burst": burst,
        },
    )
    return IssuedKey(client=client, api_key=f"{key_id}.{secret}")


async def update_client(
    uow: UnitOfWork, client_id: int, *, changes: dict[str, object], now: datetime
) -> ApiClient:
    """Change scopes, rate policy or revoke (``active=False``)."""
    if "scopes" in changes:
        _check_scopes(changes["scopes"])  # type: ignore[arg-type]
    client = await get_or_404(uow, ApiClient, client_id, "API client")
    await audit.record_update(
        uow,
        client,
        changes,
        action="api_client.updated",
        entity_type="api_client",
        entity_id=client_id,
        now=now,
    )
    return client


async def authenticate(uow: UnitOfWork, *, api_key: str) -> ApiClient:
    """The active client behind ``<key_id>.<secret>``. Raises ``Unauthorized``."""
    key_id, _, secret = api_key.partition(".")
    client = await uow.session.scalar(select(ApiClient).where(ApiClient.key_id == key_id))
    if (
        client is None
        or not secret
        or not secrets.compare_digest(client.secret_hash, digest(secret))
    ):
        raise Unauthorized("unknown API key")
    if not client.active:
        raise Unauthorized("this API key was revoked")
    return client


async def log_call(
    uow: UnitOfWork,
    *,
    client_id: int,
    method: str,
    path: str,
    status: int,
    latency_ms: int,
    now: datetime,
) -> None:
    uow.session.add(
        ApiAccessLog(
            client_id=client_id,
            at=now,
            method=method,
            path=path[:300],
            status=status,
            latency_ms=latency_ms,
        )
    )


async def access_log(uow: UnitOfWork, client_id: int, *, limit: int) -> list[ApiAccessLog]:
    rows = await uow.session.scalars(
        select(ApiAccessLog)
        .where(ApiAccessLog.client_id == client_id)
        .order_by(ApiAccessLog.id.desc())
        .limit(limit)
    )
    return list(rows.all())


async def list_clients(uow: UnitOfWork) -> list[ApiClient]:
    return list((await uow.session.scalars(select(ApiClient).order_by(ApiClient.name))).all())
