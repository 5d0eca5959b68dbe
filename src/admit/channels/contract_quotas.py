"""Contract quotas (S5, issue 19 item 2): what all contract clients together may lock of a
session's price level (the contract total) and what each client may (its quota). The
clients' quotas need not add up to the total: a lock takes from both (``contract_locks``).

Setting a quota never takes it below what is already locked (409 ``quota_below_locked``):
the row is read ``FOR UPDATE`` first, so a lock racing with the change sees one or the other."""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from datetime import datetime

from sqlalchemy import select

from admit.catalog.models import PriceLevel, Session
from admit.channels.contract_models import ContractClientQuota, ContractTotalQuota
from admit.clients.directory import get_client
from admit.core import audit
from admit.core.errors import Conflict, InvalidInput, NotFound
from admit.core.uow import UnitOfWork


class QuotaBelowLocked(Conflict):
    code = "quota_below_locked"


@dataclass(frozen=True, slots=True)
class QuotaView:
    level: str
    quota: int
    locked: int
    client_id: int | None = None


async def session_levels(uow: UnitOfWork, session_id: int) -> dict[str, int]:
    """The session's price levels, code → id. Raises ``NotFound`` for no such session."""
    if await uow.session.get(Session, session_id) is None:
        raise NotFound(f"session {session_id} does not exist")
    rows = await uow.session.execute(
        select(PriceLevel.code, PriceLevel.id).where(PriceLevel.session_id == session_id)
    )
    return {row.code: row.id for row in rows}


async def level_of(uow: UnitOfWork, session_id: int, code: str) -> int:
    """The id of the session's price level ``code``; 404 ``not_found`` otherwise."""
    levels = await session_levels(uow, session_id)
    if code not in levels:
        raise NotFound(f"session {session_id} has no price level {code!r}")
    return levels[code]


def _known(levels: Mapping[str, int], wanted: Mapping[str, int]) -> None:
    if missing := sorted(set(wanted) - set(levels)):
        raise NotFound("the session has no such price levels", details={"levels": missing})


def _apply(
    uow: UnitOfWork,
    row: ContractTotalQuota | ContractClientQuota | None,
    code: str,
    quota: int,
    now: datetime,
    model: type[ContractTotalQuota] | type[ContractClientQuota],
    keys: Mapping[str, int],
) -> None:
    """Set a level's quota on its row (read ``FOR UPDATE``), or on a new ``model(**keys)``."""
    if row is None:
        row = model(**keys, locked=0)
        uow.session.add(row)
    else:
        _not_below(row.locked, quota, code)
    row.quota, row.updated_at = quota, now


async def set_total(
    uow: UnitOfWork, *, session_id: int, quotas: Mapping[str, int], now: datetime
) -> list[QuotaView]:
    """The contract total of each named level becomes its quota (levels not named stay).
    Raises ``NotFound``, ``QuotaBelowLocked``."""
    levels = await session_levels(uow, session_id)
    _known(levels, quotas)
    for code in sorted(quotas):
        row = await uow.session.scalar(
            select(ContractTotalQuota)
            .where(ContractTotalQuota.price_level_id == levels[code])
            .with_for_update()
        )
        keys = {"price_level_id": levels[code], "session_id": session_id}
        _apply(uow, row, code, quotas[code], now, ContractTotalQuota, keys)
    await uow.session.flush()
    await audit.record(
        uow,
        action="contract.total_quota_set",
        entity_type="session",
        entity_id=session_id,
        data={"quotas": dict(sorted(quotas.items()))},
        now=now,
    )
    return (await quotas_of(uow, session_id=session_id))[0]


async def set_client_quota(
    uow: UnitOfWork,
    *,
    client_id: int,
    session_id: int,
    quotas: Mapping[str, int],
    now: datetime,
) -> list[QuotaView]:
    """The client's quota of each named level of the session. Raises ``NotFound``,
    ``QuotaBelowLocked``."""
    await get_client(uow, client_id)
    levels = await session_levels(uow, session_id)
    _known(levels, quotas)
    for code in sorted(quotas):
        row = await uow.session.scalar(
            select(ContractClientQuota)
            .where(
                ContractClientQuota.client_id == client_id,
                ContractClientQuota.price_level_id == levels[code],
            )
            .with_for_update()
        )
        keys = {"client_id": client_id, "price_level_id": levels[code], "session_id": session_id}
        _apply(uow, row, code, quotas[code], now, ContractClientQuota, keys)
    await uow.session.flush()
    await audit.record(
        uow,
        action="contract.client_quota_set",
        entity_type="client",
        entity_id=client_id,
        data={"session_id": session_id, "quotas": dict(sorted(quotas.items()))},
        now=now,
    )
    return [q for q in (await quotas_of(uow, session_id=session_id))[1] if q.client_id == client_id]


def _not_below(locked: int, quota: int, code: str) -> None:
    if quota < locked:
        raise QuotaBelowLocked(
            f"level {code}: {locked} already locked, the quota cannot be {quota}",
            details={"level": code, "locked": locked},
        )


async def quotas_of(uow: UnitOfWork, *, session_id: int) -> tuple[list[QuotaView], list[QuotaView]]:
    """The session's contract totals and every client's quotas, by level (then client)."""
    levels = await session_levels(uow, session_id)
    code_of = {level_id: code for code, level_id in levels.items()}
    totals = await uow.session.execute(
        select(
            ContractTotalQuota.price_level_id, ContractTotalQuota.quota, ContractTotalQuota.locked
        ).where(ContractTotalQuota.session_id == session_id)
    )
    clients = await uow.session.execute(
        select(
            ContractClientQuota.client_id,
            ContractClientQuota.price_level_id,
            ContractClientQuota.quota,
            ContractClientQuota.locked,
        ).where(ContractClientQuota.session_id == session_id)
    )
    total_views = sorted(
        (QuotaView(code_of[lv], quota, locked) for lv, quota, locked in totals),
        key=lambda q: q.level,
    )
    client_views = sorted(
        (QuotaView(code_of[lv], quota, locked, client) for client, lv, quota, locked in clients),
        key=lambda q: (q.level, q.client_id or 0),
    )
    return total_views, client_views


def check_levels(entries: Sequence[tuple[str, int]]) -> dict[str, int]:
    """Level → quota from a request's entries; a level named twice is bad input."""
    found: dict[str, int] = {}
    for code, quota in entries:
        if code in found:
            raise InvalidInput(f"level {code!r} is named twice", details={"level": code})
        found[code] = quota
    return found
