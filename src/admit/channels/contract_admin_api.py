"""Operators' side of contract selling (S5; issue 19 item 2): the contract total and each
client's quota per session × price level, statistics per client and rep (``clients.manage``,
global grants only: clients are nobody's organiser or venue), and the holders an account
manager imports for a client (``clients.manage`` and being one of the client's account
managers, ``POST /admin/clients/{id}/managers``: 403 ``not_account_manager`` otherwise)."""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, Query, Request

from admit.channels import contract_holders, contract_quotas, contract_stats
from admit.channels.contract_quotas import QuotaView
from admit.channels.contract_schemas import (
    ContractFiguresOut,
    ContractQuotaOut,
    ContractQuotasIn,
    ContractQuotasOut,
    ContractStatsOut,
    HolderImportOut,
    HolderRowOut,
    Id,
)
from admit.clients.directory import get_client, is_manager
from admit.core.errors import Forbidden
from admit.core.permissions import Permission
from admit.core.uow import UnitOfWork
from admit.http.deps import Now, PrincipalDep, RuntimeDep, staff_reader, staff_writer

router = APIRouter(prefix="/admin", tags=["contract clients"])
Writer = Annotated[UnitOfWork, staff_writer(Permission.CLIENTS)]
Reader = Annotated[UnitOfWork, staff_reader(Permission.CLIENTS)]


class NotAccountManager(Forbidden):
    code = "not_account_manager"


def _quota(view: QuotaView) -> ContractQuotaOut:
    return ContractQuotaOut(
        level=view.level, quota=view.quota, locked=view.locked, client_id=view.client_id
    )


@router.put("/contract/sessions/{session_id}/quotas")
async def set_contract_total(
    session_id: int, body: ContractQuotasIn, uow: Writer, now: Now
) -> list[ContractQuotaOut]:
    """The contract total of each named price level of the session (for all contract
    clients together); 404 for a session or level that does not exist, 409
    ``quota_below_locked`` below what is locked already."""
    quotas = contract_quotas.check_levels([(q.level, q.quota) for q in body.levels])
    views = await contract_quotas.set_total(uow, session_id=session_id, quotas=quotas, now=now)
    return [_quota(v) for v in views]


@router.get("/contract/sessions/{session_id}/quotas")
async def contract_quotas_of(session_id: int, uow: Reader) -> ContractQuotasOut:
    """The session's contract totals and every client's quotas, with what is locked."""
    totals, clients = await contract_quotas.quotas_of(uow, session_id=session_id)
    return ContractQuotasOut(
        session_id=session_id,
        total=[_quota(v) for v in totals],
        clients=[_quota(v) for v in clients],
    )


@router.put("/clients/{client_id}/contract-quotas/{session_id}")
async def set_client_quota(
    client_id: int, session_id: int, body: ContractQuotasIn, uow: Writer, now: Now
) -> list[ContractQuotaOut]:
    """The client's quota of each named price level of the session (need not add up to the
    contract total: a lock takes from both); 404, 409 ``quota_below_locked``."""
    quotas = contract_quotas.check_levels([(q.level, q.quota) for q in body.levels])
    views = await contract_quotas.set_client_quota(
        uow, client_id=client_id, session_id=session_id, quotas=quotas, now=now
    )
    return [_quota(v) for v in views]


@router.get("/contract/stats")
async def contract_statistics(
    uow: Reader,
    client_id: Annotated[Id | None, Query(description="one client's")] = None,
    session_id: Annotated[Id | None, Query(description="one session's")] = None,
) -> ContractStatsOut:
    """Per client and per rep: quantity locked, seats named, quantity collected, offline
    payments (fen)."""
    stats = await contract_stats.contract_stats(uow, client_id=client_id, session_id=session_id)

    def out(figures: dict[int, contract_stats.Figures]) -> dict[int, ContractFiguresOut]:
        return {
            who: ContractFiguresOut(
                locked=f.locked, seated=f.seated, collected=f.collected, paid=f.paid
            )
            for who, f in sorted(figures.items())
        }

    return ContractStatsOut(clients=out(stats.clients), reps=out(stats.reps))


@router.post(
    "/clients/{client_id}/contract-holders",
    openapi_extra={
        "requestBody": {"required": True, "content": {"text/csv": {"schema": {"type": "string"}}}}
    },
)
async def import_contract_holders(
    client_id: int, request: Request, uow: Writer, who: PrincipalDep, rt: RuntimeDep, now: Now
) -> HolderImportOut:
    """Import the client's ticket holders from a CSV (``name,doc_type,number`` and optionally
    ``nationality``, ``visa_expires``): each row accepted or refused on its own, with a code
    and a reason (a refused row writes nothing). 400 ``malformed_holders`` for a file that is
    not such a CSV; 403 ``not_account_manager`` for a caller who does not manage the client."""
    await get_client(uow, client_id)
    if not await is_manager(uow, client_id=client_id, staff_id=who.staff_id):
        raise NotAccountManager("only the client's account managers import its holders")
    data = await request.body()
    outcomes = await contract_holders.import_holders(
        uow, rt.crypto, client_id=client_id, data=data, staff_id=who.staff_id, now=now
    )
    rows = [
        HolderRowOut(
            row=o.row,
            accepted=o.holder_id is not None,
            holder_id=o.holder_id,
            code=o.code,
            reason=o.reason,
        )
        for o in outcomes
    ]
    accepted = sum(r.accepted for r in rows)
    return HolderImportOut(accepted=accepted, refused=len(rows) - accepted, rows=rows)
