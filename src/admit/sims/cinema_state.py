"""State and rules of the cinema box-office simulator: sessions' own seat states, locks that
expire on the simulator's clock, orders with print numbers and verify codes, refunds, the
daily report, counter sales, request authentication and the fault switches. No HTTP here:
:mod:`admit.sims.cinema` serves it."""

from __future__ import annotations

import itertools
import random
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from datetime import date, datetime, timedelta

from admit.core.clock import Clock
from admit.core.signing import signature_valid
from admit.partners.box_office import SeatState
from admit.sims.cinema_world import DEMO_CINEMAS, CinemaPlan, SessionPlan, hall_seats, sessions_on

MAX_SKEW_S = 300
NONCE_MEMORY = timedelta(seconds=2 * MAX_SKEW_S)
COUNTER = "counter"  # the cinema's own box office, as the app of its orders


@dataclass
class CinemaSimConfig:
    """``apps`` maps agent app codes to their signing secrets. ``hang_s``: how long a call hit
    by a timeout fault waits before answering (longer than any client waits)."""

    apps: dict[str, str]
    cinemas: tuple[CinemaPlan, ...] = DEMO_CINEMAS
    lock_minutes: int = 15
    max_seats_per_lock: int = 8
    hang_s: float = 30.0
    seed: int = 1


class SimRefusal(Exception):
    """Why the cinema refuses a call: an HTTP status and a stable error code."""

    def __init__(self, status: int, code: str, message: str, details: object = None) -> None:
        super().__init__(message)
        self.status, self.code, self.message, self.details = status, code, message, details


@dataclass
class Lock:
    app: str
    ref: str
    lock_id: str
    cinema: str
    session: str
    seats: tuple[str, ...]
    expires_at: datetime
    status: str = "locked"  # locked | released | sold

    def live(self, now: datetime) -> bool:
        return self.status == "locked" and now < self.expires_at


@dataclass
class Order:
    app: str
    order_no: str
    order_code: str
    cinema: str
    session: str
    seats: tuple[str, ...]
    amount: int
    print_no: str
    verify_code: str
    at: datetime
    status: str = "confirmed"  # confirmed | refunded
    refunded_at: datetime | None = None


@dataclass
class ExtraLine:
    """A report line injected by a test: a sale the platform does not have."""

    cinema: str
    day: date
    line: dict[str, object]


@dataclass
class Faults:
    """The switches ``POST /_control`` changes at run time. ``timeout_next`` maps operation
    names to how many of their next calls hang; ``timeout_done`` says whether such a call
    takes effect before hanging (the unknown outcome) or not at all. ``duplicate_next``: how
    many next calls of an operation take effect but are answered with the operation's
    previous answer (a stale duplicate, as stuck gateways send)."""

    latency_ms: int = 0
    outage: bool = False
    refuse_next_locks: int = 0
    refuse_next_submits: int = 0
    timeout_next: dict[str, int] = field(default_factory=dict)
    timeout_done: bool = True
    duplicate_next: dict[str, int] = field(default_factory=dict)
    report_drop: set[str] = field(default_factory=set)
    report_amounts: dict[str, int] = field(default_factory=dict)
    report_extra: list[ExtraLine] = field(default_factory=list)


class CinemaState:
    def __init__(self, config: CinemaSimConfig, clock: Clock) -> None:
        self.config = config
        self.clock = clock
        self.faults = Faults()
        self.plans = {p.cinema.code: p for p in config.cinemas}
        self.sessions: dict[str, SessionPlan] = {}
        self.owners: dict[str, dict[str, str | None]] = {}  # session → seat → owner
        self.locks: dict[tuple[str, str], Lock] = {}  # (app, ref)
        self.locks_by_id: dict[str, Lock] = {}
        self.orders: dict[tuple[str, str], Order] = {}  # (app, order_no)
        self.last_answer: dict[str, dict[str, object]] = {}
        self.withdrawn: set[str] = set()  # showtimes the cinema took off its programme
        self._numbers = itertools.count(1)
        self._random = random.Random(config.seed)
        self._nonces: dict[tuple[str, str], datetime] = {}

    def authenticate(self, fields: Mapping[str, object]) -> str:
        """The app code of a signed request; raises :class:`SimRefusal` otherwise."""
        app = fields.get("app_code")
        app = app if isinstance(app, str) else ""
        secret = self.config.apps.get(app)
        if secret is None or not signature_valid(fields, secret):
            raise SimRefusal(401, "bad_signature", "unknown app or bad signature")
        now = self.clock.now()
        timestamp = fields.get("timestamp")
        if not isinstance(timestamp, int) or abs(now.timestamp() - timestamp) > MAX_SKEW_S:
            raise SimRefusal(401, "stale_timestamp", f"timestamp more than {MAX_SKEW_S} s off")
        nonce = fields.get("nonce")
        if not isinstance(nonce, str) or not nonce:
            raise SimRefusal(400, "invalid_request", "a nonce is required")
        if (app, nonce) in self._nonces:
            raise SimRefusal(409, "replayed_nonce", "this nonce was already used")
        for old in [key for key, at in self._nonces.items() if now - at > NONCE_MEMORY]:
            del self._nonces[old]
        self._nonces[(app, nonce)] = now
        return app

    def number(self, prefix: str) -> str:
        return f"{prefix}{self.clock.now():%y%m%d}{next(self._numbers):06d}"

    def digits(self, n: int) -> str:
        return "".join(self._random.choice("0123456789") for _ in range(n))

    # --- catalogue -------------------------------------------------------------------------

    def cinema(self, code: str) -> CinemaPlan:
        plan = self.plans.get(code)
        if plan is None:
            raise SimRefusal(404, "cinema_not_found", f"no cinema {code}")
        return plan

    def showtimes(self, cinema: str, start: date, days: int) -> list[SessionPlan]:
        plan = self.cinema(cinema)
        found = []
        for offset in range(days):
            for session in sessions_on(plan, start + timedelta(days=offset)):
                if session.code not in self.sessions:
                    self.sessions[session.code] = session
                    self.owners[session.code] = {s.code: None for s in hall_seats(session.hall)}
                if session.code not in self.withdrawn:
                    found.append(self.sessions[session.code])
        return found

    def session(self, cinema: str, code: str) -> SessionPlan:
        session = self.sessions.get(code)
        if session is None:  # sessions exist once listed; a code may name a day not yet listed
            day = _day_of(code)
            if day is not None and code.startswith(f"{cinema}-"):
                self.showtimes(cinema, day, 1)
                session = self.sessions.get(code)
        if session is None or session.cinema_code != cinema or code in self.withdrawn:
            raise SimRefusal(404, "session_not_found", f"no session {code} at {cinema}")
        return session

    def seat_states(self, cinema: str, code: str) -> list[tuple[str, SeatState]]:
        self.session(cinema, code)
        now = self.clock.now()
        return [(seat, self._state(owner, now)) for seat, owner in self.owners[code].items()]

    def _state(self, owner: str | None, now: datetime) -> SeatState:
        if owner is None:
            return "available"
        kind, _, ident = owner.partition(":")
        if kind == "L":
            return "locked" if self.locks_by_id[ident].live(now) else "available"
        return "sold" if kind == "O" else "unavailable"

    # --- locks and orders ------------------------------------------------------------------

    def lock(self, app: str, cinema: str, code: str, seats: Sequence[str], ref: str) -> Lock:
        existing = self.locks.get((app, ref))
        if existing is not None:  # the same request again: the same answer
            return existing
        session = self.session(cinema, code)
        wanted = list(dict.fromkeys(seats))
        if not wanted or len(wanted) != len(seats) or len(wanted) > self.config.max_seats_per_lock:
            raise SimRefusal(400, "invalid_seats", "name 1 to 8 different seats")
        if self.faults.refuse_next_locks > 0:
            self.faults.refuse_next_locks -= 1
            raise SimRefusal(409, "lock_refused", "the cinema refuses locks for this session now")
        owners, now = self.owners[session.code], self.clock.now()
        unknown = [s for s in wanted if s not in owners]
        if unknown:
            raise SimRefusal(400, "invalid_seats", "no such seats", {"seats": unknown})
        gone = [s for s in wanted if self._state(owners[s], now) != "available"]
        if gone:
            raise SimRefusal(409, "seat_unavailable", "seats are not available", {"seats": gone})
        lock = Lock(
            app,
            ref,
            self.number("L"),
            cinema,
            code,
            tuple(wanted),
            now + timedelta(minutes=self.config.lock_minutes),
        )
        for seat in wanted:
            owners[seat] = f"L:{lock.lock_id}"
        self.locks[(app, ref)] = self.locks_by_id[lock.lock_id] = lock
        return lock

    def release(self, app: str, cinema: str, ref: str) -> str:
        lock = self.locks.get((app, ref))
        if lock is None or lock.cinema != cinema:
            return "unknown"
        if lock.status == "sold":
            raise SimRefusal(409, "already_sold", "the lock's seats were sold")
        if lock.status == "released":
            return "released"
        expired = not lock.live(self.clock.now())
        lock.status = "released"
        owners = self.owners[lock.session]
        for seat in lock.seats:
            if owners[seat] == f"L:{lock.lock_id}":
                owners[seat] = None
        return "expired" if expired else "released"

    def submit(self, app: str, cinema: str, ref: str, order_no: str, amount: int) -> Order:
        existing = self.orders.get((app, order_no))
        if existing is not None:  # a repeated submit: the first answer again
            return existing
        lock = self.locks.get((app, ref))
        if lock is None or lock.cinema != cinema or lock.status == "released":
            raise SimRefusal(409, "lock_not_found", "no such lock")
        if lock.status == "sold":
            raise SimRefusal(409, "lock_used", "the lock was sold under another order")
        if not lock.live(self.clock.now()):
            raise SimRefusal(409, "lock_expired", "the lock has expired")
        if self.faults.refuse_next_submits > 0:
            self.faults.refuse_next_submits -= 1
            raise SimRefusal(409, "submit_refused", "the cinema could not issue the tickets")
        due = self.price_of(lock.session, lock.seats)
        if amount != due:
            raise SimRefusal(409, "amount_mismatch", f"the seats cost {due}", {"due": due})
        return self._sell(app, order_no, cinema, lock.session, lock.seats, amount, lock)

    def _sell(
        self,
        app: str,
        order_no: str,
        cinema: str,
        session: str,
        seats: tuple[str, ...],
        amount: int,
        lock: Lock | None,
    ) -> Order:
        order = Order(
            app,
            order_no,
            self.number("CO"),
            cinema,
            session,
            seats,
            amount,
            self.digits(10),
            self.digits(6),
            self.clock.now(),
        )
        if lock is not None:
            lock.status = "sold"
        for seat in seats:
            self.owners[session][seat] = f"O:{order.order_code}"
        self.orders[(app, order_no)] = order
        return order

    def price_of(self, session: str, seats: Sequence[str]) -> int:
        plan = self.sessions[session]
        areas = {s.code: s.area for s in hall_seats(plan.hall)}
        return sum(plan.prices[areas[seat]] for seat in seats)

    def order(self, app: str, cinema: str, order_no: str) -> Order:
        order = self.orders.get((app, order_no))
        if order is None or order.cinema != cinema:
            raise SimRefusal(404, "order_not_found", f"no order {order_no}")
        return order

    def refund(self, app: str, cinema: str, order_no: str) -> Order:
        order = self.order(app, cinema, order_no)
        if order.status == "confirmed":
            order.status, order.refunded_at = "refunded", self.clock.now()
            owners = self.owners[order.session]
            for seat in order.seats:
                owners[seat] = None
        return order

    def counter_sale(self, cinema: str, code: str, seats: Sequence[str]) -> Order:
        """Seats sold at the cinema's own counter: they vanish for every agent."""
        session = self.session(cinema, code)
        owners, now = self.owners[code], self.clock.now()
        gone = [s for s in seats if s not in owners or self._state(owners[s], now) != "available"]
        if gone or not seats:
            raise SimRefusal(409, "seat_unavailable", "seats are not available", {"seats": gone})
        order_no = self.number("K")
        return self._sell(
            COUNTER, order_no, cinema, code, tuple(seats), self.price_of(session.code, seats), None
        )

    # --- reconciliation --------------------------------------------------------------------

    def report(self, app: str, cinema: str, day: date) -> list[dict[str, object]]:
        """The app's sales and refunds at the cinema on one UTC day, with injected faults."""
        self.cinema(cinema)
        faults, lines = self.faults, []
        for order in self.orders.values():
            if order.app != app or order.cinema != cinema or order.order_no in faults.report_drop:
                continue
            amount = faults.report_amounts.get(order.order_no, order.amount)
            events = [("sale", order.at)]
            if order.refunded_at is not None:
                events.append(("refund", order.refunded_at))
            for kind, at in events:
                if at.date() == day:
                    lines.append(_line(order, kind, at, amount))
        lines += [x.line for x in faults.report_extra if x.cinema == cinema and x.day == day]
        return lines


def _line(order: Order, kind: str, at: datetime, amount: int) -> dict[str, object]:
    return {
        "order_no": order.order_no,
        "order_code": order.order_code,
        "session_code": order.session,
        "kind": kind,
        "tickets": len(order.seats),
        "amount": amount,
        "at": at.isoformat(),
    }


def _day_of(code: str) -> date | None:
    parts = code.split("-")
    if len(parts) != 4:
        return None
    try:
        return date(int(parts[2][:4]), int(parts[2][4:6]), int(parts[2][6:]))
    except ValueError:
        return None
