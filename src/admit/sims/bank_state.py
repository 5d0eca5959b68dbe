"""State and rules of the bank simulator: merchants' trades, refunds, statements, fees,
request authentication and the fault switches. No HTTP here: :mod:`admit.sims.bank` serves it
and :mod:`admit.sims.bank_notify` delivers its notifications."""

from __future__ import annotations

import itertools
from collections.abc import Mapping
from dataclasses import dataclass, field
from datetime import UTC, date, datetime, time, timedelta
from typing import Literal

import httpx

from admit.core.clock import Clock
from admit.core.signing import signature_valid
from admit.payments.gateway import TradeStatus

MAX_SKEW_S = 300
# Older nonces cannot come back: their timestamps would be refused as stale.
NONCE_MEMORY = timedelta(seconds=2 * MAX_SKEW_S)
BASIS_POINTS = 10_000


@dataclass
class BankSimConfig:
    """``merchants`` maps merchant ids to their signing secrets. Notification retry gaps are
    real (event-loop) seconds: the first is the wait before the first attempt, each next one the
    wait after a failed attempt. ``hang_s`` is how long a call hit by a ``timeout_next_*``
    fault sleeps after taking effect (longer than any client waits)."""

    merchants: dict[str, str]
    fee_rate_bp: int = 60
    notify_retry_delays_s: tuple[float, ...] = (0, 15, 15, 30, 180, 1800, 1800)
    notify_delay_ms: int = 0
    notify_repeats: int = 0
    lose_notifications: bool = False
    latency_ms: int = 0
    notify_transport: httpx.AsyncBaseTransport | None = None
    public_url: str = ""
    hang_s: float = 30.0
    notify_timeout_s: float = 5.0


class SimRefusal(Exception):
    """Why the bank refuses a call: an HTTP status and a stable error code."""

    def __init__(self, status: int, code: str, message: str, details: object = None) -> None:
        super().__init__(message)
        self.status = status
        self.code = code
        self.message = message
        self.details = details


@dataclass
class Line:
    """A statement line; ``merchant_id`` None (injected lines only) shows it to every merchant."""

    trade_no: str
    out_trade_no: str
    kind: Literal["pay", "refund"]
    amount: int
    fee: int
    at: datetime
    out_refund_no: str | None = None
    merchant_id: str | None = None


@dataclass
class Faults:
    """The switches ``POST /_control`` changes at run time."""

    notify_delay_ms: int = 0
    notify_repeats: int = 0
    lose_notifications: bool = False
    latency_ms: int = 0
    timeout_next_creates: int = 0
    timeout_next_refunds: int = 0
    extra_statement_lines: list[Line] = field(default_factory=list)
    outage: bool = False
    # Serve the current day's statement so far (as some gateways do) instead of refusing it
    # until the day has ended: lets a test reconcile today's payments without waiting.
    intraday_statements: bool = False


@dataclass
class Attempt:
    """One delivery attempt of a notification: sim-clock time and what the merchant answered
    (``status`` None when it could not be reached)."""

    at: datetime
    status: int | None
    answer: str
    acknowledged: bool


@dataclass
class NotificationRecord:
    notify_id: str
    trade_status: Literal["SUCCESS", "FAILED"]
    lost: bool
    attempts: list[Attempt] = field(default_factory=list)
    acknowledged: bool = False
    done: bool = False


@dataclass
class Refund:
    out_refund_no: str
    refund_no: str
    amount: int
    reason: str
    at: datetime
    fee_back: int


@dataclass
class Trade:
    merchant_id: str
    out_trade_no: str
    trade_no: str
    amount: int
    currency: str
    subject: str
    notify_url: str
    return_url: str
    expires_at: datetime
    created_at: datetime
    status: TradeStatus = "unpaid"
    paid_at: datetime | None = None
    decided_at: datetime | None = None
    fee: int = 0
    refunds: dict[str, Refund] = field(default_factory=dict)
    notifications: list[NotificationRecord] = field(default_factory=list)

    def status_at(self, now: datetime) -> TradeStatus:
        """An unpaid trade past its expiry is closed, as the banks close it."""
        if self.status == "unpaid" and now >= self.expires_at:
            return "closed"
        return self.status

    @property
    def refunded(self) -> int:
        return sum(refund.amount for refund in self.refunds.values())


def round_half_up(numerator: int, denominator: int) -> int:
    """``numerator / denominator`` rounded half up, for non-negative integers."""
    return (2 * numerator + denominator) // (2 * denominator)


def fee_for(amount: int, rate_bp: int) -> int:
    return round_half_up(amount * rate_bp, BASIS_POINTS)


class BankState:
    """Everything the simulator remembers; each operation runs without awaiting, so it is
    atomic on the event loop."""

    def __init__(self, config: BankSimConfig, clock: Clock) -> None:
        self.config = config
        self.clock = clock
        self.faults = Faults(
            notify_delay_ms=config.notify_delay_ms,
            notify_repeats=config.notify_repeats,
            lose_notifications=config.lose_notifications,
            latency_ms=config.latency_ms,
        )
        self.trades: dict[tuple[str, str], Trade] = {}
        self.by_trade_no: dict[str, Trade] = {}
        self._nonces: dict[tuple[str, str], datetime] = {}
        self._numbers = itertools.count(1)

    def authenticate(self, fields: Mapping[str, object]) -> str:
        """The merchant id of a signed request; raises :class:`SimRefusal` otherwise."""
        merchant_id = fields.get("merchant_id")
        if not isinstance(merchant_id, str):
            merchant_id = ""
        secret = self.config.merchants.get(merchant_id)
        if secret is None or not signature_valid(fields, secret):
            raise SimRefusal(401, "bad_signature", "unknown merchant or bad signature")
        now = self.clock.now()
        timestamp = fields.get("timestamp")
        if isinstance(timestamp, str) and timestamp.isascii() and timestamp.isdigit():
            timestamp = int(timestamp)
        if not isinstance(timestamp, int) or abs(now.timestamp() - timestamp) > MAX_SKEW_S:
            raise SimRefusal(401, "stale_timestamp", f"timestamp more than {MAX_SKEW_S} s off")
        nonce = fields.get("nonce")
        if not isinstance(nonce, str) or not nonce:
            raise SimRefusal(400, "invalid_request", "a nonce is required")
        if (merchant_id, nonce) in self._nonces:
            raise SimRefusal(409, "replayed_nonce", "this nonce was already used")
        for old in [key for key, at in self._nonces.items() if now - at > NONCE_MEMORY]:
            del self._nonces[old]
        self._nonces[(merchant_id, nonce)] = now
        return merchant_id

    def number(self, prefix: str) -> str:
        return f"{prefix}{self.clock.now():%Y%m%d}{next(self._numbers):08d}"

    def create(self, merchant_id: str, trade: Trade) -> Trade:
        """Record ``trade`` or return the merchant's existing one under the same number."""
        existing = self.trades.get((merchant_id, trade.out_trade_no))
        if existing is not None:
            if (existing.amount, existing.currency) != (trade.amount, trade.currency):
                raise SimRefusal(
                    409, "out_trade_no_reused", "this out_trade_no has another amount or currency"
                )
            return existing
        if trade.expires_at <= self.clock.now():
            raise SimRefusal(
                400, "invalid_request", "expires_at is past", {"fields": ["expires_at"]}
            )
        self.trades[(merchant_id, trade.out_trade_no)] = trade
        self.by_trade_no[trade.trade_no] = trade
        return trade

    def trade(self, merchant_id: str, out_trade_no: str) -> Trade:
        trade = self.trades.get((merchant_id, out_trade_no))
        if trade is None:
            raise SimRefusal(404, "trade_not_found", f"no trade {out_trade_no!r}")
        return trade

    def payable(self, trade_no: str) -> Trade:
        """The trade behind a pay page, if it can still be paid or declined."""
        trade = self.by_trade_no.get(trade_no)
        if trade is None:
            raise SimRefusal(404, "trade_not_found", "There is no such payment request.")
        status = trade.status_at(self.clock.now())
        if status == "paid":
            raise SimRefusal(409, "already_paid", "This order is already paid.")
        if status == "declined":
            raise SimRefusal(409, "already_declined", "This payment was declined.")
        if trade.status == "closed":
            raise SimRefusal(
                409, "trade_closed", "The merchant closed this order; it can no longer be paid."
            )
        if status == "closed":
            raise SimRefusal(
                409, "trade_expired", "This payment request expired; it can no longer be paid."
            )
        return trade

    def decide(self, trade_no: str, approve: bool) -> Trade:
        trade = self.payable(trade_no)
        now = self.clock.now()
        trade.decided_at = now
        if approve:
            trade.status, trade.paid_at = "paid", now
            trade.fee = fee_for(trade.amount, self.config.fee_rate_bp)
        else:
            trade.status = "declined"
        return trade

    def close(self, merchant_id: str, out_trade_no: str) -> Trade:
        trade = self.trade(merchant_id, out_trade_no)
        if trade.status == "paid":
            raise SimRefusal(409, "already_paid", "a paid trade cannot be closed")
        trade.status = "closed"
        return trade

    def refund(
        self, merchant_id: str, out_trade_no: str, out_refund_no: str, amount: int, reason: str
    ) -> Refund:
        trade = self.trade(merchant_id, out_trade_no)
        for other in self.trades.values():
            existing = other.refunds.get(out_refund_no)
            if other.merchant_id != merchant_id or existing is None:
                continue
            if other is not trade or existing.amount != amount:
                raise SimRefusal(
                    409, "out_refund_no_reused", "this out_refund_no has another trade or amount"
                )
            return existing
        if trade.status != "paid":
            raise SimRefusal(409, "not_paid", "only a paid trade can be refunded")
        before = trade.refunded
        if before + amount > trade.amount:
            raise SimRefusal(
                409,
                "refund_exceeds_paid",
                "refunds would exceed the paid amount",
                {"paid": trade.amount, "refunded": before},
            )
        # The fee is given back in proportion, cumulatively, so a full refund returns all of it.
        fee_back = round_half_up(trade.fee * (before + amount), trade.amount) - round_half_up(
            trade.fee * before, trade.amount
        )
        refund = Refund(out_refund_no, self.number("R"), amount, reason, self.clock.now(), fee_back)
        trade.refunds[out_refund_no] = refund
        return refund

    def statement(self, merchant_id: str, day: date) -> list[Line]:
        """The merchant's pays (by pay time) and refunds (by refund time) of one UTC day, once
        that day has ended by the simulator clock."""
        start = datetime.combine(day, time(), UTC)
        end = start + timedelta(days=1)
        if self.clock.now() < end and not self.faults.intraday_statements:
            raise SimRefusal(409, "statement_not_ready", f"the statement of {day} is not ready")
        lines = [line for line in self.faults.extra_statement_lines if start <= line.at < end]
        lines = [line for line in lines if line.merchant_id in (None, merchant_id)]
        for trade in self.trades.values():
            if trade.merchant_id != merchant_id:
                continue
            if trade.paid_at is not None and start <= trade.paid_at < end:
                lines.append(
                    Line(
                        trade.trade_no,
                        trade.out_trade_no,
                        "pay",
                        trade.amount,
                        trade.fee,
                        trade.paid_at,
                    )
                )
            lines.extend(
                Line(
                    trade.trade_no,
                    trade.out_trade_no,
                    "refund",
                    r.amount,
                    r.fee_back,
                    r.at,
                    r.out_refund_no,
                )
                for r in trade.refunds.values()
                if start <= r.at < end
            )
        return sorted(lines, key=lambda line: (line.at, line.trade_no, line.kind))
