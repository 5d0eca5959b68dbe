"""Statistics of contract selling (issue 19 item 2): per client and per rep, how much was
locked, seated (seats named), collected (quantity of collected locks) and paid (offline
payments, in fen). Aggregates in SQL, one statement per figure."""

from __future__ import annotations

from collections import defaultdict
from dataclasses import dataclass, field

from sqlalchemy import ColumnElement, case, func, select

from admit.channels.contract_models import ContractLock, ContractPayment
from admit.core.uow import UnitOfWork


@dataclass(slots=True)
class Figures:
    locked: int = 0
    seated: int = 0
    collected: int = 0
    paid: int = 0


@dataclass(slots=True)
class Stats:
    clients: dict[int, Figures] = field(default_factory=lambda: defaultdict(Figures))
    reps: dict[int, Figures] = field(default_factory=lambda: defaultdict(Figures))


async def contract_stats(
    uow: UnitOfWork, *, client_id: int | None = None, session_id: int | None = None
) -> Stats:
    """The figures per client and per rep (of one client, one session, when asked)."""
    lock_where: list[ColumnElement[bool]] = []
    pay_where: list[ColumnElement[bool]] = []
    if client_id is not None:
        lock_where.append(ContractLock.client_id == client_id)
        pay_where.append(ContractPayment.client_id == client_id)
    if session_id is not None:
        lock_where.append(ContractLock.session_id == session_id)
        pay_where.append(ContractPayment.session_id == session_id)
    stats = Stats()
    for key, table in (("clients", ContractLock.client_id), ("reps", ContractLock.rep_id)):
        rows = await uow.session.execute(
            select(
                table,
                func.sum(ContractLock.quantity),
                func.sum(ContractLock.seated),
                func.sum(
                    case((ContractLock.collected_at.is_not(None), ContractLock.quantity), else_=0)
                ),
            )
            .where(*lock_where)
            .group_by(table)
        )
        for who, locked, seated, done in rows:
            figures = getattr(stats, key)[who]
            figures.locked, figures.seated, figures.collected = (
                int(locked or 0),
                int(seated or 0),
                int(done or 0),
            )
    for key, column in (
        ("clients", ContractPayment.client_id),
        ("reps", ContractPayment.recorded_by),
    ):
        rows = await uow.session.execute(
            select(column, func.sum(ContractPayment.amount)).where(*pay_where).group_by(column)
        )
        for who, paid in rows:
            getattr(stats, key)[who].paid = int(paid or 0)
    return stats
