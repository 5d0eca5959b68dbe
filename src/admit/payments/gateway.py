"""The payment gateway interface and its value types, independent of any wire protocol.

What every Chinese gateway has in common (see ``design/integrations.md``, "Payment gateways"):
create a trade under the merchant's own order number, let the payer approve or decline it,
notify the merchant asynchronously with a signed message, and answer queries, closes, refunds
and daily statements. Amounts are integers in minor units (fen), never floats; datetimes are
timezone-aware UTC. Pure: no I/O here, so rules and fakes can build on it."""

from __future__ import annotations

from abc import ABC, abstractmethod
from dataclasses import dataclass
from datetime import date, datetime
from typing import Any, ClassVar, Literal

from admit.core.errors import AdmitError


class GatewayError(AdmitError):
    """Base of every failure talking to a payment gateway."""

    code: ClassVar[str] = "gateway_error"
    status: ClassVar[int] = 502


class GatewayUnavailable(GatewayError):
    """Timeout, connection error, 5xx or an answer we cannot trust: the outcome of the call is
    UNKNOWN (a create or refund may have taken effect) until the trade is queried, or the
    idempotent call is repeated with the same merchant numbers."""

    code: ClassVar[str] = "gateway_unavailable"
    status: ClassVar[int] = 503


class GatewayRefused(GatewayError):
    """The gateway answered and refused: nothing took effect. ``reason`` is the gateway's error
    code, e.g. ``already_paid``, ``not_paid``, ``refund_exceeds_paid``, ``out_trade_no_reused``,
    ``statement_not_ready``, or ``bad_signature`` / ``stale_timestamp`` / ``replayed_nonce``
    when our own credentials or clock are wrong."""

    code: ClassVar[str] = "gateway_refused"
    status: ClassVar[int] = 409

    def __init__(self, reason: str, message: str | None = None, *, details: Any = None) -> None:
        extra = details if isinstance(details, dict) else {}
        super().__init__(
            message or f"the gateway refused: {reason}", details={"reason": reason, **extra}
        )
        self.reason = reason


class TradeNotFound(GatewayError):
    """The gateway knows no trade under this merchant order number (it was never created)."""

    code: ClassVar[str] = "trade_not_found"
    status: ClassVar[int] = 404


class ForgedNotification(AdmitError):
    """A notification that is not provably from the gateway for us: bad signature, another
    merchant, or fields that are malformed. Never act on it."""

    code: ClassVar[str] = "forged_notification"
    status: ClassVar[int] = 400


@dataclass(frozen=True, slots=True)
class CreatedTrade:
    trade_no: str
    pay_url: str
    qr_content: str


TradeStatus = Literal["unpaid", "paid", "declined", "closed"]
# The gateways the platform has an adapter for (a new adapter adds its name here), and the
# methods a payment is made by: through one of them, or in person — cash at a counter, a card
# terminal at a counter, an agent's own collection (``sales.collected``), or a contract
# client's bank transfer recorded beforehand (``channels.contract_collect``).
GatewayName = Literal["bank"]
PaymentMethod = GatewayName | Literal["cash", "card", "agent", "offline"]


@dataclass(frozen=True, slots=True)
class TradeState:
    """A trade as the gateway sees it now; ``refunded`` is the sum of its refunds."""

    out_trade_no: str
    trade_no: str
    status: TradeStatus
    amount: int
    currency: str
    paid_at: datetime | None
    refunded: int


@dataclass(frozen=True, slots=True)
class Notification:
    """A verified asynchronous notification. The same ``notify_id`` may arrive several times:
    handle it idempotently and acknowledge it again."""

    out_trade_no: str
    trade_no: str
    status: Literal["paid", "declined"]
    amount: int
    currency: str
    paid_at: datetime | None
    notify_id: str


@dataclass(frozen=True, slots=True)
class RefundResult:
    out_refund_no: str
    refund_no: str
    amount: int
    status: Literal["done"]


@dataclass(frozen=True, slots=True)
class StatementLine:
    """One line of a daily statement. ``amount`` and ``fee`` are never negative: ``kind`` says
    the direction; a refund line's fee is the part of the payment fee given back."""

    trade_no: str
    out_trade_no: str
    kind: Literal["pay", "refund"]
    amount: int
    fee: int
    at: datetime
    out_refund_no: str | None


class PaymentGateway(ABC):
    """One payment gateway (a bank, a wallet). ``ack`` is the exact body the platform answers a
    verified notification with; anything else makes the gateway send it again."""

    name: GatewayName
    ack: str

    @abstractmethod
    async def create(
        self,
        *,
        out_trade_no: str,
        amount: int,
        currency: str,
        subject: str,
        notify_url: str,
        return_url: str,
        expires_at: datetime,
    ) -> CreatedTrade:
        """Create the trade, or return the existing one for the same ``out_trade_no``."""

    @abstractmethod
    def parse_notification(self, body: bytes, content_type: str) -> Notification:
        """Verify a notification's signature and merchant; raises :class:`ForgedNotification`."""

    @abstractmethod
    async def query(self, out_trade_no: str) -> TradeState:
        """The trade's current state: the recovery path when a notification is late or lost."""

    @abstractmethod
    async def close(self, out_trade_no: str) -> TradeState:
        """Close an unpaid trade so it can no longer be paid (idempotent); a paid trade raises
        ``GatewayRefused("already_paid")``."""

    @abstractmethod
    async def refund(
        self, *, out_trade_no: str, out_refund_no: str, amount: int, reason: str
    ) -> RefundResult:
        """Refund part or all of a paid trade; idempotent by ``out_refund_no``."""

    @abstractmethod
    async def refund_query(self, *, out_trade_no: str, out_refund_no: str) -> RefundResult | None:
        """The refund made under ``out_refund_no``, or None when the gateway has none: the
        recovery path after a refund call whose outcome is unknown (a timeout, or a crash
        between the gateway's answer and the platform's record)."""

    @abstractmethod
    async def statement(self, day: date) -> list[StatementLine]:
        """The day's pays and refunds (UTC day), available once the day has ended."""

    async def aclose(self) -> None:  # noqa: B027 - an optional hook, not abstract
        """Release connections; nothing to do by default."""
