"""The bank gateway's HTTP protocol and its client (``HttpBankGateway``).

Requests are JSON (the statement: query parameters) carrying ``merchant_id``, ``nonce``,
``timestamp`` and ``sign`` (HMAC-SHA256 over the sorted ``key=value`` pairs, see
:mod:`admit.core.signing`). JSON answers are signed over their fields plus the request's nonce, so
a forged or replayed answer is refused. Errors are ``{"error": {"code", "message", "details"}}``.
Notifications are form-urlencoded POSTs signed the same way; the merchant answers ``success``.

A 4xx means the bank refused and did nothing (:class:`GatewayRefused`, or
:class:`TradeNotFound`); that includes ``bad_signature`` / ``stale_timestamp`` /
``replayed_nonce``, which are our own setup's fault and need fixing, not retrying. A timeout,
transport error, 5xx or an answer we cannot trust is :class:`GatewayUnavailable`: the outcome is
unknown until queried."""

from __future__ import annotations

import asyncio
import csv
import hmac
import io
import secrets
from collections.abc import Mapping
from datetime import UTC, date, datetime
from typing import Any, Literal

import httpx

from admit.core.clock import Clock, SystemClock
from admit.core.outbound import outside_client
from admit.core.signing import sign_params, signature_valid
from admit.payments.bank_notice import (
    aware,
    checked_notification,
    digits,
    read_fields,
)
from admit.payments.gateway import (
    CreatedTrade,
    ForgedNotification,
    GatewayRefused,
    GatewayUnavailable,
    Notification,
    PaymentGateway,
    RefundResult,
    StatementLine,
    TradeNotFound,
    TradeState,
    TradeStatus,
)

TRADES_PATH = "/gateway/trades"
QUERY_PATH = "/gateway/query"
CLOSE_PATH = "/gateway/close"
REFUNDS_PATH = "/gateway/refunds"
REFUND_QUERY_PATH = "/gateway/refund-query"
STATEMENT_PATH = "/gateway/statement"
STATEMENT_COLUMNS = ("trade_no", "out_trade_no", "type", "amount", "fee", "time", "out_refund_no")
# Wire names of trade states (queries) and of notified outcomes.
TRADE_STATUSES: dict[str, TradeStatus] = {
    "NOTPAY": "unpaid",
    "SUCCESS": "paid",
    "FAILED": "declined",
    "CLOSED": "closed",
}
LINE_KINDS: dict[str, Literal["pay", "refund"]] = {"pay": "pay", "refund": "refund"}
ACK = "success"


class HttpBankGateway(PaymentGateway):
    """The bank's HTTP API for one merchant. ``timeout`` bounds each whole call (also over
    in-process transports, which ignore httpx's own timeouts)."""

    name = "bank"
    ack = ACK

    def __init__(
        self,
        base_url: str,
        merchant_id: str,
        secret: str,
        *,
        timeout: float = 5.0,
        transport: httpx.AsyncBaseTransport | None = None,
        clock: Clock | None = None,
    ) -> None:
        self._merchant_id = merchant_id
        self._secret = secret
        self._timeout = timeout
        self._clock = clock or SystemClock()
        self._client = outside_client(
            base_url=base_url.rstrip("/"), transport=transport, timeout=timeout
        )

    async def aclose(self) -> None:
        await self._client.aclose()

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
        if expires_at.tzinfo is None:
            raise ValueError("expires_at must be timezone-aware")
        answer = await self._json_call(
            TRADES_PATH,
            {
                "out_trade_no": out_trade_no,
                "amount": amount,
                "currency": currency,
                "subject": subject,
                "notify_url": notify_url,
                "return_url": return_url,
                "expires_at": expires_at.astimezone(UTC).isoformat(),
            },
        )
        _expect(answer, "out_trade_no", out_trade_no)
        return CreatedTrade(
            trade_no=_str(answer, "trade_no"),
            pay_url=_str(answer, "pay_url"),
            qr_content=_str(answer, "qr_content"),
        )

    async def query(self, out_trade_no: str) -> TradeState:
        answer = await self._json_call(QUERY_PATH, {"out_trade_no": out_trade_no})
        return _trade_state(answer, out_trade_no)

    async def close(self, out_trade_no: str) -> TradeState:
        answer = await self._json_call(CLOSE_PATH, {"out_trade_no": out_trade_no})
        return _trade_state(answer, out_trade_no)

    async def refund(
        self, *, out_trade_no: str, out_refund_no: str, amount: int, reason: str
    ) -> RefundResult:
        answer = await self._json_call(
            REFUNDS_PATH,
            {
                "out_trade_no": out_trade_no,
                "out_refund_no": out_refund_no,
                "amount": amount,
                "reason": reason,
            },
        )
        _expect(answer, "out_trade_no", out_trade_no)
        _expect(answer, "out_refund_no", out_refund_no)
        _expect(answer, "refund_status", "SUCCESS")
        return RefundResult(
            out_refund_no=out_refund_no,
            refund_no=_str(answer, "refund_no"),
            amount=_int(answer, "amount"),
            status="done",
        )

    async def refund_query(self, *, out_trade_no: str, out_refund_no: str) -> RefundResult | None:
        try:
            answer = await self._json_call(
                REFUND_QUERY_PATH, {"out_trade_no": out_trade_no, "out_refund_no": out_refund_no}
            )
        except GatewayRefused as exc:
            if exc.reason == "refund_not_found":
                return None
            raise
        _expect(answer, "out_trade_no", out_trade_no)
        _expect(answer, "out_refund_no", out_refund_no)
        _expect(answer, "refund_status", "SUCCESS")
        return RefundResult(
            out_refund_no=out_refund_no,
            refund_no=_str(answer, "refund_no"),
            amount=_int(answer, "amount"),
            status="done",
        )

    async def statement(self, day: date) -> list[StatementLine]:
        """The CSV statement (unsigned, like the banks' bill downloads), parsed and checked."""
        signed = self._signed({"day": day.isoformat()})
        response = await self._request("GET", STATEMENT_PATH, signed)
        return _statement_lines(response.text)

    def parse_notification(self, body: bytes, content_type: str) -> Notification:
        fields = read_fields(body, content_type)
        merchant = fields.get("merchant_id")
        if not (
            isinstance(merchant, str)
            and hmac.compare_digest(merchant.encode(), self._merchant_id.encode())
            and signature_valid(fields, self._secret)
        ):
            raise ForgedNotification(
                "the notification is not signed by the bank for this merchant",
                details={"reason": "bad_signature"},
            )
        return checked_notification(fields)

    def _signed(self, fields: Mapping[str, object]) -> dict[str, Any]:
        body: dict[str, Any] = {
            "merchant_id": self._merchant_id,
            "nonce": secrets.token_hex(16),
            "timestamp": int(self._clock.now().timestamp()),
            **fields,
        }
        body["sign"] = sign_params(body, self._secret)
        return body

    async def _json_call(self, path: str, fields: Mapping[str, object]) -> dict[str, Any]:
        signed = self._signed(fields)
        response = await self._request("POST", path, signed)
        try:
            answer = response.json()
        except ValueError:
            answer = None
        if not isinstance(answer, dict):
            raise _malformed("the answer is not a JSON object")
        unsigned = {key: value for key, value in answer.items() if key != "sign"}
        if not signature_valid(
            {**unsigned, "nonce": signed["nonce"], "sign": answer.get("sign")}, self._secret
        ):
            raise GatewayUnavailable(
                "the bank's answer is not validly signed", details={"reason": "bad_signature"}
            )
        return unsigned

    async def _request(
        self, method: Literal["GET", "POST"], path: str, body: dict[str, Any]
    ) -> httpx.Response:
        try:
            async with asyncio.timeout(self._timeout):
                if method == "GET":
                    response = await self._client.get(path, params=body)
                else:
                    response = await self._client.post(path, json=body)
        except (TimeoutError, httpx.TimeoutException) as exc:
            raise GatewayUnavailable("the bank timed out", details={"reason": "timeout"}) from exc
        except httpx.HTTPError as exc:
            raise GatewayUnavailable(
                "the bank is unreachable", details={"reason": "transport", "error": str(exc)}
            ) from exc
        if response.status_code != 200:
            raise _http_error(response)
        return response


def _http_error(
    response: httpx.Response,
) -> GatewayUnavailable | GatewayRefused | TradeNotFound:
    try:
        payload = response.json()
    except ValueError:
        payload = None
    error = payload.get("error") if isinstance(payload, dict) else None
    error = error if isinstance(error, dict) else {}
    status = response.status_code
    code = str(error.get("code") or f"http_{status}")
    message = str(error.get("message") or f"the bank answered {status}")
    if 400 <= status < 500 and code == "trade_not_found":
        return TradeNotFound(message, details={"reason": code})
    if 400 <= status < 500:
        return GatewayRefused(code, message, details={"status": status})
    return GatewayUnavailable(message, details={"reason": code, "status": status})


def _malformed(message: str) -> GatewayUnavailable:
    return GatewayUnavailable(message, details={"reason": "malformed_answer"})


def _str(answer: Mapping[str, Any], key: str) -> str:
    value = answer.get(key)
    if not isinstance(value, str) or not value:
        raise _malformed(f"no {key} in the answer")
    return value


def _int(answer: Mapping[str, Any], key: str) -> int:
    value = answer.get(key)
    if not isinstance(value, int) or isinstance(value, bool) or value < 0:
        raise _malformed(f"no {key} in the answer")
    return value


def _expect(answer: Mapping[str, Any], key: str, wanted: str) -> None:
    if answer.get(key) != wanted:
        raise _malformed(f"the answer's {key} is not {wanted!r}")


def _trade_state(answer: Mapping[str, Any], out_trade_no: str) -> TradeState:
    _expect(answer, "out_trade_no", out_trade_no)
    status = TRADE_STATUSES.get(str(answer.get("trade_status")))
    raw_paid_at = answer.get("paid_at")
    paid_at = aware(raw_paid_at) if isinstance(raw_paid_at, str) else None
    if status is None or (raw_paid_at is not None and paid_at is None):
        raise _malformed("no valid trade state in the answer")
    return TradeState(
        out_trade_no=out_trade_no,
        trade_no=_str(answer, "trade_no"),
        status=status,
        amount=_int(answer, "amount"),
        currency=_str(answer, "currency"),
        paid_at=paid_at,
        refunded=_int(answer, "refunded"),
    )


def _statement_lines(text: str) -> list[StatementLine]:
    rows = list(csv.reader(io.StringIO(text)))
    if not rows or tuple(rows[0]) != STATEMENT_COLUMNS:
        raise _malformed("the statement does not start with the expected header")
    lines: list[StatementLine] = []
    for row in rows[1:]:
        record = dict(zip(STATEMENT_COLUMNS, row, strict=False))
        kind, at = LINE_KINDS.get(record.get("type", "")), aware(record.get("time", ""))
        amount, fee = record.get("amount", ""), record.get("fee", "")
        if (
            len(row) != len(STATEMENT_COLUMNS)
            or kind is None
            or at is None
            or not (digits(amount) and digits(fee))
        ):
            raise _malformed(f"statement line {len(lines) + 1} is malformed")
        lines.append(
            StatementLine(
                trade_no=record["trade_no"],
                out_trade_no=record["out_trade_no"],
                kind=kind,
                amount=int(amount),
                fee=int(fee),
                at=at,
                out_refund_no=record["out_refund_no"] or None,
            )
        )
    return lines
