"""An order in one statement on PostgreSQL (issue 17): ``admit_order(…)``, the SQL function of
migration 0024, does what ``sales.orders.place_order`` does in about nine statements — lock
the hold, find a replay by idempotency key or the hold's own order, match the lines with what
the hold has, price them, insert the order and its lines — and answers with the order and its
lines, so no ORM object is built. Sent with ``UnitOfWork.call`` on the unit of work's
connection (SQLAlchemy has begun the transaction: the lazy-BEGIN trap of the design guide).

It answers ``refused`` for anything it does not accept, having written nothing; the caller
then runs ``place_order``'s statements in the same transaction, which explain the refusal
with their usual errors and details. Lines that name ticket holders (real-name) are not sent
to it (``fits``)."""

from __future__ import annotations

from collections.abc import Sequence
from datetime import datetime
from typing import Any

from admit.core.uow import UnitOfWork
from admit.sales.order_views import LineInput, LineView, OrderView

CALL = "SELECT * FROM admit_order($1, $2, $3, $4, $5, $6, $7, $8)"


def fits(uow: UnitOfWork, lines: Sequence[LineInput]) -> bool:
    """Whether this order can be the one statement: PostgreSQL, and no line names a holder."""
    return uow.dialect == "postgresql" and all(line.holder is None for line in lines)


async def order_once(
    uow: UnitOfWork,
    *,
    hold_id: int,
    buyer: str,
    lines: Sequence[LineInput],
    idempotency_key: str,
    number: str,
    now: datetime,
) -> OrderView | None:
    """The order placed (or the one placed before under this key); ``None`` when refused."""
    args = (
        hold_id,
        buyer,
        idempotency_key,
        number,
        now,
        [line.seat for line in lines],
        [line.area for line in lines],
        [line.ticket_type for line in lines],
    )
    row = (await uow.call(CALL, args)).one()
    return None if row[0] == "refused" else view(row)


def view(row: Any) -> OrderView:
    (_, _, number, session_id, status, total, currency, pay_by, paid_at, pickup) = row[:10]
    seats, areas, types, amounts, holders = row[10:]
    return OrderView(
        number,
        session_id,
        status,
        total,
        currency,
        pay_by,
        paid_at,
        pickup,
        tuple(LineView(*line) for line in zip(seats, areas, types, amounts, holders, strict=True)),
    )
