"""The waiting room's arithmetic and its tokens (pure).

Buyers who arrive before a session's sale opens are put in a random order when it opens (the
draw), so arriving first gives a bot no advantage; later arrivals queue behind them in arrival
order. Places are numbered from 0; at ``rate`` admissions a minute, place ``p`` is let in at
``opens_at + p / rate`` minutes, so whether someone is admitted is arithmetic on the clock, not
state. Tokens are ``kind.field.field….signature`` strings naming the customer whose entry they
are, so a token passed to (or sold to) another account is worth nothing; the signer (a keyed
hash) is passed in, so nothing here knows the key."""

from __future__ import annotations

import hmac
import math
from collections.abc import Callable
from dataclasses import dataclass
from datetime import datetime, timedelta

Signer = Callable[[str], str]
QUEUE_KIND = "q2"
ADMISSION_KIND = "a2"


@dataclass(frozen=True, slots=True)
class Room:
    session_id: int
    opens_at: datetime
    rate_per_minute: int
    admission_minutes: int


@dataclass(frozen=True, slots=True)
class QueueTicket:
    """What a queue token says: the entry and whose it is, and its place once the draw has
    given one."""

    session_id: int
    entry: str
    customer_id: int
    place: int | None


@dataclass(frozen=True, slots=True)
class Admission:
    """Leave to hold seats of one session, for one customer, until ``expires_at``."""

    session_id: int
    entry: str
    customer_id: int
    expires_at: datetime


@dataclass(frozen=True, slots=True)
class Standing:
    """Where a buyer stands: ``ahead`` people before them, admitted or not, the wait left."""

    place: int | None
    ahead: int | None
    admitted: bool
    admitted_at: datetime | None
    wait_seconds: int | None


def admitted_count(room: Room, now: datetime) -> int:
    """How many places have been let in by ``now``."""
    if now < room.opens_at:
        return 0
    minutes = (now - room.opens_at).total_seconds() / 60
    return math.floor(minutes * room.rate_per_minute) + 1


def admission_time(room: Room, place: int) -> datetime:
    return room.opens_at + timedelta(minutes=place / room.rate_per_minute)


def standing(room: Room, place: int | None, now: datetime) -> Standing:
    """Where ``place`` stands at ``now``; ``None`` before the draw (nobody knows yet)."""
    if place is None:
        wait = max(0, math.ceil((room.opens_at - now).total_seconds()))
        return Standing(None, None, False, None, wait)
    let_in = admitted_count(room, now)
    at = admission_time(room, place)
    if place < let_in:
        return Standing(place, 0, True, at, 0)
    return Standing(place, place - let_in, False, None, math.ceil((at - now).total_seconds()))


def _seal(kind: str, fields: list[str], sign: Signer) -> str:
    body = ".".join([kind, *fields])
    return f"{body}.{sign(body)}"


def _open(token: str, kind: str, size: int, sign: Signer) -> list[str] | None:
    parts = token.split(".")
    if len(parts) != size + 2 or parts[0] != kind:
        return None
    body, signature = token.rpartition(".")[0], parts[-1]
    if not hmac.compare_digest(sign(body), signature):
        return None
    return parts[1:-1]


def _numbers(*fields: str) -> bool:
    return all(f.isascii() and f.isdigit() for f in fields)


def queue_token(ticket: QueueTicket, sign: Signer) -> str:
    place = "" if ticket.place is None else str(ticket.place)
    fields = [str(ticket.session_id), ticket.entry, str(ticket.customer_id), place]
    return _seal(QUEUE_KIND, fields, sign)


def read_queue_token(token: str, sign: Signer) -> QueueTicket | None:
    """The ticket a genuine token carries; ``None`` for anything forged or malformed."""
    fields = _open(token, QUEUE_KIND, 4, sign)
    if fields is None or not _numbers(fields[0], fields[2]) or not _numbers(fields[3] or "0"):
        return None
    place = int(fields[3]) if fields[3] else None
    return QueueTicket(int(fields[0]), fields[1], int(fields[2]), place)


def admission_token(admission: Admission, sign: Signer) -> str:
    expires = str(int(admission.expires_at.timestamp()))
    fields = [str(admission.session_id), admission.entry, str(admission.customer_id), expires]
    return _seal(ADMISSION_KIND, fields, sign)


def read_admission_token(token: str, sign: Signer, *, now: datetime) -> Admission | None:
    """The admission a genuine, unexpired token grants; ``None`` otherwise."""
    fields = _open(token, ADMISSION_KIND, 4, sign)
    if fields is None or not _numbers(fields[0], fields[2], fields[3]):
        return None
    expires = datetime.fromtimestamp(int(fields[3]), tz=now.tzinfo)
    if expires <= now:
        return None
    return Admission(int(fields[0]), fields[1], int(fields[2]), expires)
