"""The double-entry ledger (C4, invariant 5): every money movement is one entry whose lines
sum to zero, in minor units, posted in the transaction that moves the money. Entries are
never changed or deleted (the database refuses); a correction is a new entry.

Accounts: ``gateway:<name>`` (what a payment gateway holds for us), ``cash:<outlet>`` (cash
in a counter's drawer), ``terminal:<outlet>`` (card payments a counter's terminal took, owed
by its acquirer), ``agent:<outlet>:receivable`` (what an agent collected from its buyers
itself and owes until settled), ``offline:client:<id>`` (a contract client's bank transfers,
``channels.contract_payments``), ``organiser:<id>:payable`` (what the platform owes an organiser),
``suspense:reconciliation`` (differences with a gateway's statement corrected and not yet
settled: ``finance.gateway_recon``), and what settlement runs (``admit.settlement``) move out
of that payable for the other parties: ``agent:<outlet>:payable``, ``printer:<code>:payable``,
``client:<id>:payable``, ``platform:fees``."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime

from sqlalchemy import func, insert, select
from sqlalchemy.dialects.postgresql import insert as pg_insert
from sqlalchemy.dialects.sqlite import insert as sqlite_insert

from admit.core.db import table
from admit.core.uow import UnitOfWork
from admit.finance.models import LedgerEntry, LedgerLine


class Unbalanced(ValueError):
    """An entry whose lines do not sum to zero: a programming error, never posted."""


def gateway_account(method: str) -> str:
    return f"gateway:{method}"


def cash_account(outlet: str) -> str:
    return f"cash:{outlet}"


def terminal_account(outlet: str) -> str:
    return f"terminal:{outlet}"


def agent_receivable_account(outlet: str) -> str:
    return f"agent:{outlet}:receivable"


def money_account(method: str, outlet: str | None) -> str:
    """Where a payment's money is: the gateway that took it, a counter's cash drawer or card
    terminal, or the agent who collected it (and owes it)."""
    if method == "cash":
        return cash_account(outlet or "counter")
    if method == "card":
        return terminal_account(outlet or "counter")
    if method == "agent":
        return agent_receivable_account(outlet or "agent")
    if method == "offline":  # a contract client's bank transfer: outlet ``client:<id>``
        return offline_account(outlet or "client")
    return gateway_account(method)


def offline_account(payer: str) -> str:
    """Money a contract client paid outside any gateway (``payer``: ``client:<id>``), to be
    matched with the bank statement."""
    return f"offline:{payer}"


def payable_account(organiser_id: int) -> str:
    return f"organiser:{organiser_id}:payable"


@dataclass(frozen=True, slots=True)
class Entry:
    """One balanced entry to post: ``lines`` are (account, amount), debits positive."""

    kind: str
    ref: str
    organiser_id: int
    currency: str
    lines: Sequence[tuple[str, int]]
    at: datetime
    memo: str = ""


def moved(
    *,
    kind: str,
    ref: str,
    organiser_id: int,
    currency: str,
    debit: str,
    credit: str,
    amount: int,
    at: datetime,
    memo: str = "",
) -> Entry:
    """The common two-line entry: ``amount`` from ``credit`` to ``debit``."""
    return Entry(kind, ref, organiser_id, currency, [(debit, amount), (credit, -amount)], at, memo)


async def post(
    uow: UnitOfWork,
    *,
    kind: str,
    ref: str,
    organiser_id: int,
    currency: str,
    lines: Sequence[tuple[str, int]],
    at: datetime,
    memo: str = "",
) -> bool:
    """Post one balanced entry; False (and nothing written) when ``(kind, ref)`` was posted
    before — a repeated notification or a retried job moves the money once."""
    entry = Entry(kind, ref, organiser_id, currency, lines, at, memo)
    return bool(await post_many(uow, [entry]))


async def post_many(uow: UnitOfWork, entries: Sequence[Entry]) -> set[tuple[str, str]]:
    """Post balanced entries in two statements (the entries, then all their lines); returns
    the ``(kind, ref)`` of those posted now — one posted before is left as it was."""
    for e in entries:
        if sum(amount for _, amount in e.lines) != 0 or len(e.lines) < 2:
            raise Unbalanced(f"{e.kind} {e.ref}: lines {list(e.lines)} do not balance")
    if not entries:
        return set()
    upsert = pg_insert if uow.dialect == "postgresql" else sqlite_insert
    entries_table = table(LedgerEntry)
    rows = (
        await uow.session.execute(
            upsert(entries_table)
            .values(
                [
                    {
                        "at": e.at,
                        "kind": e.kind,
                        "ref": e.ref,
                        "organiser_id": e.organiser_id,
                        "currency": e.currency,
                        "memo": e.memo[:200],
                    }
                    for e in entries
                ]
            )
            .on_conflict_do_nothing(index_elements=["kind", "ref"])
            .returning(entries_table.c.id, entries_table.c.kind, entries_table.c.ref)
        )
    ).all()
    posted = {(kind, ref): entry_id for entry_id, kind, ref in rows}
    lines = [
        {"entry_id": posted[e.kind, e.ref], "account": account, "amount": amount}
        for e in entries
        if (e.kind, e.ref) in posted
        for account, amount in e.lines
    ]
    if lines:
        await uow.session.execute(insert(table(LedgerLine)), lines)
    return set(posted)


async def balances(uow: UnitOfWork, *, organiser_id: int | None = None) -> dict[str, int]:
    """Each account's balance (debits positive); over all accounts they sum to zero."""
    query = (
        select(LedgerLine.account, func.sum(LedgerLine.amount))
        .join(LedgerEntry, LedgerEntry.id == LedgerLine.entry_id)
        .group_by(LedgerLine.account)
        .order_by(LedgerLine.account)
    )
    if organiser_id is not None:
        query = query.where(LedgerEntry.organiser_id == organiser_id)
    return {account: int(total) for account, total in (await uow.session.execute(query)).all()}


async def unbalanced_entries(uow: UnitOfWork) -> list[int]:
    """Entries whose lines do not sum to zero (always empty unless the data was tampered)."""
    rows = await uow.session.scalars(
        select(LedgerLine.entry_id)
        .group_by(LedgerLine.entry_id)
        .having(func.sum(LedgerLine.amount) != 0)
    )
    return list(rows.all())


async def day_total(
    uow: UnitOfWork,
    *,
    organiser_id: int,
    account: str,
    start: datetime,
    end: datetime,
    kinds: Sequence[str] | None = None,
) -> int:
    """The movement of one account in ``[start, end)`` for one organiser (by entries of
    ``kinds`` only, when given: a bill counts captures and refunds, not settlements)."""
    query = (
        select(func.coalesce(func.sum(LedgerLine.amount), 0))
        .join(LedgerEntry, LedgerEntry.id == LedgerLine.entry_id)
        .where(
            LedgerEntry.organiser_id == organiser_id,
            LedgerLine.account == account,
            LedgerEntry.at >= start,
            LedgerEntry.at < end,
        )
    )
    if kinds is not None:
        query = query.where(LedgerEntry.kind.in_(kinds))
    return int(await uow.session.scalar(query) or 0)
