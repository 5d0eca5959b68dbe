"""A recording stand-in for the SMS carrier: it keeps what it accepted in memory and refuses
what the carrier would, by the same rules (``admit.messaging.sms_rules``), so tests meet the
carrier's refusals without a network. Test-only: the product ships the HTTP client alone."""

from __future__ import annotations

from collections.abc import Collection, Mapping, Sequence
from dataclasses import dataclass, field
from datetime import datetime, timedelta

from admit.core.clock import Clock, SystemClock
from admit.messaging.sms import (
    DeliveryStatus,
    SmsAccepted,
    SmsRejected,
    SmsThrottled,
    SmsUnavailable,
)
from admit.messaging.sms_rules import (
    DEMO_FAILING_SUFFIXES,
    DEMO_SIGN_NAMES,
    DEMO_TEMPLATES,
    Refusal,
    SmsRequest,
    check_send,
    delivery_state,
)


def _refusal_error(refusal: Refusal) -> SmsRejected | SmsThrottled:
    """The client-side error for a carrier refusal (the same shape the HTTP client raises)."""
    if refusal.retry_after is not None:
        return SmsThrottled(refusal.message, retry_after=refusal.retry_after)
    return SmsRejected(
        refusal.message, details={"reason": refusal.reason, "fields": list(refusal.fields)}
    )


@dataclass(frozen=True)
class SentSms:
    request_id: str
    phone: str
    template: str
    params: Mapping[str, str]
    sign_name: str
    text: str
    sent_at: datetime
    idempotency_key: str | None = None


@dataclass
class RecordingSmsGateway:
    """An in-memory :class:`SmsGateway` for tests: records accepted sends in ``sent`` (national
    numbers, rendered text) and refuses what the carrier would. Set ``unavailable`` to simulate
    an outage. A send with an idempotency key already accepted answers the first request id
    and records nothing (as the simulator does; a key reused for another message is refused)."""

    clock: Clock = field(default_factory=SystemClock)
    templates: Mapping[str, str] = field(default_factory=lambda: dict(DEMO_TEMPLATES))
    sign_names: Collection[str] = DEMO_SIGN_NAMES
    failing_suffixes: Sequence[str] = DEMO_FAILING_SUFFIXES
    receipt_delay: timedelta = timedelta(0)
    unavailable: bool = False
    sent: list[SentSms] = field(default_factory=list)
    _history: dict[str, list[datetime]] = field(default_factory=dict, repr=False)

    async def send(
        self,
        *,
        phone: str,
        template: str,
        params: dict[str, str],
        sign_name: str,
        idempotency_key: str | None = None,
    ) -> SmsAccepted:
        if self.unavailable:
            raise SmsUnavailable("the carrier is down (simulated)", details={"reason": "outage"})
        first = next(
            (s for s in self.sent if idempotency_key and s.idempotency_key == idempotency_key),
            None,
        )
        if first is not None:
            if (first.template, first.params, first.sign_name) != (template, params, sign_name):
                raise SmsRejected(
                    "this idempotency key was used for another message",
                    details={"reason": "idempotency_key_reused"},
                )
            return SmsAccepted(request_id=first.request_id)
        now = self.clock.now()
        request = SmsRequest(phone=phone, template=template, params=params, sign_name=sign_name)
        outcome = check_send(
            request,
            templates=self.templates,
            sign_names=self.sign_names,
            history=self._history,
            now=now,
        )
        if isinstance(outcome, Refusal):
            raise _refusal_error(outcome)
        if outcome.throttled:
            self._history.setdefault(outcome.phone, []).append(now)
        sent = SentSms(
            request_id=f"rec-{len(self.sent) + 1}",
            phone=outcome.phone,
            template=template,
            params=dict(params),
            sign_name=sign_name,
            text=outcome.text,
            sent_at=now,
            idempotency_key=idempotency_key,
        )
        self.sent.append(sent)
        return SmsAccepted(request_id=sent.request_id)

    async def status(self, request_id: str) -> DeliveryStatus:
        if self.unavailable:
            raise SmsUnavailable("the carrier is down (simulated)", details={"reason": "outage"})
        sent = next((s for s in self.sent if s.request_id == request_id), None)
        if sent is None:
            raise SmsRejected(f"no message {request_id!r}", details={"reason": "unknown_request"})
        state, error_code = delivery_state(
            phone=sent.phone,
            sent_at=sent.sent_at,
            now=self.clock.now(),
            receipt_delay=self.receipt_delay,
            failing_suffixes=self.failing_suffixes,
        )
        return DeliveryStatus(request_id=request_id, state=state, error_code=error_code)
