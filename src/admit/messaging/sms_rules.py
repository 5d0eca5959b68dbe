"""Pure carrier rules for SMS: phone numbers, approved templates, throttling, receipts. No I/O;
shared by the carrier simulator and the recording fake so both refuse exactly the same sends."""

from __future__ import annotations

import math
import re
from collections.abc import Collection, Mapping, Sequence
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Literal

DeliveryState = Literal["queued", "delivered", "failed"]

DEMO_TEMPLATES: Mapping[str, str] = {
    "SMS_VERIFY_CODE": "Your code is ${code}, valid for ${minutes} minutes.",
    "SMS_ORDER_CONFIRMED": "Order ${order} confirmed: ${event}, ${time}. ${seats}. "
    "Pickup code ${pickup}.",
    "SMS_PASSWORD_RESET": "Your new password is ${password}.",
    "SMS_PAYMENT_REFUNDED": "Order ${order}: ${amount} was refunded (${reason}).",
    "SMS_PARTNER_CONFIRMED": "Order ${order} at ${cinema}: ${seats}. "
    "Pickup no. ${print_no}, verify code ${verify}.",
}
DEMO_SIGN_NAMES: frozenset[str] = frozenset({"Admit"})
# Numbers ending like this get a failed receipt, so tests can reach the failure path.
DEMO_FAILING_SUFFIXES: tuple[str, ...] = ("0000",)
UNDELIVERABLE = "UNDELIVERABLE"

# Carriers cap each template variable's value (Aliyun: 35 characters).
MAX_PARAM_LENGTH = 35
# The common carrier default for verification codes to one number: 1/minute, 5/hour, 10/day.
THROTTLE_WINDOWS: tuple[tuple[timedelta, int], ...] = (
    (timedelta(minutes=1), 1),
    (timedelta(hours=1), 5),
    (timedelta(days=1), 10),
)

_PHONE = re.compile(r"(?:\+86)?(1[3-9]\d{9})")
_VARIABLE = re.compile(r"\$\{([A-Za-z_][A-Za-z0-9_]*)\}")


@dataclass(frozen=True)
class SmsRequest:
    phone: str
    template: str
    params: Mapping[str, str]
    sign_name: str


@dataclass(frozen=True)
class Rendered:
    """An acceptable send: the national number, the text the handset shows, and whether the
    send counts towards the number's verification-code throttle."""

    phone: str
    text: str
    throttled: bool


@dataclass(frozen=True)
class Refusal:
    """Why a carrier refuses a send; ``retry_after`` (seconds) is set only for throttling."""

    reason: str
    message: str
    fields: tuple[str, ...] = ()
    retry_after: int | None = None


def normalise_phone(phone: str) -> str | None:
    """The 11-digit mainland mobile number, with any ``+86`` prefix removed, or ``None``."""
    match = _PHONE.fullmatch(phone)
    return match.group(1) if match else None


def template_variables(text: str) -> tuple[str, ...]:
    """The ``${name}`` variables of a template, in first-use order, each once."""
    return tuple(dict.fromkeys(_VARIABLE.findall(text)))


def missing_variables(text: str, params: Mapping[str, str]) -> tuple[str, ...]:
    return tuple(name for name in template_variables(text) if name not in params)


def render(text: str, params: Mapping[str, str]) -> str:
    """The template with every ``${name}`` replaced; raises ``KeyError`` for a missing one."""
    return _VARIABLE.sub(lambda m: params[m.group(1)], text)


def is_throttled_template(template: str) -> bool:
    return "VERIFY" in template


def throttle_wait(previous: Sequence[datetime], now: datetime) -> int:
    """Seconds until one more verification code may go to a number that received codes at
    ``previous`` (rolling windows; 0 means now). Each full window waits for enough of its oldest
    sends to age out."""
    wait = timedelta(0)
    for window, limit in THROTTLE_WINDOWS:
        recent = sorted(t for t in previous if now - window < t <= now)
        if len(recent) >= limit:
            wait = max(wait, recent[len(recent) - limit] + window - now)
    return math.ceil(wait.total_seconds())


def check_send(
    request: SmsRequest,
    *,
    templates: Mapping[str, str],
    sign_names: Collection[str],
    history: Mapping[str, Sequence[datetime]],
    now: datetime,
) -> Rendered | Refusal:
    """Apply the carrier's rules in its order: number, sign name, template, parameters, throttle.
    ``history`` maps national numbers to the times of their accepted verification codes."""
    phone = normalise_phone(request.phone)
    if phone is None:
        return Refusal("invalid_phone", f"{request.phone!r} is not a mainland mobile number")
    if request.sign_name not in sign_names:
        return Refusal("unknown_sign_name", f"sign name {request.sign_name!r} is not approved")
    text = templates.get(request.template)
    if text is None:
        return Refusal("unknown_template", f"template {request.template!r} is not approved")
    refusal = _check_params(text, request.params)
    if refusal is not None:
        return refusal
    throttled = is_throttled_template(request.template)
    if throttled:
        wait = throttle_wait(history.get(phone, ()), now)
        if wait > 0:
            return Refusal("throttled", f"too many codes to {phone}", retry_after=wait)
    return Rendered(phone=phone, text=render(text, request.params), throttled=throttled)


def _check_params(text: str, params: Mapping[str, str]) -> Refusal | None:
    missing = missing_variables(text, params)
    if missing:
        return Refusal("missing_params", "template variables not supplied", fields=missing)
    too_long = tuple(
        name for name in template_variables(text) if len(params[name]) > MAX_PARAM_LENGTH
    )
    if too_long:
        return Refusal(
            "param_too_long", f"values longer than {MAX_PARAM_LENGTH} characters", too_long
        )
    return None


def delivery_state(
    *,
    phone: str,
    sent_at: datetime,
    now: datetime,
    receipt_delay: timedelta,
    failing_suffixes: Sequence[str],
) -> tuple[DeliveryState, str | None]:
    """A message's state at ``now``: queued until the receipt is due, then delivered, or failed
    with a carrier error code for numbers the carrier cannot reach."""
    if now < sent_at + receipt_delay:
        return "queued", None
    if phone.endswith(tuple(failing_suffixes)):
        return "failed", UNDELIVERABLE
    return "delivered", None
