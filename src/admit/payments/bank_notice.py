"""Reading the bank's notification: the form (or JSON) body taken apart strictly, and its
fields checked once the signature verified — a well-signed but malformed notification is not
the bank's either."""

from __future__ import annotations

import json
from collections.abc import Mapping
from datetime import UTC, datetime
from typing import Literal
from urllib.parse import parse_qsl

from admit.payments.gateway import ForgedNotification, Notification

NOTIFY_STATUSES: dict[str, Literal["paid", "declined"]] = {"SUCCESS": "paid", "FAILED": "declined"}
NOTIFICATION_FIELDS = (
    "merchant_id",
    "out_trade_no",
    "trade_no",
    "amount",
    "currency",
    "trade_status",
    "paid_at",
    "notify_id",
    "nonce",
    "sign",
)


def aware(text: str) -> datetime | None:
    """An ISO 8601 time with an offset, as UTC; None when it is not one."""
    try:
        value = datetime.fromisoformat(text)
    except ValueError:
        return None
    return value.astimezone(UTC) if value.tzinfo is not None else None


def digits(text: str) -> bool:
    return text.isascii() and text.isdigit()


def read_fields(body: bytes, content_type: str) -> dict[str, object]:
    media_type = content_type.split(";", 1)[0].strip().lower()
    try:
        text = body.decode("utf-8")
        if media_type == "application/x-www-form-urlencoded":
            pairs = parse_qsl(text, keep_blank_values=True, strict_parsing=bool(text))
            fields: object = dict(pairs)
            if len(fields) != len(pairs):  # type: ignore[arg-type]
                raise ValueError("a field is repeated")
        elif media_type == "application/json":
            fields = json.loads(text)
        else:
            raise ValueError(f"unsupported content type {content_type!r}")
    except ValueError as exc:  # UnicodeDecodeError and JSONDecodeError included
        raise ForgedNotification(
            "the notification cannot be read", details={"reason": "unreadable", "error": str(exc)}
        ) from exc
    if not isinstance(fields, dict):
        raise ForgedNotification(
            "the notification is not an object", details={"reason": "unreadable"}
        )
    return fields


def checked_notification(fields: Mapping[str, object]) -> Notification:
    """A verified notification's fields, checked: a well-signed but malformed one is refused too
    (the bank never sends one, so it is not the bank's)."""
    texts = {
        key: value if isinstance(value := fields.get(key), str) and value else None
        for key in ("out_trade_no", "trade_no", "notify_id")
    }
    amount = _positive_amount(fields.get("amount"))
    status = NOTIFY_STATUSES.get(str(fields.get("trade_status")))
    currency = fields.get("currency")
    currency = currency if isinstance(currency, str) and _is_currency(currency) else None
    raw_paid_at = fields.get("paid_at") or ""
    paid_at = aware(raw_paid_at) if isinstance(raw_paid_at, str) else None
    problems = [key for key, value in texts.items() if value is None]
    problems += [
        key
        for key, bad in (
            ("amount", amount is None),
            ("trade_status", status is None),
            ("currency", currency is None),
            ("paid_at", paid_at is None and (bool(raw_paid_at) or status == "paid")),
        )
        if bad
    ]
    if problems or amount is None or status is None or currency is None:
        raise ForgedNotification(
            "the notification's fields are malformed",
            details={"reason": "malformed", "fields": problems},
        )
    return Notification(
        out_trade_no=str(texts["out_trade_no"]),
        trade_no=str(texts["trade_no"]),
        status=status,
        amount=amount,
        currency=currency,
        paid_at=paid_at,
        notify_id=str(texts["notify_id"]),
    )


def _positive_amount(value: object) -> int | None:
    """Minor units as a positive integer: digits only in forms (no sign, point or exponent)."""
    if isinstance(value, str) and digits(value):
        value = int(value)
    if isinstance(value, int) and not isinstance(value, bool) and value > 0:
        return value
    return None


def _is_currency(text: str) -> bool:
    return len(text) == 3 and text.isascii() and text.isalpha() and text.isupper()
