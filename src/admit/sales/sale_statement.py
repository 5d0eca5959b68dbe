"""Selling a batch of holds in two statements on PostgreSQL (issue 17): ``admit_sell(…)`` and
``admit_sell_slices(…)``, the SQL functions of migration 0027, do the state changes of
``sales.selling.sell_many`` — buyer counters, seats, holds, orders with their pickup codes;
then, last, the counter slices — in the same lock order, where the statements took seven
round trips or more. Sent with ``UnitOfWork.call`` on the unit of work's connection (the
transaction has begun: the lazy-BEGIN trap of the design guide)."""

from __future__ import annotations

from collections.abc import Sequence
from datetime import datetime

from admit.core.uow import UnitOfWork
from admit.sales.pickup_codes import ATTEMPTS, new_codes

SELL = "SELECT admit_sell($1, $2, $3, $4, $5)"
SELL_SLICES = "SELECT admit_sell_slices($1)"


def fits(uow: UnitOfWork) -> bool:
    return uow.dialect == "postgresql"


async def sell_once(
    uow: UnitOfWork,
    holds: Sequence[int],
    orders: Sequence[int],
    payments: Sequence[str],
    now: datetime,
) -> list[str]:
    """The holds' seats sold to their orders (aligned lists, in hold order), the orders paid
    by their payments; returns the pickup codes drawn, in the same order."""
    for _ in range(ATTEMPTS):
        codes = new_codes(len(orders))
        args = (list(holds), list(orders), list(payments), codes, now)
        if (await uow.call(SELL, args)).scalar():
            return codes
    raise RuntimeError(f"no unused pickup codes in {ATTEMPTS} tries: is the generator random?")


async def sell_slices_once(uow: UnitOfWork, holds: Sequence[int]) -> None:
    await uow.call(SELL_SLICES, (list(holds),))
