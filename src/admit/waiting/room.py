"""The waiting room of an on-sale: join the queue, the opening draw, where a buyer stands, and
the admission every public hold of the session must show (see ``waiting.rules``).

Only a signed-in customer joins, once per room and once per device: joining again answers the
same entry, so many joins are no more chances in the draw than one. The queue token and the
admission name that customer; another account cannot use them. Arrivals before the opening get
no place; the first arrival or status check after it runs the draw once, under the room's row
lock, numbering them in the order of their secret random draw. After that each arrival takes
the next place with one conditional counter update."""

from __future__ import annotations

import secrets
from dataclasses import dataclass
from datetime import datetime, timedelta

from sqlalchemy import func, or_, select, update
from sqlalchemy.dialects.postgresql import insert as pg_insert
from sqlalchemy.dialects.sqlite import insert as sqlite_insert

from admit.core.crypto import FieldCrypto
from admit.core.errors import Conflict, Forbidden, InvalidInput, NotFound
from admit.core.short_cache import SALE_CONFIG, ShortCache, cache_of, forget_on_commit
from admit.core.uow import UnitOfWork
from admit.waiting import rules as queue_rules
from admit.waiting.models import QueueEntry, WaitingRoom
from admit.waiting.rules import Admission, QueueTicket, Room, Signer, Standing

SIGNATURE_CHARS = 32


class AdmissionRequired(Forbidden):
    code = "admission_required"


class AdmissionNotYours(Forbidden):
    code = "admission_not_yours"


class DeviceQueued(Conflict):
    code = "device_already_queued"


class QueueTokenInvalid(InvalidInput):
    code = "queue_token_invalid"


@dataclass(frozen=True, slots=True)
class RoomSettings:
    opens_at: datetime
    rate_per_minute: int
    admission_minutes: int = 20
    enabled: bool = True


@dataclass(frozen=True, slots=True)
class InQueue:
    """A buyer's view: the token to come back with, where they stand, and, once admitted,
    the admission to show when holding seats."""

    token: str
    standing: Standing
    admission: str | None


def signer(crypto: FieldCrypto) -> Signer:
    return lambda body: crypto.lookup("waiting-room", body)[:SIGNATURE_CHARS]


def device_key(crypto: FieldCrypto, device: str | None) -> str | None:
    """What a queue entry keeps of the device it was joined from: a keyed digest."""
    return crypto.lookup("queue-device", device)[:SIGNATURE_CHARS] if device else None


def read_admission(token: str | None, sign: Signer, now: datetime) -> Admission | None:
    """The admission a genuine, unexpired token grants; ``None`` otherwise."""
    return queue_rules.read_admission_token(token, sign, now=now) if token else None


def rules_of(room: WaitingRoom) -> Room:
    return Room(room.session_id, room.opens_at, room.rate_per_minute, room.admission_minutes)


async def find_room(uow: UnitOfWork, session_id: int) -> WaitingRoom | None:
    return await uow.session.get(WaitingRoom, session_id)


async def room_is_on(uow: UnitOfWork, session_id: int) -> bool:
    """Whether the session has a waiting room switched on. Asked on every view of a seat page,
    so kept in the process's sale-configuration cache (``ADMIT_SALE_CONFIG_CACHE_SECONDS``),
    which ``configure_room`` clears: a cache hit sends no statement."""
    cache: ShortCache[tuple[str, int], bool] = cache_of(uow.caches, SALE_CONFIG, 1.0)

    async def load() -> bool:
        room = await find_room(uow, session_id)
        return room is not None and room.enabled

    return await cache.get_or_load(uow, ("room", session_id), load)


async def get_room(uow: UnitOfWork, session_id: int) -> WaitingRoom:
    room = await find_room(uow, session_id)
    if room is None:
        raise NotFound("this session has no waiting room")
    return room


async def configure_room(
    uow: UnitOfWork, *, session_id: int, settings: RoomSettings, now: datetime
) -> WaitingRoom:
    """Create or change a session's waiting room. Once the draw has run, the opening time
    stays (the queue's order depends on it)."""
    room = await uow.session.get(WaitingRoom, session_id, with_for_update=True)
    if room is None:
        room = WaitingRoom(session_id=session_id, opens_at=settings.opens_at, created_at=now)
        uow.session.add(room)
    elif room.drawn_at is not None and room.opens_at != settings.opens_at:
        raise InvalidInput("the queue has been drawn: its opening time can no longer change")
    room.opens_at = settings.opens_at
    room.rate_per_minute = settings.rate_per_minute
    room.admission_minutes = settings.admission_minutes
    room.enabled = settings.enabled
    forget_on_commit(uow, SALE_CONFIG)
    await uow.session.flush()
    return room


async def _live_room(uow: UnitOfWork, session_id: int) -> WaitingRoom:
    room = await find_room(uow, session_id)
    if room is None or not room.enabled:
        raise NotFound("this session has no waiting room")
    return room


async def _draw(uow: UnitOfWork, session_id: int, now: datetime) -> None:
    """Number the early arrivals in the order of their draw (once; the room row is locked)."""
    room = await uow.session.get(
        WaitingRoom, session_id, with_for_update=True, populate_existing=True
    )
    if room is None or room.drawn_at is not None:
        return
    waiting = (
        await uow.session.scalars(
            select(QueueEntry.id)
            .where(QueueEntry.session_id == session_id, QueueEntry.place.is_(None))
            .order_by(QueueEntry.draw, QueueEntry.id)
        )
    ).all()
    if waiting:
        await uow.session.execute(
            update(QueueEntry),
            [{"id": entry_id, "place": place} for place, entry_id in enumerate(waiting)],
        )
    room.next_place = len(waiting)
    room.drawn_at = now
    await uow.session.flush()


async def _next_place(uow: UnitOfWork, session_id: int, now: datetime) -> int:
    """The next place after the draw (running the draw first if nobody has yet)."""
    for _ in range(2):
        taken = await uow.session.scalar(
            update(WaitingRoom)
            .where(WaitingRoom.session_id == session_id, WaitingRoom.drawn_at.is_not(None))
            .values(next_place=WaitingRoom.next_place + 1)
            .returning(WaitingRoom.next_place)
        )
        if taken is not None:
            return int(taken) - 1
        await _draw(uow, session_id, now)
    raise RuntimeError("the waiting room was not drawn")  # pragma: no cover - _draw sets it


def _view(room: WaitingRoom, ticket: QueueTicket, sign: Signer, now: datetime) -> InQueue:
    rules = rules_of(room)
    where = queue_rules.standing(rules, ticket.place, now)
    admission = None
    if where.admitted and where.admitted_at is not None:
        expires = max(where.admitted_at, now) + timedelta(minutes=room.admission_minutes)
        admission = queue_rules.admission_token(
            Admission(room.session_id, ticket.entry, ticket.customer_id, expires), sign
        )
    return InQueue(queue_rules.queue_token(ticket, sign), where, admission)


async def _entry_for(
    uow: UnitOfWork, session_id: int, customer_id: int, device: str | None
) -> QueueEntry | None:
    """The customer's entry in the room; else an entry of another customer on this device."""
    mine = QueueEntry.customer_id == customer_id
    return (
        await uow.session.scalars(
            select(QueueEntry)
            .where(
                QueueEntry.session_id == session_id,
                or_(mine, QueueEntry.device == device) if device else mine,
            )
            .order_by((QueueEntry.customer_id == customer_id).desc())
            .limit(1)
        )
    ).first()


async def _add_entry(
    uow: UnitOfWork,
    session_id: int,
    customer_id: int,
    device: str | None,
    place: int | None,
    now: datetime,
) -> str | None:
    """Insert the customer's entry; ``None`` when a concurrent join of the same customer or
    device got there first (the statement waits for it and inserts nothing)."""
    upsert = pg_insert if uow.dialect == "postgresql" else sqlite_insert
    entry = secrets.token_hex(16)
    return await uow.session.scalar(
        upsert(QueueEntry)
        .values(
            session_id=session_id,
            entry=entry,
            draw=secrets.randbits(62),
            place=place,
            arrived_at=now,
            customer_id=customer_id,
            device=device,
        )
        .on_conflict_do_nothing()
        .returning(QueueEntry.entry)
    )


async def join(
    uow: UnitOfWork,
    sign: Signer,
    *,
    session_id: int,
    customer_id: int,
    device: str | None,
    now: datetime,
) -> InQueue:
    """Take the customer's place in the session's queue, or find the one they already have
    (joining again changes nothing). ``device`` is a ``device_key``. Raises ``NotFound``
    without a live room and ``DeviceQueued`` when another account joined from this device."""
    room = await _live_room(uow, session_id)
    found = await _entry_for(uow, session_id, customer_id, device)
    if found is None:
        place = None
        if room.drawn_at is not None or now >= room.opens_at:
            place = await _next_place(uow, session_id, now)
        entry = await _add_entry(uow, session_id, customer_id, device, place, now)
        if entry is not None:
            return _view(room, QueueTicket(session_id, entry, customer_id, place), sign, now)
        # A concurrent join won the race (its place number stays unused: a gap, no harm).
        found = await _entry_for(uow, session_id, customer_id, device)
    if found is None or found.customer_id != customer_id:
        raise DeviceQueued("another account has already joined this queue from this device")
    ticket = QueueTicket(session_id, found.entry, customer_id, found.place)
    return await _placed(uow, sign, room, ticket, now)


async def where_am_i(
    uow: UnitOfWork,
    sign: Signer,
    *,
    session_id: int,
    customer_id: int,
    token: str,
    now: datetime,
) -> InQueue:
    """Where the holder of ``token`` stands; after the opening, their place from the draw.
    Raises ``QueueTokenInvalid`` for a forged token, one of another session or one of another
    customer."""
    ticket = queue_rules.read_queue_token(token, sign)
    if ticket is None or ticket.session_id != session_id or ticket.customer_id != customer_id:
        raise QueueTokenInvalid("this queue token is not valid for this session")
    return await _placed(uow, sign, await _live_room(uow, session_id), ticket, now)


async def _placed(
    uow: UnitOfWork, sign: Signer, room: WaitingRoom, ticket: QueueTicket, now: datetime
) -> InQueue:
    """The ticket's view; once the room has opened, with its place (drawing first if needed)."""
    if ticket.place is None and now >= room.opens_at:
        if room.drawn_at is None:
            await _draw(uow, room.session_id, now)
        entry = await uow.session.scalar(
            select(QueueEntry)
            .where(QueueEntry.entry == ticket.entry)
            .with_for_update()
            .execution_options(populate_existing=True)
        )
        if entry is None:
            raise QueueTokenInvalid("this queue token is not valid for this session")
        if entry.place is None:  # arrived (by its server's clock) just as the draw ran
            entry.place = await _next_place(uow, room.session_id, now)
            await uow.session.flush()
        ticket = QueueTicket(room.session_id, ticket.entry, ticket.customer_id, entry.place)
    return _view(room, ticket, sign, now)


def check_admission(
    sign: Signer, *, session_id: int, customer_id: int, token: str | None, now: datetime
) -> None:
    """For a session with a live waiting room (the caller knows it from the sale's cached
    configuration), the buyer must show a valid admission issued to them. Raises
    ``AdmissionRequired`` or ``AdmissionNotYours``. Sends no statement."""
    admission = read_admission(token, sign, now)
    if admission is None or admission.session_id != session_id:
        raise AdmissionRequired(
            "this sale has a waiting room: join the queue and come back when admitted",
            details={"queue": f"/api/v1/sessions/{session_id}/queue"},
        )
    if admission.customer_id != customer_id:
        raise AdmissionNotYours("this admission was issued to another account")


async def queue_size(uow: UnitOfWork, session_id: int) -> int:
    count = await uow.session.scalar(
        select(func.count()).select_from(QueueEntry).where(QueueEntry.session_id == session_id)
    )
    return int(count or 0)
