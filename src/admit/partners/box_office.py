"""The external box-office interface: what the platform asks of a cinema's own ticketing
system, independent of any wire protocol. Pure: no I/O, so rules and fakes build on it.

Modelled on the operations every cinema system offers an agent platform — China's
cinema-ticketing interface standard (QueryCinema, QuerySeat, QuerySession, QuerySessionSeat,
LockSeat, ReleaseSeat, SubmitOrder, QueryOrder, RefundTicket) and Vista's seat plan / order
tickets / complete order / cancel / refund: the cinema owns the seats; the platform queries,
locks, confirms after payment or releases, and reconciles daily. Amounts are integers in minor
units; datetimes are timezone-aware UTC. Every mutating call carries the platform's own
reference (``ref`` of a lock, ``order_no`` of an order), so repeating it after a timeout
returns the first outcome and never does it twice."""

from __future__ import annotations

from abc import ABC, abstractmethod
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from datetime import date, datetime
from typing import Any, ClassVar, Literal

from admit.core.errors import AdmitError

SeatState = Literal["available", "locked", "sold", "booked", "unavailable"]
SEAT_STATES: tuple[SeatState, ...] = ("available", "locked", "sold", "booked", "unavailable")
OrderStatus = Literal["confirmed", "refunded"]
ReportKind = Literal["sale", "refund"]


class BoxOfficeError(AdmitError):
    """Base of every failure talking to a cinema's box-office system."""

    code: ClassVar[str] = "box_office_error"
    status: ClassVar[int] = 502


class BoxOfficeUnavailable(BoxOfficeError):
    """Timeout, transport error, 5xx, or an answer we cannot trust: the outcome is UNKNOWN (a
    lock or a submit may have taken effect) until the order is queried or the idempotent call
    repeated with the same reference."""

    code: ClassVar[str] = "partner_unavailable"
    status: ClassVar[int] = 503


class BoxOfficeRefused(BoxOfficeError):
    """The cinema answered and refused: nothing took effect. ``reason`` is its error code:
    ``seat_unavailable``, ``lock_expired``, ``lock_not_found``, ``submit_refused``,
    ``already_refunded``, ``session_not_found``…, or ``bad_signature`` / ``stale_timestamp`` /
    ``replayed_nonce`` when our own credentials or clock are wrong."""

    code: ClassVar[str] = "partner_refused"
    status: ClassVar[int] = 409

    def __init__(self, reason: str, message: str | None = None, *, details: Any = None) -> None:
        extra = details if isinstance(details, dict) else {}
        super().__init__(
            message or f"the cinema refused: {reason}", details={"reason": reason, **extra}
        )
        self.reason = reason


class PartnerOrderNotFound(BoxOfficeRefused):
    """The cinema knows no order under our number: the submit never took effect."""

    code: ClassVar[str] = "partner_order_not_found"
    status: ClassVar[int] = 404

    def __init__(self, order_no: str) -> None:
        super().__init__("order_not_found", f"the cinema has no order {order_no}")


@dataclass(frozen=True, slots=True)
class Cinema:
    code: str
    name: str
    address: str


@dataclass(frozen=True, slots=True)
class HallSeat:
    """A seat of a hall (QuerySeat): the cinema's code, labels, drawing position, and the hall
    area it is priced by."""

    code: str
    row: str
    number: str
    x: float
    y: float
    area: str


@dataclass(frozen=True, slots=True)
class Hall:
    cinema_code: str
    code: str
    name: str
    seats: tuple[HallSeat, ...]


@dataclass(frozen=True, slots=True)
class Showtime:
    """A session (QuerySession): a film in a hall at a time, a price per hall area."""

    cinema_code: str
    code: str
    hall_code: str
    film_code: str
    film_name: str
    starts_at: datetime
    ends_at: datetime
    prices: Mapping[str, int]
    currency: str = "CNY"


@dataclass(frozen=True, slots=True)
class SeatLock:
    """Seats locked for the platform (LockSeat / a Vista basket) until ``expires_at``."""

    ref: str
    lock_id: str
    seats: tuple[str, ...]
    expires_at: datetime


@dataclass(frozen=True, slots=True)
class Confirmation:
    """A confirmed sale (SubmitOrder / complete order): the cinema's booking number and what
    the customer shows at the cinema — the print number (取票号) and verify code (验证码)."""

    order_no: str
    order_code: str
    print_no: str
    verify_code: str
    seats: tuple[str, ...]
    amount: int


@dataclass(frozen=True, slots=True)
class OrderState:
    """An order as the cinema sees it now (QueryOrder)."""

    order_no: str
    order_code: str
    status: OrderStatus
    print_no: str
    verify_code: str
    seats: tuple[str, ...]
    amount: int


@dataclass(frozen=True, slots=True)
class ReportLine:
    """One line of the cinema's daily sales report for this platform: a sale or a refund."""

    order_no: str
    order_code: str
    session_code: str
    kind: ReportKind
    tickets: int
    amount: int
    at: datetime


@dataclass(frozen=True, slots=True)
class PlanSeat:
    code: str
    state: SeatState


@dataclass(frozen=True, slots=True)
class SeatPlan:
    """A session's seats and their live states (QuerySessionSeat)."""

    session_code: str
    seats: tuple[PlanSeat, ...] = field(default=())

    def unavailable(self) -> set[str]:
        return {s.code for s in self.seats if s.state != "available"}


class ExternalBoxOffice(ABC):
    """One cinema ticketing system, serving one or more cinemas to this platform."""

    system: str

    @abstractmethod
    async def list_cinemas(self) -> list[Cinema]:
        """The cinemas this platform may sell (QueryCinema)."""

    @abstractmethod
    async def list_halls(self, cinema: str) -> list[Hall]:
        """A cinema's halls and their seats (QuerySeat)."""

    @abstractmethod
    async def list_showtimes(self, cinema: str, *, start: date, days: int) -> list[Showtime]:
        """The sessions starting on ``days`` days from ``start`` (QuerySession)."""

    @abstractmethod
    async def seat_plan(self, cinema: str, session: str) -> SeatPlan:
        """Every seat's live state in one session (QuerySessionSeat)."""

    @abstractmethod
    async def lock(self, cinema: str, session: str, seats: Sequence[str], *, ref: str) -> SeatLock:
        """Lock exactly these seats or none (LockSeat); the same ``ref`` returns the same lock.
        Refused with ``seat_unavailable`` (details: the seats) when any is not available."""

    @abstractmethod
    async def release(self, cinema: str, *, ref: str) -> str:
        """Release the lock (ReleaseSeat); answers ``released``, or ``expired`` / ``unknown``
        when there is nothing to release — all of them acknowledgements."""

    @abstractmethod
    async def confirm(
        self, cinema: str, *, ref: str, order_no: str, amount: int, phone: str
    ) -> Confirmation:
        """Sell the locked seats (SubmitOrder), idempotent by ``order_no``. Refused with
        ``lock_expired`` / ``lock_not_found`` / ``submit_refused`` when it cannot."""

    @abstractmethod
    async def query_order(self, cinema: str, *, order_no: str) -> OrderState:
        """The order under our number (QueryOrder); raises :class:`PartnerOrderNotFound`."""

    @abstractmethod
    async def refund(self, cinema: str, *, order_no: str) -> OrderState:
        """Refund a confirmed order (RefundTicket), idempotent."""

    @abstractmethod
    async def daily_report(self, cinema: str, day: date) -> list[ReportLine]:
        """This platform's sales and refunds at the cinema on one UTC day."""

    async def aclose(self) -> None:  # noqa: B027 - an optional hook, not abstract
        """Release connections; nothing to do by default."""


class BoxOffices:
    """The box-office systems a process can use, by system name (the composition root fills
    it); each partner cinema names the system it is sold through."""

    def __init__(self, *systems: ExternalBoxOffice) -> None:
        self._by_name = {s.system: s for s in systems}

    def get(self, name: str) -> ExternalBoxOffice:
        try:
            return self._by_name[name]
        except KeyError:
            raise BoxOfficeUnavailable(
                f"no box-office system {name!r} is configured", details={"reason": "no_system"}
            ) from None

    def names(self) -> list[str]:
        return list(self._by_name)

    async def aclose(self) -> None:
        for system in self._by_name.values():
            await system.aclose()
