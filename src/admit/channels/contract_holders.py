"""A contract client's ticket holders (RN2, U2; issue 19 item 2): imported in batch by the
client's account manager, matched to the seats of a lock by a rep, and the gate of
collection — a lock's tickets are collected only when every holder on it is verified.

An import is a CSV with a header: ``name,doc_type,number[,nationality][,visa_expires]``.
Each row is checked and filed in a SAVEPOINT of its own: a refused row writes nothing, the
accepted ones stay, and the answer reports every row (accepted with its holder id, refused
with a code and a reason). A document is filed once as an ``identity`` (``accounts``), so a
person verified before is verified here too (RN4); the name given must be the verified one."""

from __future__ import annotations

import csv
import io
from collections.abc import Mapping
from dataclasses import dataclass
from datetime import date, datetime
from typing import Any

from sqlalchemy import or_, select

from admit.accounts.documents import DocumentType
from admit.accounts.identities import DocumentIn, file_document
from admit.accounts.identity_models import Identity
from admit.channels.contract_locks import lock_row, open_lock
from admit.channels.contract_models import ContractHolder, ContractLock, ContractLockSeat
from admit.clients.directory import get_client
from admit.core import audit
from admit.core.crypto import FieldCrypto
from admit.core.errors import AdmitError, Conflict, InvalidInput, NotFound
from admit.core.uow import UnitOfWork
from admit.inventory.models import SessionSeat
from admit.inventory.rules import SeatStatus

MAX_ROWS = 5000
MAX_BYTES = 2 * 1024 * 1024
COLUMNS = ("name", "doc_type", "number", "nationality", "visa_expires")


class MalformedHolders(InvalidInput):
    code = "malformed_holders"


class HolderMissing(Conflict):
    code = "holder_missing"


class HoldersUnverified(Conflict):
    code = "holders_unverified"


class LockNotSeated(Conflict):
    code = "lock_not_seated"


class HolderAlreadySeated(Conflict):
    code = "holder_already_seated"


class SeatsTaken(Conflict):
    code = "seats_taken"


@dataclass(frozen=True, slots=True)
class RowOutcome:
    row: int  # 1 = the first line after the header
    holder_id: int | None = None
    code: str | None = None
    reason: str | None = None


def holder_verified(identity: Identity, claimed_name_lookup: str) -> bool:
    """Verified: the document is, under the name the client gave for the holder."""
    return identity.status == "verified" and identity.name_lookup == claimed_name_lookup


def holder_status(identity: Identity, claimed_name_lookup: str) -> str:
    if identity.status == "verified" and identity.name_lookup != claimed_name_lookup:
        return "rejected"
    return identity.status


def parse(data: bytes) -> list[dict[str, str]]:
    """The file's rows by column name. Raises ``MalformedHolders`` for a file that is not a
    UTF-8 CSV with the ``name``, ``doc_type`` and ``number`` columns, or too big."""
    if len(data) > MAX_BYTES:
        raise MalformedHolders(f"the file is larger than {MAX_BYTES} bytes")
    try:
        text = data.decode("utf-8-sig")
    except UnicodeDecodeError:
        raise MalformedHolders("the file is not UTF-8") from None
    reader = csv.DictReader(io.StringIO(text, newline=""))
    header = [h.strip() for h in (reader.fieldnames or [])]
    if missing := [c for c in COLUMNS[:3] if c not in header]:
        raise MalformedHolders("columns are missing", details={"columns": missing})
    if unknown := [c for c in header if c not in COLUMNS]:
        raise MalformedHolders("unknown columns", details={"columns": unknown})
    reader.fieldnames = header
    try:
        rows = [{k: (v or "").strip() for k, v in row.items() if k} for row in reader]
    except csv.Error as problem:
        raise MalformedHolders(f"not a CSV file: {problem}") from None
    if not rows:
        raise MalformedHolders("the file has no rows")
    if len(rows) > MAX_ROWS:
        raise MalformedHolders(f"at most {MAX_ROWS} rows a file")
    return rows


def _document(row: Mapping[str, str]) -> DocumentIn:
    try:
        doc_type = DocumentType(row.get("doc_type", ""))
    except ValueError:
        raise InvalidInput(
            f"doc_type is one of {', '.join(t.value for t in DocumentType)}"
        ) from None
    visa: date | None = None
    if row.get("visa_expires"):
        try:
            visa = date.fromisoformat(row["visa_expires"])
        except ValueError:
            raise InvalidInput("visa_expires is a date, YYYY-MM-DD") from None
    nationality = row.get("nationality") or ("CN" if doc_type is DocumentType.CN_ID else "")
    return DocumentIn(
        doc_type=doc_type,
        number=row.get("number", ""),
        name=row.get("name", ""),
        nationality=nationality.upper(),
        visa_expires=visa,
    )


async def import_holders(
    uow: UnitOfWork,
    crypto: FieldCrypto,
    *,
    client_id: int,
    data: bytes,
    staff_id: int,
    now: datetime,
) -> list[RowOutcome]:
    """Import the file's holders for the client, row by row (module docstring)."""
    await get_client(uow, client_id)
    outcomes: list[RowOutcome] = []
    for number, row in enumerate(parse(data), start=1):
        try:
            async with uow.session.begin_nested():
                holder = await _file(uow, crypto, client_id, row, staff_id, now)
        except AdmitError as refused:
            outcomes.append(RowOutcome(number, code=refused.code, reason=refused.message))
            continue
        outcomes.append(RowOutcome(number, holder_id=holder.id))
    await audit.record(
        uow,
        action="contract.holders_imported",
        entity_type="client",
        entity_id=client_id,
        data={
            "accepted": sum(o.holder_id is not None for o in outcomes),
            "refused": [o.row for o in outcomes if o.holder_id is None][:500],
        },
        now=now,
    )
    return outcomes


async def _file(
    uow: UnitOfWork,
    crypto: FieldCrypto,
    client_id: int,
    row: Mapping[str, str],
    staff_id: int,
    now: datetime,
) -> ContractHolder:
    identity, claimed = await file_document(uow, crypto, doc_in=_document(row), now=now)
    known = await uow.session.scalar(
        select(ContractHolder.id).where(
            ContractHolder.client_id == client_id, ContractHolder.identity_id == identity.id
        )
    )
    if known is not None:
        raise Conflict(f"the client already has this holder (holder {known})")
    holder = ContractHolder(
        client_id=client_id,
        identity_id=identity.id,
        claimed_name_lookup=claimed,
        claimed_name_enc=crypto.encrypt(row.get("name", "")),
        imported_by=staff_id,
        created_at=now,
    )
    uow.session.add(holder)
    await uow.session.flush()
    return holder


async def _not_reserved(uow: UnitOfWork, lock: ContractLock) -> list[str]:
    """Seats of the lock that left the client's reservation: an operator released it (an
    ordinary sale cannot take a lock's seat, not even for a buyer linked to the client:
    ``inventory.counts.free_seat``)."""
    rows = await uow.session.execute(
        select(ContractLockSeat.seat_key)
        .join(SessionSeat, SessionSeat.id == ContractLockSeat.session_seat_id)
        .where(
            ContractLockSeat.lock_id == lock.id,
            or_(
                SessionSeat.status != SeatStatus.RESERVED,
                SessionSeat.reserved_client_id.is_(None),
                SessionSeat.reserved_client_id != lock.client_id,
                SessionSeat.reserved_until.is_not(None),
            ),
        )
        .order_by(ContractLockSeat.seat_key)
    )
    return [str(key) for key in rows.scalars()]


async def holders_of(uow: UnitOfWork, *, client_id: int) -> list[dict[str, Any]]:
    """The client's holders, masked (document and name), with their verification status."""
    await get_client(uow, client_id)
    rows = await uow.session.execute(
        select(ContractHolder, Identity)
        .join(Identity, Identity.id == ContractHolder.identity_id)
        .where(ContractHolder.client_id == client_id)
        .order_by(ContractHolder.id)
        .limit(MAX_ROWS)
    )
    return [
        {
            "id": holder.id,
            "name": identity.name_masked,
            "document": identity.number_masked,
            "doc_type": identity.doc_type,
            "status": holder_status(identity, holder.claimed_name_lookup),
        }
        for holder, identity in rows
    ]


async def match_holders(
    uow: UnitOfWork, *, client_id: int, lock_id: int, matches: Mapping[str, int], now: datetime
) -> ContractLock:
    """Put a holder of the client on each named seat of the lock (replacing whoever was
    there); a holder is on one seat of a lock at most. Raises ``NotFound``, ``InvalidInput``,
    ``HolderAlreadySeated``, ``LockCollected``."""
    if len(set(matches.values())) != len(matches):
        raise InvalidInput("a holder goes on one seat", details={"field": "matches"})
    lock = await lock_row(uow, client_id=client_id, lock_id=lock_id)
    open_lock(lock)
    seats = {
        s.seat_key: s
        for s in await uow.session.scalars(
            select(ContractLockSeat).where(ContractLockSeat.lock_id == lock.id)
        )
    }
    if unknown := sorted(k for k in matches if k not in seats):
        raise NotFound("the lock has no such seats", details={"seats": unknown})
    known = set(
        await uow.session.scalars(
            select(ContractHolder.id).where(
                ContractHolder.client_id == client_id,
                ContractHolder.id.in_(sorted(matches.values())),
            )
        )
    )
    if missing := sorted(h for h in matches.values() if h not in known):
        raise NotFound("the client has no such holders", details={"holders": missing})
    elsewhere = sorted(
        key
        for key, seat in seats.items()
        if key not in matches and seat.holder_id in set(matches.values())
    )
    if elsewhere:
        raise HolderAlreadySeated(
            "a holder is already on another seat of the lock", details={"seats": elsewhere}
        )
    for key in sorted(matches):  # clear first: a swap of two holders is one request
        seats[key].holder_id = None
    await uow.session.flush()
    for key in sorted(matches):
        seats[key].holder_id = matches[key]
    await uow.session.flush()
    await audit.record(
        uow,
        action="contract.holders_matched",
        entity_type="contract_lock",
        entity_id=lock.id,
        data={"matches": dict(sorted(matches.items()))},
        now=now,
    )
    return lock


async def collectable(uow: UnitOfWork, lock: ContractLock) -> list[tuple[str, int]]:
    """The lock's seats and the identity of each one's holder, in seat order — when the lock
    (locked by the caller) may be collected (RN2): all its quantity is seated, its seats are
    still the client's, and every seat's holder is verified. Raises ``LockCollected``,
    ``LockNotSeated``, ``SeatsTaken``, ``HolderMissing``, ``HoldersUnverified`` (409, naming
    the seats)."""
    open_lock(lock)
    if lock.seated < lock.quantity:
        raise LockNotSeated(
            f"{lock.quantity - lock.seated} of the lock's {lock.quantity} have no seat yet",
            details={"quantity": lock.quantity, "seated": lock.seated},
        )
    rows = (
        await uow.session.execute(
            select(ContractLockSeat.seat_key, ContractHolder, Identity)
            .outerjoin(ContractHolder, ContractHolder.id == ContractLockSeat.holder_id)
            .outerjoin(Identity, Identity.id == ContractHolder.identity_id)
            .where(ContractLockSeat.lock_id == lock.id)
            .order_by(ContractLockSeat.seat_key)
        )
    ).all()
    if taken := await _not_reserved(uow, lock):
        raise SeatsTaken(
            "seats of the lock are no longer reserved for the client", details={"seats": taken}
        )
    if missing := [key for key, holder, _ in rows if holder is None]:
        raise HolderMissing("seats have no holder yet", details={"seats": missing})
    unverified = [
        key
        for key, holder, identity in rows
        if not holder_verified(identity, holder.claimed_name_lookup)
    ]
    if unverified:
        raise HoldersUnverified(
            "every holder must be verified before the tickets are collected",
            details={"seats": unverified},
        )
    return [(str(key), int(identity.id)) for key, _, identity in rows]
