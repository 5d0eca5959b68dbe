"""A contract client's rep at work (S5, FE1; issue 19 item 2), under
``/admin/clients/{client_id}/contract``: record an offline payment, lock a quantity, lock
seats against it, match the client's holders to them and collect the tickets once every
holder is verified (a paid order for the client, ``contract_collect``).

``sales.sell`` reaches these routes globally or through a grant scoped to the client
(``client_rep`` @ ``client:<id>``); a rep of one client gets 403 on another's. A lock or a
seat of another client answers 404."""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, Query

from admit.channels import contract_collect, contract_holders, contract_locks, contract_payments
from admit.channels.contract_models import ContractLock
from admit.channels.contract_schemas import (
    CollectedTicketOut,
    ContractCollectedOut,
    ContractCollectIn,
    ContractHolderOut,
    ContractLockIn,
    ContractLockOut,
    ContractLockSeatOut,
    ContractPaymentIn,
    ContractPaymentOut,
    ContractSeatsIn,
    HolderMatchesIn,
    Id,
)
from admit.core.errors import InvalidInput
from admit.core.permissions import Permission, ScopeKind
from admit.core.uow import UnitOfWork
from admit.http.deps import Now, PrincipalDep, RuntimeDep, by_path, staff_reader, staff_writer

router = APIRouter(prefix="/admin/clients/{client_id}/contract", tags=["contract clients"])
OF_CLIENT = by_path("client_id", ScopeKind.CLIENT)
Rep = Annotated[UnitOfWork, staff_writer(Permission.SELL, scope=OF_CLIENT)]
RepReader = Annotated[UnitOfWork, staff_reader(Permission.SELL, scope=OF_CLIENT)]


async def lock_out(uow: UnitOfWork, locks: list[ContractLock]) -> list[ContractLockOut]:
    seats = await contract_locks.seats_of(uow, [lock.id for lock in locks])
    return [
        ContractLockOut(
            id=lock.id,
            client_id=lock.client_id,
            session_id=lock.session_id,
            price_level_id=lock.price_level_id,
            quantity=lock.quantity,
            seated=lock.seated,
            rep_id=lock.rep_id,
            created_at=lock.created_at,
            collected_at=lock.collected_at,
            seats=[
                ContractLockSeatOut(seat=s.seat_key, holder_id=s.holder_id) for s in seats[lock.id]
            ],
        )
        for lock in locks
    ]


@router.post("/payments", status_code=201)
async def record_contract_payment(
    client_id: int, body: ContractPaymentIn, uow: Rep, who: PrincipalDep, now: Now
) -> ContractPaymentOut:
    """Record the client's offline payment (a bank transfer: no gateway) with its reference;
    404 for a client or session that does not exist, 409 ``payment_already_recorded`` for a
    reference recorded before."""
    payment = await contract_payments.record_payment(
        uow,
        client_id=client_id,
        session_id=body.session_id,
        amount=body.amount,
        currency=body.currency,
        reference=body.reference,
        staff_id=who.staff_id,
        now=now,
    )
    return ContractPaymentOut.model_validate(payment, from_attributes=True)


@router.post("/locks", status_code=201)
async def lock_contract_quantity(
    client_id: int, body: ContractLockIn, uow: Rep, who: PrincipalDep, now: Now
) -> ContractLockOut:
    """Lock a quantity of a session's price level for the client: it takes from the client's
    quota, the contract total and the session's free seats at once (409
    ``no_contract_quota``, ``contract_quota_exceeded``, ``no_client_quota``,
    ``client_quota_exceeded``, ``session_unavailable``; nothing taken then)."""
    lock = await contract_locks.lock_quantity(
        uow,
        client_id=client_id,
        session_id=body.session_id,
        level=body.level,
        quantity=body.quantity,
        rep_id=who.staff_id,
        now=now,
    )
    return (await lock_out(uow, [lock]))[0]


@router.get("/locks")
async def contract_locks_of(
    client_id: int,
    uow: RepReader,
    session_id: Annotated[Id | None, Query(description="one session's locks")] = None,
) -> list[ContractLockOut]:
    """The client's locks, newest first (at most 500)."""
    locks = await contract_locks.locks_of(uow, client_id=client_id, session_id=session_id)
    return await lock_out(uow, locks)


@router.post("/locks/{lock_id}/seats")
async def lock_contract_seats(
    client_id: int, lock_id: int, body: ContractSeatsIn, uow: Rep, now: Now
) -> ContractLockOut:
    """Name seats against the lock's quantity: seats reserved for the client, of the lock's
    level, in no other lock (409 ``seats_not_lockable``); no more than the quantity (409
    ``lock_quantity_exceeded``); not once collected (409 ``lock_collected``)."""
    lock = await contract_locks.lock_seats(
        uow, client_id=client_id, lock_id=lock_id, seat_keys=body.seats, now=now
    )
    return (await lock_out(uow, [lock]))[0]


@router.post("/locks/{lock_id}/release")
async def release_contract_lock(
    client_id: int, lock_id: int, uow: Rep, now: Now
) -> ContractLockOut:
    """Give back what the lock has not seated: to the client's quota, the contract total and
    public sale; the lock keeps its seats (409 ``lock_collected`` once collected)."""
    lock = await contract_locks.release_unseated(uow, client_id=client_id, lock_id=lock_id, now=now)
    return (await lock_out(uow, [lock]))[0]


@router.put("/locks/{lock_id}/holders")
async def match_contract_holders(
    client_id: int, lock_id: int, body: HolderMatchesIn, uow: Rep, now: Now
) -> ContractLockOut:
    """Put the client's holders on seats of the lock (404 for a seat not in the lock or a
    holder not the client's; 409 ``holder_already_seated`` for a holder on another seat of
    the lock, ``lock_collected``)."""
    matches = {m.seat: m.holder_id for m in body.matches}
    if len(matches) != len(body.matches):
        raise InvalidInput("name each seat once", details={"field": "matches"})
    lock = await contract_holders.match_holders(
        uow, client_id=client_id, lock_id=lock_id, matches=matches, now=now
    )
    return (await lock_out(uow, [lock]))[0]


@router.post("/locks/{lock_id}/collect")
async def collect_contract_tickets(
    client_id: int,
    lock_id: int,
    uow: Rep,
    who: PrincipalDep,
    rt: RuntimeDep,
    now: Now,
    body: ContractCollectIn | None = None,
) -> ContractCollectedOut:
    """Collect the lock: its seats become one paid order for the client, each ticket issued
    to its seat's holder, paid from the client's offline payments for the session — all or
    nothing. Only when all its quantity is seated (409 ``lock_not_seated``), its seats are
    still reserved for the client (409 ``seats_taken``), every seat has a holder (409
    ``holder_missing``) and every holder is verified (409 ``holders_unverified``, naming the
    seats); the session has a ``client_rep`` sales window (409 ``no_contract_window``); the
    offline payments cover the order (409 ``offline_payments_short``); once (409
    ``lock_collected``). 400 for a ticket type the level has no price for."""
    done = await contract_collect.collect(
        uow,
        rt.crypto,
        client_id=client_id,
        lock_id=lock_id,
        ticket_type=(body or ContractCollectIn()).ticket_type,
        staff_id=who.staff_id,
        staff=who.username,
        now=now,
    )
    (lock,) = await lock_out(uow, [done.lock])
    return ContractCollectedOut(
        **lock.model_dump(),
        order_number=done.order.number,
        payment=done.payment.number,
        total=done.order.total,
        currency=done.order.currency,
        tickets=[
            CollectedTicketOut(
                seat=t.seat, label=t.label, code=t.code, holder_name=t.holder_name, qr=t.qr
            )
            for t in done.tickets
        ],
    )


@router.get("/holders")
async def contract_holders_of(client_id: int, uow: RepReader) -> list[ContractHolderOut]:
    """The client's holders (masked) and whether each is verified: what a rep matches."""
    rows = await contract_holders.holders_of(uow, client_id=client_id)
    return [ContractHolderOut.model_validate(row) for row in rows]
