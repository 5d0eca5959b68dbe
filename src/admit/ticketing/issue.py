"""Issuing tickets (G10, INV3, INV8): in the transaction that marks the order paid, one ticket
per order line with a platform-unique code and a QR payload signed with the organiser's
Ed25519 key (a pass's line: one ticket of QR kind "P", admitted at each session it covers).
Private keys are encrypted at rest; public keys go to gates."""

from __future__ import annotations

import base64
import secrets
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime

from sqlalchemy import insert, select, update

from admit.core import audit
from admit.core.crypto import FieldCrypto
from admit.core.db import table
from admit.core.errors import NotFound
from admit.core.short_cache import ShortCache, cache_of, forget_on_commit
from admit.core.uow import UnitOfWork
from admit.ticketing import qr_payload
from admit.ticketing.models import OrganiserKey, Ticket, TicketStatus

CODE_ALPHABET = "ABCDEFGHJKLMNPQRSTUVWXYZ23456789"  # no 0/O, 1/I: read aloud at a counter
SIGNING_KEYS = "signing_keys"  # organiser → (kid, private key), per process
CODE_LENGTH = 12  # 32**12 ≈ 1.2e18 codes: a collision is left to the unique constraint


@dataclass(frozen=True, slots=True)
class LineToIssue:
    line_id: int
    seat_key: str | None
    area_code: str | None
    label: str
    ticket_type: str
    amount: int
    holder_name: str | None
    holder_key: str | None
    product_id: int | None = None  # a pass's line: one ticket for every session it covers


def new_code() -> str:
    return "".join(secrets.choice(CODE_ALPHABET) for _ in range(CODE_LENGTH))


async def create_key(
    uow: UnitOfWork, crypto: FieldCrypto, *, organiser_id: int, now: datetime
) -> OrganiserKey:
    """A new signing key for the organiser; older keys stay valid for tickets they signed."""
    private, public = qr_payload.generate_key()
    key = OrganiserKey(
        organiser_id=organiser_id,
        kid=f"{organiser_id}-{secrets.token_hex(3)}",
        public_key=public,
        private_key_enc=crypto.encrypt(base64.b64encode(private).decode()),
        created_at=now,
    )
    uow.session.add(key)
    await uow.session.flush()
    forget_on_commit(uow, SIGNING_KEYS)
    await audit.record(
        uow,
        action="ticket_key.created",
        entity_type="ticket_signing_key",
        entity_id=key.id,
        data={"organiser_id": organiser_id, "kid": key.kid},
        now=now,
    )
    return key


async def retire_key(uow: UnitOfWork, *, kid: str, now: datetime) -> None:
    """Stop signing with a key (its tickets still verify: gates keep the public key)."""
    done = await uow.session.execute(
        update(OrganiserKey).where(OrganiserKey.kid == kid).values(active=False),
        execution_options={"synchronize_session": False},
    )
    if not done.rowcount:  # type: ignore[attr-defined]
        raise NotFound(f"no signing key {kid!r}")
    forget_on_commit(uow, SIGNING_KEYS)
    await audit.record(
        uow,
        action="ticket_key.retired",
        entity_type="ticket_signing_key",
        entity_id=kid,
        data={},
        now=now,
    )


async def signing_key(
    uow: UnitOfWork, crypto: FieldCrypto, *, organiser_id: int, now: datetime
) -> tuple[str, bytes]:
    """The organiser's newest active key (kid, raw private key), made on first use; kept a
    minute per process (cleared here when a key is made or retired; another process may sign
    with a just-retired key for that minute, whose tickets still verify)."""
    cache: ShortCache[int, tuple[str, bytes]] = cache_of(uow.caches, SIGNING_KEYS, 60.0)
    if (found := cache.get(organiser_id)) is not None:
        return found
    generation: int | None = cache.generation
    key = await uow.session.scalar(
        select(OrganiserKey)
        .where(OrganiserKey.organiser_id == organiser_id, OrganiserKey.active.is_(True))
        .order_by(OrganiserKey.id.desc())
        .limit(1)
    )
    if key is None:
        key = await create_key(uow, crypto, organiser_id=organiser_id, now=now)
        generation = None  # not kept until its transaction has committed
    found = key.kid, base64.b64decode(crypto.decrypt(key.private_key_enc))
    if generation is not None:
        cache.put(organiser_id, found, generation)
    return found


async def public_keys(uow: UnitOfWork, *, organiser_id: int | None = None) -> list[OrganiserKey]:
    query = select(OrganiserKey).order_by(OrganiserKey.id)
    if organiser_id is not None:
        query = query.where(OrganiserKey.organiser_id == organiser_id)
    return list((await uow.session.scalars(query)).all())


@dataclass(frozen=True, slots=True)
class OrderToIssue:
    order_number: str
    organiser_id: int
    session_id: int
    lines: Sequence[LineToIssue]


@dataclass(frozen=True, slots=True)
class Issued:
    order_number: str
    label: str
    code: str


async def issue_tickets(
    uow: UnitOfWork, crypto: FieldCrypto, orders: Sequence[OrderToIssue], *, now: datetime
) -> list[Issued]:
    """One signed ticket per line of orders that turned paid in the caller's transaction (so
    none of their lines has a ticket yet: a line's ticket is unique), in one statement."""
    rows: list[dict[str, object]] = []
    issued: list[Issued] = []
    for order in orders:
        kid, private = await signing_key(uow, crypto, organiser_id=order.organiser_id, now=now)
        for line in order.lines:
            code = new_code()
            claims = qr_payload.TicketClaims(
                code=code,
                session_id=order.session_id,
                seat=line.seat_key or line.area_code or "",
                issued_at=int(now.timestamp()),
                kind="T" if line.product_id is None else "P",
            )
            rows.append(
                {
                    "code": code,
                    "order_number": order.order_number,
                    "line_id": line.line_id,
                    "session_id": order.session_id,
                    "organiser_id": order.organiser_id,
                    "seat_key": line.seat_key,
                    "area_code": line.area_code,
                    "label": line.label,
                    "ticket_type": line.ticket_type,
                    "amount": line.amount,
                    "holder_name": line.holder_name,
                    "holder_key": line.holder_key,
                    "kid": kid,
                    "qr": qr_payload.sign(claims, kid=kid, private_key=private),
                    "issued_at": now,
                    "product_id": line.product_id,
                }
            )
            issued.append(Issued(order.order_number, line.label, code))
    if rows:
        await uow.session.execute(insert(table(Ticket)), rows)
    return issued


async def tickets_of(uow: UnitOfWork, order_number: str) -> list[Ticket]:
    rows = await uow.session.scalars(
        select(Ticket).where(Ticket.order_number == order_number).order_by(Ticket.id)
    )
    return list(rows.all())


async def set_status(uow: UnitOfWork, order_number: str, status: TicketStatus) -> None:
    """Void or refund an order's tickets (a gate refuses them after its next manifest)."""
    await uow.session.execute(
        update(Ticket).where(Ticket.order_number == order_number).values(status=status),
        execution_options={"synchronize_session": False},
    )


async def set_tickets_status(
    uow: UnitOfWork, ticket_ids: Sequence[int], status: TicketStatus
) -> None:
    """Void or refund some tickets of an order (the next gate manifest refuses them)."""
    await uow.session.execute(
        update(Ticket).where(Ticket.id.in_(list(ticket_ids))).values(status=status),
        execution_options={"synchronize_session": False},
    )
