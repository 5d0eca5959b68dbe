import hashlib
import hmac
from collections.abc import Mapping, Sequence
from datetime import UTC, datetime, timedelta

import pytest

from admit.core.clock import FixedClock
from admit.core.signing import sign_params, signature_valid
from admit.messaging.sms import (
    DeliveryStatus,
    SmsAccepted,
    SmsRejected,
    SmsThrottled,
    SmsUnavailable,
)
from admit.messaging.sms_rules import (
    DEMO_SIGN_NAMES,
    DEMO_TEMPLATES,
    Refusal,
    Rendered,
    SmsRequest,
    check_send,
    delivery_state,
    missing_variables,
    normalise_phone,
    render,
    template_variables,
    throttle_wait,
)
from tests.fakes.sms import RecordingSmsGateway, SentSms

T0 = datetime(2026, 11, 22, 8, 0, tzinfo=UTC)
VERIFY = "Your code is ${code}, valid for ${minutes} minutes."


def _at(*seconds: float) -> list[datetime]:
    return [T0 + timedelta(seconds=s) for s in seconds]


def _check(
    phone: str = "13800138000",
    template: str = "SMS_VERIFY_CODE",
    params: Mapping[str, str] | None = None,
    sign_name: str = "Admit",
    history: Mapping[str, Sequence[datetime]] | None = None,
    now: datetime = T0,
) -> Rendered | Refusal:
    request = SmsRequest(
        phone=phone,
        template=template,
        params={"code": "123456", "minutes": "5"} if params is None else params,
        sign_name=sign_name,
    )
    return check_send(
        request,
        templates=DEMO_TEMPLATES,
        sign_names=DEMO_SIGN_NAMES,
        history=history or {},
        now=now,
    )


@pytest.mark.parametrize(
    ("phone", "national"),
    [
        ("13800138000", "13800138000"),
        ("+8619912345678", "19912345678"),
        ("15000000000", "15000000000"),
        ("12800138000", None),  # second digit must be 3-9
        ("1380013800", None),  # 10 digits
        ("138001380001", None),  # 12 digits
        ("8613800138000", None),  # country code needs its plus
        ("+8513800138000", None),
        ("138 0013 8000", None),
        ("", None),
    ],
)
def test_phone_numbers_are_mainland_mobiles(phone: str, national: str | None) -> None:
    assert normalise_phone(phone) == national


def test_templates_render_every_variable() -> None:
    assert template_variables("${a} and ${b} and ${a} again, not $c") == ("a", "b")
    assert render(VERIFY, {"code": "123456", "minutes": "5"}) == (
        "Your code is 123456, valid for 5 minutes."
    )
    assert missing_variables(VERIFY, {"code": "1", "extra": "x"}) == ("minutes",)
    with pytest.raises(KeyError):
        render(VERIFY, {"code": "1"})


def test_an_acceptable_send_is_rendered_for_the_national_number() -> None:
    assert _check(phone="+8613800138000") == Rendered(
        phone="13800138000", text="Your code is 123456, valid for 5 minutes.", throttled=True
    )
    confirmed = _check(
        template="SMS_ORDER_CONFIRMED",
        params={
            "order": "A-17",
            "event": "Night Film",
            "time": "Sat 12 Dec 19:30",
            "seats": "Row 5 Seats 7-8",
            "pickup": "884213",
        },
    )
    assert confirmed == Rendered(
        phone="13800138000",
        text=(
            "Order A-17 confirmed: Night Film, Sat 12 Dec 19:30. Row 5 Seats 7-8. "
            "Pickup code 884213."
        ),
        throttled=False,
    )


@pytest.mark.parametrize(
    ("kwargs", "reason", "fields"),
    [
        ({"phone": "12345"}, "invalid_phone", ()),
        ({"sign_name": "Acme"}, "unknown_sign_name", ()),
        ({"template": "SMS_MARKETING"}, "unknown_template", ()),
        ({"params": {"code": "123456"}}, "missing_params", ("minutes",)),
        ({"params": {"code": "1" * 36, "minutes": "5"}}, "param_too_long", ("code",)),
    ],
)
def test_refusals_name_their_reason(
    kwargs: dict[str, object], reason: str, fields: tuple[str, ...]
) -> None:
    outcome = _check(**kwargs)  # type: ignore[arg-type]
    assert isinstance(outcome, Refusal)
    assert (outcome.reason, outcome.fields, outcome.retry_after) == (reason, fields, None)


def test_a_35_character_value_is_still_accepted() -> None:
    assert isinstance(_check(params={"code": "1" * 35, "minutes": "5"}), Rendered)


@pytest.mark.parametrize(
    ("previous", "now_s", "wait"),
    [
        ((), 0, 0),
        ((0,), 20, 40),  # 1 per minute
        ((0,), 59.5, 1),  # rounded up, never 0 while still blocked
        ((0,), 60, 0),  # the window is rolling and half-open
        ((0, 120, 240, 360, 480), 600, 3000),  # 6th in an hour waits for the 1st to age out
        ((0, 120, 240, 360), 600, 0),
        (tuple(h * 7200 for h in range(10)), 72000, 14400),  # 11th in a day
        (tuple(h * 7200 for h in range(9)), 72000, 0),
        ((0, 1800, 3000, 3300, 3500), 3530, 70),  # hour limit outlasts the minute limit
        ((-90000, -86400, 0), 20, 40),  # sends more than a day old no longer count
    ],
)
def test_throttle_windows(previous: tuple[float, ...], now_s: float, wait: int) -> None:
    assert throttle_wait(_at(*previous), T0 + timedelta(seconds=now_s)) == wait


def test_throttle_applies_to_verification_templates_per_number() -> None:
    history = {"13800138000": _at(0)}
    now = T0 + timedelta(seconds=20)
    throttled = _check(history=history, now=now)
    assert throttled == Refusal("throttled", "too many codes to 13800138000", retry_after=40)
    assert isinstance(_check(phone="13900139000", history=history, now=now), Rendered)
    reset = _check(
        template="SMS_PASSWORD_RESET", params={"password": "x7Kq"}, history=history, now=now
    )
    assert isinstance(reset, Rendered)
    assert reset.throttled is False


def test_receipts_arrive_after_the_delay_and_fail_for_unreachable_numbers() -> None:
    def state(phone: str, after: int) -> tuple[str, str | None]:
        return delivery_state(
            phone=phone,
            sent_at=T0,
            now=T0 + timedelta(seconds=after),
            receipt_delay=timedelta(seconds=30),
            failing_suffixes=("0000",),
        )

    assert state("13800138000", 29) == ("queued", None)
    assert state("13800138000", 30) == ("delivered", None)
    assert state("13800000000", 30) == ("failed", "UNDELIVERABLE")


def test_signature_covers_sorted_fields_with_params_as_canonical_json() -> None:
    fields = {"b": "2", "a": 1, "params": {"z": "1", "y": "é"}, "ok": True, "none": None}
    material = 'a=1&b=2&none=null&ok=true&params={"y":"é","z":"1"}'
    expected = hmac.new(b"s3cret", material.encode(), hashlib.sha256).hexdigest()
    assert sign_params(fields, "s3cret") == expected
    assert sign_params({**fields, "sign": "ignored"}, "s3cret") == expected
    assert signature_valid({**fields, "sign": expected}, "s3cret")
    assert not signature_valid({**fields, "b": "3", "sign": expected}, "s3cret")
    assert not signature_valid(fields, "s3cret")


# The recording fake shares the rules above, so other slices' tests meet the carrier's refusals.


async def test_the_fake_records_rendered_sends_and_reports_receipts() -> None:
    clock = FixedClock(T0)
    sms = RecordingSmsGateway(clock=clock, receipt_delay=timedelta(seconds=5))
    accepted = await sms.send(
        phone="+8613800000000",
        template="SMS_PASSWORD_RESET",
        params={"password": "x7Kq"},
        sign_name="Admit",
    )
    assert accepted == SmsAccepted(request_id="rec-1")
    assert sms.sent == [
        SentSms(
            request_id="rec-1",
            phone="13800000000",
            template="SMS_PASSWORD_RESET",
            params={"password": "x7Kq"},
            sign_name="Admit",
            text="Your new password is x7Kq.",
            sent_at=T0,
        )
    ]
    assert await sms.status("rec-1") == DeliveryStatus("rec-1", "queued", None)
    clock.advance(timedelta(seconds=5))
    assert await sms.status("rec-1") == DeliveryStatus("rec-1", "failed", "UNDELIVERABLE")
    with pytest.raises(SmsRejected) as unknown:
        await sms.status("rec-9")
    assert unknown.value.details == {"reason": "unknown_request"}


async def test_the_fake_refuses_like_the_carrier_and_records_nothing() -> None:
    clock = FixedClock(T0)
    sms = RecordingSmsGateway(clock=clock)
    code = {"code": "123456", "minutes": "5"}
    await sms.send(phone="13800138000", template="SMS_VERIFY_CODE", params=code, sign_name="Admit")
    clock.advance(timedelta(seconds=20))
    with pytest.raises(SmsThrottled) as throttled:
        await sms.send(
            phone="13800138000", template="SMS_VERIFY_CODE", params=code, sign_name="Admit"
        )
    assert (throttled.value.retry_after, throttled.value.details) == (40, {"retry_after": 40})
    with pytest.raises(SmsRejected) as rejected:
        await sms.send(
            phone="13800138000",
            template="SMS_VERIFY_CODE",
            params={"code": "1"},
            sign_name="Admit",
        )
    assert rejected.value.details == {"reason": "missing_params", "fields": ["minutes"]}
    sms.unavailable = True
    with pytest.raises(SmsUnavailable):
        await sms.send(
            phone="13900139000", template="SMS_VERIFY_CODE", params=code, sign_name="Admit"
        )
    assert [s.request_id for s in sms.sent] == ["rec-1"]
