"""Offline payments of contract clients (S5, issue 19 item 2): a client pays by bank transfer
outside any gateway; its rep records the amount and the transfer's reference. The payment is
a row of its own (a reference once per client: 409 ``payment_already_recorded``) and one
ledger entry moving the amount from ``offline:client:<id>`` (money received outside the
gateways, to be matched with the bank statement) to the session's organiser's payable — the
same shape as a counter's cash (``cash:<outlet>``)."""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import select

from admit.catalog.models import Event, Session
from admit.channels.contract_models import ContractPayment
from admit.clients.directory import get_client
from admit.core import audit
from admit.core.errors import Conflict, InvalidInput, NotFound
from admit.core.uow import UnitOfWork
from admit.finance import ledger

MAX_AMOUNT = 10_000_000_000  # 100 million yuan in fen


class PaymentAlreadyRecorded(Conflict):
    code = "payment_already_recorded"


def payer(client_id: int) -> str:
    """The client as an offline payment's payer: its collected orders' payments name it as
    their outlet (``channels.contract_collect``)."""
    return f"client:{client_id}"


def offline_account(client_id: int) -> str:
    return ledger.offline_account(payer(client_id))


async def record_payment(
    uow: UnitOfWork,
    *,
    client_id: int,
    session_id: int,
    amount: int,
    currency: str,
    reference: str,
    staff_id: int,
    now: datetime,
) -> ContractPayment:
    """Record the client's offline payment for a session. Raises ``NotFound``,
    ``InvalidInput``, ``PaymentAlreadyRecorded``."""
    reference = " ".join(reference.split())
    if not reference:
        raise InvalidInput(
            "a payment needs the transfer's reference", details={"field": "reference"}
        )
    if not 1 <= amount <= MAX_AMOUNT:
        raise InvalidInput("an amount is positive, in fen", details={"field": "amount"})
    await get_client(uow, client_id)
    organiser_id = await uow.session.scalar(
        select(Event.organiser_id)
        .join(Session, Session.event_id == Event.id)
        .where(Session.id == session_id)
    )
    if organiser_id is None:
        raise NotFound(f"session {session_id} does not exist")
    taken = await uow.session.scalar(
        select(ContractPayment.id).where(
            ContractPayment.client_id == client_id, ContractPayment.reference == reference
        )
    )
    if taken is not None:
        raise PaymentAlreadyRecorded(
            f"reference {reference!r} is recorded (payment {taken})", details={"payment_id": taken}
        )
    payment = ContractPayment(
        client_id=client_id,
        session_id=session_id,
        amount=amount,
        currency=currency,
        reference=reference,
        recorded_by=staff_id,
        recorded_at=now,
    )
    uow.session.add(payment)
    await uow.session.flush()
    await ledger.post(
        uow,
        kind="contract_payment",
        ref=str(payment.id),
        organiser_id=organiser_id,
        currency=currency,
        lines=[
            (offline_account(client_id), amount),
            (ledger.payable_account(organiser_id), -amount),
        ],
        at=now,
        memo=f"client {client_id} offline payment {reference}",
    )
    await audit.record(
        uow,
        action="contract.payment_recorded",
        entity_type="client",
        entity_id=client_id,
        data={"payment_id": payment.id, "session_id": session_id, "amount": amount},
        now=now,
    )
    return payment
