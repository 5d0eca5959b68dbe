"""Reissuing a ticket under a new code (S7): when a thermal ticket may or may not have come out
of a printer, printing it again would put two admitting stubs in the world. Instead the old
code is retired (gates list it as revoked) and the same ticket row gets a new code and a QR
signed afresh with a bumped reprint number (QR payload version 2) — so exactly one valid code
exists at any time, and the ticket keeps its line, seat, holder and price."""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import func, select, update

from admit.core import audit
from admit.core.crypto import FieldCrypto
from admit.core.errors import Conflict, NotFound
from admit.core.uow import UnitOfWork
from admit.ticketing import qr_payload
from admit.ticketing.issue import new_code, signing_key
from admit.ticketing.models import RetiredCode, Ticket


class TicketNotValid(Conflict):
    code = "ticket_not_valid"


class TooManyReprints(Conflict):
    code = "too_many_reprints"


async def reprints(uow: UnitOfWork, ticket_id: int) -> int:
    """How many times the ticket was reissued (its QR's reprint number)."""
    count = await uow.session.scalar(
        select(func.count()).select_from(RetiredCode).where(RetiredCode.ticket_id == ticket_id)
    )
    return int(count or 0)


async def reissue(
    uow: UnitOfWork, crypto: FieldCrypto, *, ticket_id: int, reason: str, now: datetime
) -> Ticket:
    """Retire the ticket's code and give it a new one with a QR of the next reprint number.
    The ticket row is locked first, so two reissues of one ticket run one after the other
    (each retiring the code the other left). Only a valid ticket is reissued (409)."""
    ticket = await uow.session.scalar(
        select(Ticket)
        .where(Ticket.id == ticket_id)
        .with_for_update()
        .execution_options(populate_existing=True)
    )
    if ticket is None:
        raise NotFound(f"ticket {ticket_id} does not exist")
    if ticket.status != "valid":
        raise TicketNotValid(f"ticket {ticket.code} is {ticket.status}: it is not reissued")
    reprint = await reprints(uow, ticket.id) + 1
    if reprint > qr_payload.MAX_REPRINT:
        raise TooManyReprints(f"ticket {ticket.code} was reissued {reprint - 1} times")
    old = ticket.code
    uow.session.add(
        RetiredCode(
            code=old,
            ticket_id=ticket.id,
            session_id=ticket.session_id,
            reprint=reprint - 1,
            reason=reason,
            retired_at=now,
        )
    )
    await uow.session.flush()
    kid, private = await signing_key(uow, crypto, organiser_id=ticket.organiser_id, now=now)
    code = new_code()
    claims = qr_payload.TicketClaims(
        code=code,
        session_id=ticket.session_id,
        seat=ticket.seat_key or ticket.area_code or "",
        issued_at=int(now.timestamp()),
        kind="T" if ticket.product_id is None else "P",
        reprint=reprint,
    )
    qr = qr_payload.sign(claims, kid=kid, private_key=private)
    await uow.session.execute(
        update(Ticket).where(Ticket.id == ticket.id).values(code=code, kid=kid, qr=qr),
        execution_options={"synchronize_session": False},
    )
    await audit.record(
        uow,
        action="ticket.reissued",
        entity_type="ticket",
        entity_id=ticket.id,
        data={"old_code": old, "code": code, "reprint": reprint, "reason": reason},
        now=now,
    )
    await uow.session.refresh(ticket)
    return ticket
