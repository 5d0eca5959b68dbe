"""The waiting room's arithmetic and tokens."""

from __future__ import annotations

import hashlib
import hmac
from datetime import UTC, datetime, timedelta

import pytest

from admit.waiting import rules as q

OPENS = datetime(2026, 12, 1, 10, 0, tzinfo=UTC)
ROOM = q.Room(session_id=7, opens_at=OPENS, rate_per_minute=60, admission_minutes=20)


def sign(body: str) -> str:
    return hmac.new(b"k", body.encode(), hashlib.sha256).hexdigest()[:32]


def other_sign(body: str) -> str:
    return hmac.new(b"other", body.encode(), hashlib.sha256).hexdigest()[:32]


def test_nobody_is_let_in_before_the_opening_and_one_a_second_after_it() -> None:
    assert q.admitted_count(ROOM, OPENS - timedelta(seconds=1)) == 0
    assert q.admitted_count(ROOM, OPENS) == 1
    assert q.admitted_count(ROOM, OPENS + timedelta(seconds=9.5)) == 10


def test_standing_counts_the_people_ahead_and_the_wait() -> None:
    at = OPENS + timedelta(seconds=10)
    assert q.standing(ROOM, 10, at) == q.Standing(10, 0, True, at, 0)
    assert q.standing(ROOM, 30, at) == q.Standing(30, 19, False, None, 20)
    assert q.standing(ROOM, 3, at).admitted_at == OPENS + timedelta(seconds=3)


def test_before_the_draw_only_the_time_to_the_opening_is_known() -> None:
    assert q.standing(ROOM, None, OPENS - timedelta(minutes=2)) == q.Standing(
        None, None, False, None, 120
    )


def test_a_queue_token_round_trips_and_refuses_forgeries() -> None:
    ticket = q.QueueTicket(7, "abc", 41, 12)
    token = q.queue_token(ticket, sign)
    assert q.read_queue_token(token, sign) == ticket
    assert q.read_queue_token(q.queue_token(q.QueueTicket(7, "abc", 41, None), sign), sign) == (
        q.QueueTicket(7, "abc", 41, None)
    )
    assert q.read_queue_token(token.replace(".12.", ".1."), sign) is None
    assert q.read_queue_token(token.replace(".41.", ".42."), sign) is None, "another customer"
    assert q.read_queue_token(token, other_sign) is None


@pytest.mark.parametrize(
    "garbage",
    ["", "q2", "q2.7.abc", "a2.7.abc.1.x", "q2.x.abc.1.2.sig", "a2.7.abc.1.²", "....", "....."],
)
def test_garbage_is_not_a_token(garbage: str) -> None:
    assert q.read_queue_token(garbage, sign) is None
    assert q.read_admission_token(garbage, sign, now=OPENS) is None


def test_an_admission_names_its_customer_and_expires() -> None:
    granted = q.Admission(7, "abc", 41, OPENS + timedelta(minutes=20))
    token = q.admission_token(granted, sign)
    assert q.read_admission_token(token, sign, now=OPENS) == granted
    assert q.read_admission_token(token, sign, now=OPENS + timedelta(minutes=20)) is None
    assert q.read_admission_token(token, other_sign, now=OPENS) is None
    assert q.read_admission_token(token.replace("a2.7", "a2.8"), sign, now=OPENS) is None
    assert q.read_admission_token(token.replace(".41.", ".42."), sign, now=OPENS) is None
