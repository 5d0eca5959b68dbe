"""Holds end in one statement on PostgreSQL (issue 17): ``admit_end_holds(…)`` and
``admit_release(…)``, the SQL functions of migration 0026, do what ``sales.hold_endings``
does in about six statements for holds without an unpaid order — buyer counters, seats, the
holds' status, the counter slices — in the same lock order. Sent with ``exec_driver_sql`` on
the unit of work's connection (the transaction has begun: the lazy-BEGIN trap of the design
guide). What they leave (a hold with an unpaid order, a hold that is not the buyer's) has
written nothing, and the caller takes ``hold_endings``' statements."""

from __future__ import annotations

from collections.abc import Sequence
from datetime import datetime
from typing import Any

from admit.core.uow import UnitOfWork
from admit.sales.hold_requests import HoldSummary

END = "SELECT admit_end_holds($1, $2, $3)"
RELEASE = "SELECT * FROM admit_release($1, $2, $3)"


def fits(uow: UnitOfWork) -> bool:
    return uow.dialect == "postgresql"


async def end_once(uow: UnitOfWork, hold_ids: Sequence[int], status: str, now: datetime) -> bool:
    """End the holds (locked by the caller, active); ``False`` (nothing written) when one of
    them has an unpaid order."""
    return bool((await uow.call(END, (list(hold_ids), status, now))).scalar())


async def release_once(
    uow: UnitOfWork, *, hold_id: int, buyer: str, now: datetime
) -> tuple[bool, HoldSummary] | None:
    """The buyer's hold released if it was active — (whether it ended now, the hold as it
    stands) — or ``None`` (nothing written) when it is not the buyer's or has an unpaid
    order."""
    row: Any = (await uow.call(RELEASE, (hold_id, buyer, now))).one()
    status, hold, session_id, state, quantity, expires_at = row
    if status == "refused":
        return None
    return status == "ended", HoldSummary(hold, session_id, buyer, state, quantity, expires_at)
