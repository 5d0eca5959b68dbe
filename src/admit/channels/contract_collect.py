"""Collecting a contract lock (S5, RN2; issue 19 item 2): once every holder on the lock's seats
is verified, its seats become one paid order for the client, in ONE transaction, through the
sale machinery every channel uses — a hold, an order (one line per seat, its holder named:
``orders.place_order``), a payment captured (``settlement.capture``: the order paid, the
seats sold, the tickets issued with the holders' names by ``ticketing.issue``).

- **The window.** A hold and an order live in a sales window: the session's ``client_rep``
  window (409 ``no_contract_window`` without one). Only its terms are used — the payment
  time and the per-person limit, which counts per holder's document as on any real-name
  sale; neither its hours nor its switch nor its quotas (the contract quotas took the seats).
  The client's buyer, ``client:<id>``, has no per-person limit: its quota is its limit.
- **The seats.** The lock's seats, reserved for the client with no end, are held by the
  hold in one conditional ``UPDATE`` (a seat that left the client: 409 ``seats_taken``),
  their reservation cleared: sold, they are no longer the client's (a refund puts a seat
  back on public sale).
- **The money.** The client paid by bank transfer beforehand (``contract_payments``: an
  entry from ``offline:client:<id>`` to the organiser's payable). The order is paid by a
  payment of method ``offline`` against that money: refused with 409
  ``offline_payments_short`` when the client's offline payments for the session, less what
  its collected orders took of them, do not cover the order. The client's row is locked
  first, so two collections for one client are checked one after the other. The capture
  posts its usual entry (``offline:client:<id>`` → payable) and an ``contract_applied``
  entry of the same payment posts it back (payable → ``offline:client:<id>``): the money was
  counted once, when it was recorded, and every captured payment still has its capture in
  the ledger (``sales.consistency``).

Lock order: the lock's row, the client's row, the plan, the seats, then what a hold, an
order and a capture take (buyer counter, hold, order, holder counters)."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime, timedelta

from sqlalchemy import func, select, update

from admit.accounts.eligibility import verified_identities
from admit.channels.contract_holders import SeatsTaken, collectable
from admit.channels.contract_locks import lock_row
from admit.channels.contract_models import ContractLock, ContractLockSeat, ContractPayment
from admit.channels.contract_payments import offline_account, payer
from admit.clients.models import Client
from admit.core import audit
from admit.core.crypto import FieldCrypto
from admit.core.errors import Conflict
from admit.core.uow import UnitOfWork
from admit.finance import ledger
from admit.inventory.models import SessionSeat
from admit.inventory.plans import get_plan
from admit.inventory.rules import SeatStatus
from admit.payments.models import Payment
from admit.sales import orders
from admit.sales.checkout import open_payment
from admit.sales.limits import take_buyer_usage
from admit.sales.models import Hold, Order, SalesWindow
from admit.sales.order_views import LineInput
from admit.sales.settlement import capture
from admit.ticketing.issue import tickets_of

CHANNEL = "client_rep"
METHOD = "offline"
NO_LIMIT = 2**31 - 1  # the client's buyer: its contract quota bounds it, not a per-person limit


class NoContractWindow(Conflict):
    code = "no_contract_window"


class OfflinePaymentsShort(Conflict):
    code = "offline_payments_short"


@dataclass(frozen=True, slots=True)
class IssuedTicket:
    seat: str | None
    label: str
    code: str
    holder_name: str | None
    qr: str


@dataclass(frozen=True, slots=True)
class Collected:
    lock: ContractLock
    order: Order
    payment: Payment
    tickets: list[IssuedTicket]


def buyer_of(client_id: int) -> str:
    """The buyer of a client's collected orders."""
    return f"client:{client_id}"


def retry_key(lock_id: int) -> str:
    return f"contract-lock:{lock_id}"


async def collect(
    uow: UnitOfWork,
    crypto: FieldCrypto,
    *,
    client_id: int,
    lock_id: int,
    ticket_type: str,
    staff_id: int,
    staff: str,
    now: datetime,
) -> Collected:
    """Collect the lock (module docstring): its order paid and its tickets issued. Raises
    ``NotFound``; the 409s of ``contract_holders.collectable``, ``NoContractWindow``,
    ``OfflinePaymentsShort``, what an order raises (``InvalidInput`` for a ticket type the
    level has no price for, ``LimitExceeded`` for a holder past the window's limit)."""
    lock = await lock_row(uow, client_id=client_id, lock_id=lock_id)
    seated = await collectable(uow, lock)
    await uow.session.execute(select(Client.id).where(Client.id == client_id).with_for_update())
    window = await uow.session.scalar(
        select(SalesWindow).where(
            SalesWindow.session_id == lock.session_id, SalesWindow.channel == CHANNEL
        )
    )
    if window is None:
        raise NoContractWindow(
            f"the session has no {CHANNEL} sales window: a contract sale takes its terms"
        )
    buyer = buyer_of(client_id)
    hold = await _hold(uow, lock, window, buyer, now)
    holders = await verified_identities(uow, identity_ids=[i for _, i in seated])
    order = await orders.place_order(
        uow,
        hold_id=hold.id,
        buyer=buyer,
        lines=[LineInput(ticket_type=ticket_type, seat=key) for key, _ in seated],
        idempotency_key=retry_key(lock.id),
        now=now,
        named=list(holders),
    )
    await _check_covered(uow, client_id, order)
    payment = await open_payment(
        uow,
        order_number=order.number,
        buyer=buyer,
        method=METHOD,
        now=now,
        staff=staff,
        outlet=payer(client_id),
        trade_no=retry_key(lock.id),
    )
    await ledger.post(
        uow,
        kind="contract_applied",
        ref=payment.number,
        organiser_id=payment.organiser_id,
        currency=payment.currency,
        lines=[
            (ledger.payable_account(payment.organiser_id), payment.amount),
            (offline_account(client_id), -payment.amount),
        ],
        at=now,
        memo=f"order {order.number}: client {client_id}'s offline payments, counted already",
    )
    outcome = await capture(uow, crypto, payment, now)
    if outcome != "paid":  # e.g. a holder's limit passed meanwhile: nothing stays written
        raise Conflict(f"the order could not be paid ({outcome})", details={"outcome": outcome})
    lock.collected_at, lock.collected_by = now, staff_id
    await uow.session.flush()
    await audit.record(
        uow,
        action="contract.collected",
        entity_type="contract_lock",
        entity_id=lock.id,
        data={
            "client_id": client_id,
            "order": order.number,
            "payment": payment.number,
            "seats": [key for key, _ in seated],
        },
        now=now,
    )
    tickets = [
        IssuedTicket(t.seat_key, t.label, t.code, t.holder_name, t.qr)
        for t in await tickets_of(uow, order.number)
    ]
    return Collected(lock, order, payment, tickets)


async def _hold(
    uow: UnitOfWork, lock: ContractLock, window: SalesWindow, buyer: str, now: datetime
) -> Hold:
    """The client's hold of the lock's seats (their reservation cleared), counted on the
    client's buyer counter. Raises ``SeatsTaken`` when a seat is no longer the client's."""
    hold = Hold(
        session_id=lock.session_id,
        window_id=window.id,
        buyer=buyer,
        channel=CHANNEL,
        quantity=lock.seated,
        idempotency_key=retry_key(lock.id),
        status="active",
        created_at=now,
        expires_at=now + timedelta(minutes=window.payment_minutes),
    )
    uow.session.add(hold)
    await uow.session.flush()
    await take_buyer_usage(uow, lock.session_id, buyer, lock.seated, NO_LIMIT)
    plan = await get_plan(uow, lock.session_id, lock=True)
    held = await uow.session.execute(
        update(SessionSeat)
        .where(
            SessionSeat.id.in_(
                select(ContractLockSeat.session_seat_id).where(ContractLockSeat.lock_id == lock.id)
            ),
            SessionSeat.status == SeatStatus.RESERVED,
            SessionSeat.reserved_client_id == lock.client_id,
            SessionSeat.reserved_until.is_(None),
        )
        .values(
            status=SeatStatus.HELD,
            hold_id=hold.id,
            hold_expires_at=hold.expires_at,
            reserved_client_id=None,
            reserved_group_id=None,
        ),
        execution_options={"synchronize_session": False},
    )
    if held.rowcount != lock.seated:  # type: ignore[attr-defined]
        raise SeatsTaken("seats of the lock are no longer reserved for the client")
    plan.version += 1
    return hold


async def _check_covered(uow: UnitOfWork, client_id: int, order: Order) -> None:
    """The client's offline payments for the order's session, less what its collected orders
    took of them, cover the order. Raises ``OfflinePaymentsShort``."""
    paid = await uow.session.scalar(
        select(func.coalesce(func.sum(ContractPayment.amount), 0)).where(
            ContractPayment.client_id == client_id,
            ContractPayment.session_id == order.session_id,
            ContractPayment.currency == order.currency,
        )
    )
    spent = await uow.session.scalar(
        select(func.coalesce(func.sum(Payment.amount), 0))
        .join(Order, Order.number == Payment.order_number)
        .where(
            Payment.method == METHOD,
            Payment.outlet == payer(client_id),
            Payment.status == "captured",
            Payment.currency == order.currency,
            Order.session_id == order.session_id,
        )
    )
    left = int(paid or 0) - int(spent or 0)
    if order.total > left:
        raise OfflinePaymentsShort(
            f"the client's offline payments for the session leave {left}; {order.total} is due",
            details={"due": order.total, "available": left, "currency": order.currency},
        )
