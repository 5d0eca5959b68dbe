"""Simulator of an SMS carrier: signed sends, approved templates, throttling, delivery receipts
(queried or pushed), idempotency keys and fault controls. Business time comes from the
injected clock."""

from __future__ import annotations

import asyncio
import contextlib
import secrets
import uuid
from collections import Counter
from collections.abc import AsyncIterator, Callable, Mapping
from contextlib import AbstractAsyncContextManager
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from typing import Any

import httpx
from fastapi import FastAPI
from fastapi.responses import JSONResponse
from pydantic import BaseModel, Field

from admit.core.clock import Clock, SystemClock
from admit.core.signing import sign_params, signature_valid
from admit.messaging.sms_rules import (
    DEMO_FAILING_SUFFIXES,
    DEMO_SIGN_NAMES,
    DEMO_TEMPLATES,
    DeliveryState,
    Refusal,
    Rendered,
    SmsRequest,
    check_send,
    delivery_state,
    normalise_phone,
)

MAX_SKEW_S = 300
# Older nonces cannot come back: their timestamps would be refused as stale.
NONCE_MEMORY = timedelta(seconds=2 * MAX_SKEW_S)
RECEIPT_POLL_S = 0.05


@dataclass
class SmsSimConfig:
    """``receipt_delay_ms`` is simulator-clock time from send to receipt; ``receipt_url``, when
    set, receives each receipt as a signed POST, tried once per ``receipt_retry_delays_s``."""

    access_key: str
    secret: str
    templates: dict[str, str] = field(default_factory=lambda: dict(DEMO_TEMPLATES))
    sign_names: set[str] = field(default_factory=lambda: set(DEMO_SIGN_NAMES))
    failing_suffixes: tuple[str, ...] = DEMO_FAILING_SUFFIXES
    latency_ms: int = 0
    receipt_delay_ms: int = 0
    receipt_url: str | None = None
    receipt_retry_delays_s: tuple[float, ...] = (0.0, 1.0, 5.0)


@dataclass
class _Message:
    request_id: str
    phone: str
    template: str
    sign_name: str
    params: dict[str, str]
    text: str
    sent_at: datetime
    idempotency_key: str | None = None
    receipt_pushed: bool = False


@dataclass
class _State:
    config: SmsSimConfig
    clock: Clock
    latency_ms: int
    outage: bool = False
    fail_next: int = 0
    messages: dict[str, _Message] = field(default_factory=dict)
    history: dict[str, list[datetime]] = field(default_factory=dict)
    nonces: dict[str, datetime] = field(default_factory=dict)
    keys: dict[str, _Message] = field(default_factory=dict)
    counts: Counter[str] = field(default_factory=Counter)

    def remember(self, nonce: str, now: datetime) -> bool:
        """Record a nonce; False when it was already used."""
        if nonce in self.nonces:
            return False
        for old in [n for n, at in self.nonces.items() if now - at > NONCE_MEMORY]:
            del self.nonces[old]
        self.nonces[nonce] = now
        return True

    def record(self, body: SendBody, rendered: Rendered, now: datetime) -> _Message:
        if rendered.throttled:
            self.history.setdefault(rendered.phone, []).append(now)
        message = _Message(
            request_id=uuid.uuid4().hex,
            phone=rendered.phone,
            template=body.template,
            sign_name=body.sign_name,
            params=dict(body.params),
            text=rendered.text,
            sent_at=now,
            idempotency_key=body.idempotency_key,
        )
        self.messages[message.request_id] = message
        if body.idempotency_key is not None:
            self.keys[body.idempotency_key] = message
        self.counts["accepted"] += 1
        return message

    def earlier(self, body: SendBody) -> _Message | JSONResponse | None:
        """The message an earlier send with this body's idempotency key made; a refusal when
        that send was another message; None when the key is new (or absent)."""
        first = self.keys.get(body.idempotency_key or "")
        if first is None:
            return None
        same = (first.template, first.sign_name, first.params) == (
            body.template,
            body.sign_name,
            body.params,
        ) and first.phone == (normalise_phone(body.phone) or body.phone)
        if not same:
            self.counts["refused_idempotency_key_reused"] += 1
            return _error(
                409,
                "idempotency_key_reused",
                "this idempotency key was used for another message",
                {"request_id": first.request_id},
            )
        self.counts["deduplicated"] += 1
        return first

    def delivery(self, message: _Message) -> tuple[DeliveryState, str | None]:
        return delivery_state(
            phone=message.phone,
            sent_at=message.sent_at,
            now=self.clock.now(),
            receipt_delay=timedelta(milliseconds=self.config.receipt_delay_ms),
            failing_suffixes=self.config.failing_suffixes,
        )


class SendBody(BaseModel):
    access_key: str
    nonce: str
    timestamp: int
    phone: str
    template: str
    params: dict[str, str]
    sign_name: str
    idempotency_key: str | None = Field(default=None, min_length=1, max_length=128)
    sign: str


class Control(BaseModel):
    outage: bool | None = None
    latency_ms: int | None = Field(default=None, ge=0)
    fail_next: int | None = Field(default=None, ge=0)


def _error(
    status: int, code: str, message: str, details: Any = None, headers: dict[str, str] | None = None
) -> JSONResponse:
    return JSONResponse(
        {"error": {"code": code, "message": message, "details": details}},
        status_code=status,
        headers=headers,
    )


async def _gate(state: _State, fields: Mapping[str, Any]) -> JSONResponse | None:
    """Faults first, then authentication: why this API call is refused, or None to serve it."""
    state.counts["requests"] += 1
    if state.latency_ms:
        await asyncio.sleep(state.latency_ms / 1000)
    refusal = _authenticate(state, fields)
    if refusal is not None:
        state.counts[f"refused_{refusal[1]}"] += 1
        return _error(*refusal)
    return None


def _authenticate(state: _State, fields: Mapping[str, Any]) -> tuple[int, str, str] | None:
    if state.outage:
        return 503, "service_unavailable", "the carrier is down"
    if state.fail_next > 0:
        state.fail_next -= 1
        return 500, "internal_error", "the carrier failed"
    config = state.config
    if fields["access_key"] != config.access_key or not signature_valid(fields, config.secret):
        return 401, "bad_signature", "unknown access key or bad signature"
    now = state.clock.now()
    if abs(now.timestamp() - fields["timestamp"]) > MAX_SKEW_S:
        return 401, "stale_timestamp", f"timestamp more than {MAX_SKEW_S} s off"
    if not state.remember(fields["nonce"], now):
        return 409, "replayed_nonce", "this nonce was already used"
    return None


def _refused(state: _State, refusal: Refusal) -> JSONResponse:
    state.counts[f"refused_{refusal.reason}"] += 1
    if refusal.retry_after is not None:
        return _error(
            429,
            refusal.reason,
            refusal.message,
            {"retry_after": refusal.retry_after},
            headers={"Retry-After": str(refusal.retry_after)},
        )
    return _error(400, refusal.reason, refusal.message, {"fields": list(refusal.fields)})


def _listing(state: _State, message: _Message) -> dict[str, Any]:
    delivery, error_code = state.delivery(message)
    return {
        "request_id": message.request_id,
        "phone": message.phone,
        "template": message.template,
        "sign_name": message.sign_name,
        "params": message.params,
        "text": message.text,
        "sent_at": message.sent_at.isoformat(),
        "state": delivery,
        "error_code": error_code,
    }


def _stats(state: _State) -> dict[str, Any]:
    deliveries = Counter(state.delivery(m)[0] for m in state.messages.values())
    return {
        **{name: state.counts[name] for name in ("requests", "accepted", "deduplicated")},
        "refused": {
            name.removeprefix("refused_"): count
            for name, count in sorted(state.counts.items())
            if name.startswith("refused_")
        },
        **{name: deliveries[name] for name in ("queued", "delivered", "failed")},
        **{name: state.counts[name] for name in ("receipts_pushed", "receipts_abandoned")},
    }


async def _send(state: _State, body: SendBody) -> JSONResponse | dict[str, str]:
    refusal = await _gate(state, body.model_dump(exclude_none=True))
    if refusal is not None:
        return refusal
    earlier = state.earlier(body)
    if isinstance(earlier, JSONResponse):
        return earlier
    if earlier is not None:
        return _accepted(state, earlier, body.nonce)
    request = SmsRequest(body.phone, body.template, body.params, body.sign_name)
    now = state.clock.now()
    outcome = check_send(
        request,
        templates=state.config.templates,
        sign_names=state.config.sign_names,
        history=state.history,
        now=now,
    )
    if isinstance(outcome, Refusal):
        return _refused(state, outcome)
    return _accepted(state, state.record(body, outcome, now), body.nonce)


def _accepted(state: _State, message: _Message, nonce: str) -> dict[str, str]:
    answer = {"request_id": message.request_id}
    answer["sign"] = sign_params({**answer, "nonce": nonce}, state.config.secret)
    return answer


async def _status(
    state: _State, request_id: str, fields: dict[str, Any]
) -> JSONResponse | dict[str, Any]:
    refusal = await _gate(state, {**fields, "request_id": request_id})
    if refusal is not None:
        return refusal
    message = state.messages.get(request_id)
    if message is None:
        return _error(404, "unknown_request", f"no message {request_id!r}")
    delivery, error_code = state.delivery(message)
    answer = {"request_id": request_id, "state": delivery, "error_code": error_code}
    answer["sign"] = sign_params({**answer, "nonce": fields["nonce"]}, state.config.secret)
    return answer


def create_sms_app(config: SmsSimConfig, clock: Clock | None = None) -> FastAPI:
    """The simulator as an ASGI app; its state (messages, throttle, nonces, faults) lives with
    the app. Status queries sign ``access_key``, ``nonce``, ``timestamp`` (query parameters)
    together with the request id from the path. A send may carry an ``idempotency_key`` (a
    signed body field): the same key with the same message is answered with the first
    request id and sends nothing (counted as ``deduplicated``), with another message it is
    refused (409 ``idempotency_key_reused``)."""
    state = _State(config=config, clock=clock or SystemClock(), latency_ms=config.latency_ms)
    app = FastAPI(title="SMS carrier (simulator)", lifespan=_lifespan(state))

    @app.post("/v1/sms/send", response_model=None)
    async def send(body: SendBody) -> JSONResponse | dict[str, str]:
        return await _send(state, body)

    @app.get("/v1/sms/{request_id}", response_model=None)
    async def status(
        request_id: str, access_key: str, nonce: str, timestamp: int, sign: str
    ) -> JSONResponse | dict[str, Any]:
        fields = {"access_key": access_key, "nonce": nonce, "timestamp": timestamp, "sign": sign}
        return await _status(state, request_id, fields)

    @app.get("/v1/_messages")
    async def messages(phone: str | None = None) -> list[dict[str, Any]]:
        wanted = None if phone is None else normalise_phone(phone) or phone
        return [
            _listing(state, m)
            for m in state.messages.values()
            if wanted is None or m.phone == wanted
        ]

    @app.post("/v1/_control")
    async def control(change: Control) -> dict[str, Any]:
        for name, value in change.model_dump(exclude_none=True).items():
            setattr(state, name, value)
        return {
            "outage": state.outage,
            "latency_ms": state.latency_ms,
            "fail_next": state.fail_next,
        }

    @app.get("/v1/_stats")
    async def stats() -> dict[str, Any]:
        return _stats(state)

    return app


def _lifespan(state: _State) -> Callable[[FastAPI], AbstractAsyncContextManager[None]]:
    @contextlib.asynccontextmanager
    async def lifespan(_: FastAPI) -> AsyncIterator[None]:
        url = state.config.receipt_url
        if url is None:
            yield
            return
        async with httpx.AsyncClient(timeout=2.0) as client:
            task = asyncio.create_task(_push_receipts(state, client, url))
            try:
                yield
            finally:
                task.cancel()
                with contextlib.suppress(asyncio.CancelledError):
                    await task

    return lifespan


async def _push_receipts(state: _State, client: httpx.AsyncClient, url: str) -> None:
    while True:
        for message in list(state.messages.values()):
            if not message.receipt_pushed and state.delivery(message)[0] != "queued":
                message.receipt_pushed = True
                pushed = await _push_receipt(state, client, message, url)
                state.counts["receipts_pushed" if pushed else "receipts_abandoned"] += 1
        await asyncio.sleep(RECEIPT_POLL_S)


async def _push_receipt(
    state: _State, client: httpx.AsyncClient, message: _Message, url: str
) -> bool:
    """Best effort, like carriers: a few tries, each a fresh signed POST; any 2xx ends it."""
    config = state.config
    delivery, error_code = state.delivery(message)
    for delay in config.receipt_retry_delays_s:
        await asyncio.sleep(delay)
        body: dict[str, Any] = {
            "access_key": config.access_key,
            "nonce": secrets.token_hex(16),
            "timestamp": int(state.clock.now().timestamp()),
            "request_id": message.request_id,
            "phone": message.phone,
            "state": delivery,
            "error_code": error_code,
        }
        body["sign"] = sign_params(body, config.secret)
        with contextlib.suppress(httpx.HTTPError):
            response = await client.post(url, json=body)
            if response.is_success:
                return True
    return False
