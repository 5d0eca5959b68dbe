"""Whether a counter's outlet may act now: the interface accounts asks before a clerk opens an
account or files a document at an outlet. Outlets are the sale's (``sales.counter_gate``
implements this and ``wiring.py`` registers it), and accounts sits below the sale, so it asks
through this interface instead of reading the sale's tables."""

from __future__ import annotations

from typing import Protocol

from admit.core.uow import UnitOfWork


class OutletSwitch(Protocol):
    async def refuse_if_closed(self, uow: UnitOfWork, outlet: str | None) -> None:
        """Raises ``OutletDisabled`` (409 ``outlet_disabled``) when ``outlet`` is switched
        off; ``None`` (a globally granted clerk at no outlet) passes."""
        ...
