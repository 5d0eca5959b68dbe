"""Sessions whose seats another system owns (C2: a partner cinema's box office), as the sale
sees them. The hold path, settlement, the windows and the consistency check ask this interface
at the points where such a session leaves the platform's own sale; the ``partners`` slice
implements it (``partners.sale_hooks``) and the composition root (``wiring``) installs it.
Until one is installed every session is the platform's own: nothing here imports a partner.

The installed implementation is process-wide, like the outbox's job handlers: it keeps no
state of its own (what it knows per process lives in the unit of work's caches)."""

from __future__ import annotations

from collections.abc import Set
from datetime import datetime
from typing import Any, Protocol

from admit.core.audit_context import Actor
from admit.core.runtime import Runtime
from admit.core.uow import UnitOfWork
from admit.sales.hold_requests import HoldRequest
from admit.sales.models import Hold, Order


class OutsideInventory(Protocol):
    def known(self, caches: dict[str, Any], session_id: int) -> bool | None:
        """Whether the session is sold from outside, if this process has seen it (no I/O)."""
        ...

    async def remember(self, caches: dict[str, Any], uow: UnitOfWork, session_id: int) -> bool:
        """Look the session up in the caller's transaction and keep the answer."""
        ...

    async def place_hold(self, rt: Runtime, actor: Actor, req: HoldRequest) -> int:
        """Hold seats of an outside session (the outside system locks them first, with no
        transaction open); returns the hold's id."""
        ...

    async def check_channel(self, uow: UnitOfWork, session_id: int, channel: str) -> None:
        """Raise ``InvalidInput`` when the session may not be sold through ``channel``."""
        ...

    async def hold_ended(self, uow: UnitOfWork, hold_id: int, now: datetime) -> None:
        """A hold gave its seats back: what the outside system holds for it is let go."""
        ...

    async def hand_over(
        self, uow: UnitOfWork, *, order: Order, hold: Hold, payment: str, now: datetime
    ) -> bool:
        """The order's payment was captured: True when the outside system confirms the sale
        first (the order waits), False when the platform sells it now."""
        ...

    async def refuse_late(self, uow: UnitOfWork, hold_id: int) -> None:
        """Raise ``Conflict`` when a late payment's seats cannot be taken again here."""
        ...

    async def refund_order(self, rt: Runtime, order_number: str) -> None:
        """Refund a paid order at the outside system before its money goes back (no
        transaction open; idempotent). Raises when it refuses or does not answer."""
        ...

    async def settling_payments(self, uow: UnitOfWork) -> Set[str]:
        """Captured payments whose orders wait for the outside system's confirmation."""
        ...

    async def problems(self, uow: UnitOfWork) -> list[str]:
        """Breaches of the selling invariants between the outside system's state and ours."""
        ...


class OwnInventory:
    """Every session is the platform's own: nothing is handed outside."""

    def known(self, caches: dict[str, Any], session_id: int) -> bool | None:
        return False

    async def remember(self, caches: dict[str, Any], uow: UnitOfWork, session_id: int) -> bool:
        return False

    async def place_hold(self, rt: Runtime, actor: Actor, req: HoldRequest) -> int:
        raise RuntimeError("no outside inventory is installed (admit.wiring installs it)")

    async def check_channel(self, uow: UnitOfWork, session_id: int, channel: str) -> None:
        return None

    async def hold_ended(self, uow: UnitOfWork, hold_id: int, now: datetime) -> None:
        return None

    async def hand_over(
        self, uow: UnitOfWork, *, order: Order, hold: Hold, payment: str, now: datetime
    ) -> bool:
        return False

    async def refuse_late(self, uow: UnitOfWork, hold_id: int) -> None:
        return None

    async def refund_order(self, rt: Runtime, order_number: str) -> None:
        return None

    async def settling_payments(self, uow: UnitOfWork) -> Set[str]:
        return frozenset()

    async def problems(self, uow: UnitOfWork) -> list[str]:
        return []


_installed: list[OutsideInventory] = [OwnInventory()]


def install(inventory: OutsideInventory) -> None:
    """Make ``inventory`` the one the sale asks (the composition root's choice)."""
    _installed[0] = inventory


def outside() -> OutsideInventory:
    return _installed[0]


async def sold_outside(uow: UnitOfWork, session_id: int) -> bool:
    """Whether the session's seats are another system's: from the process's memory, or
    looked up once in the caller's transaction."""
    known = outside().known(uow.caches, session_id)
    return known if known is not None else await outside().remember(uow.caches, uow, session_id)
