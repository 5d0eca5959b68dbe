"""A partner cinema's order refunded at its box office (RefundTicket) before the platform
gives the money back (S11): the cinema owns the seats, so it must agree first. Called by the
sale's refund job with no transaction open; idempotent at the cinema and here."""

from __future__ import annotations

from sqlalchemy import select, update

from admit.core import audit
from admit.core.audit_context import SYSTEM
from admit.core.errors import NotFound
from admit.core.runtime import Runtime
from admit.partners.box_office import BoxOffices
from admit.partners.models import PartnerCinema, PartnerLock


async def refund_at_cinema(rt: Runtime, order_number: str) -> None:
    """Refund the order at its cinema and mark its lock ``refunded``. Raises ``NotFound``
    (no confirmed partner order) and the box office's errors (the job retries)."""
    async with rt.uow(SYSTEM, readonly=True) as uow:
        row = (
            await uow.session.execute(
                select(PartnerLock.id, PartnerLock.status, PartnerCinema.system, PartnerCinema.code)
                .join(PartnerCinema, PartnerCinema.id == PartnerLock.cinema_id)
                .where(PartnerLock.order_number == order_number)
            )
        ).first()
    if row is None or row.status not in ("confirmed", "refunded"):
        raise NotFound(f"order {order_number} has no confirmed partner order")
    if row.status == "refunded":
        return
    state = await rt.adapter(BoxOffices).get(row.system).refund(row.code, order_no=order_number)
    now = rt.clock.now()
    async with rt.uow(SYSTEM) as uow:
        await uow.session.execute(
            update(PartnerLock)
            .where(PartnerLock.id == row.id, PartnerLock.status == "confirmed")
            .values(status="refunded", ended_at=now),
            execution_options={"synchronize_session": False},
        )
        await audit.record(
            uow,
            action="partner.order_refunded",
            entity_type="partner_lock",
            entity_id=row.id,
            data={"order": order_number, "cinema": row.code, "status": state.status},
            now=now,
        )
