"""The offline validation rules (pure): signatures, manifest, time window, gates with lanes,
ID checks, re-entry, manifest updates — and the replay that keeps the first admission."""

from __future__ import annotations

import base64
from datetime import UTC, datetime, timedelta
from typing import Any

import pytest
from hypothesis import given
from hypothesis import strategies as st

from admit.checkin import replay, validation
from admit.checkin.validation import Manifest, Validator
from admit.ticketing import qr_payload

NOW = datetime(2026, 12, 1, 18, 0, tzinfo=UTC)
PRIVATE, PUBLIC = qr_payload.generate_key()
SESSION = 42


def _b64(raw: bytes) -> str:
    return base64.urlsafe_b64encode(raw).decode().rstrip("=")


def _qr(code: str, *, session: int = SESSION, kid: str = "7-aa", key: bytes = PRIVATE) -> str:
    claims = qr_payload.TicketClaims(code=code, session_id=session, seat="L1-A-1", issued_at=1)
    return qr_payload.sign(claims, kid=kid, private_key=key)


def _doc(**over: Any) -> dict[str, Any]:
    doc: dict[str, Any] = {
        "format": validation.FORMAT,
        "session": {"id": SESSION},
        "version": 3,
        "full": True,
        "since": None,
        "admit_from": (NOW - timedelta(hours=1)).isoformat(),
        "admit_until": (NOW + timedelta(hours=4)).isoformat(),
        "policy": {"reentry": False, "identity_check": False, "rules": []},
        "gates": [
            {"code": "N", "parent": None},
            {"code": "N-1", "parent": "N"},
            {"code": "S", "parent": None},
        ],
        "keys": {"7-aa": _b64(PUBLIC)},
        "columns": ["code", "seat", "section", "level", "kind", "holder", "id_tail"],
        "tickets": [
            ["AAA", "Row A seat 1", "101", "L1", "adult", None, None],
            [
                "BBB",
                "Row A seat 2",
                "202",
                "L2",
                "child",
                "张*",
                validation.id_tail("110105194912310021"),
            ],
        ],
        "revoked": {"RRR": "refunded"},
    }
    doc.update(over)
    return doc


def _validator(**over: Any) -> Validator:
    return Validator(Manifest.from_document(_doc(**over)))


def test_forged_altered_wrong_key_and_unknown_kid_are_refused() -> None:
    v = _validator()
    genuine = _qr("AAA")
    body = bytearray(qr_payload.b45decode(genuine[4:]))
    body[-65] ^= 0x01  # the last byte of issued_at
    altered = "AD1:" + qr_payload.b45encode(bytes(body))
    other, _ = qr_payload.generate_key()
    cases = {
        altered: "bad_signature",
        _qr("AAA", key=other): "bad_signature",
        _qr("AAA", kid="8-bb", key=other): "unknown_key",
        "hello": "malformed",
        genuine[:-3]: "malformed",
    }
    for text, reason in cases.items():
        verdict = v.check(text, gate="N", now=NOW)
        assert (verdict.result, verdict.detail, verdict.ok) == ("forged", reason, False)
    assert v.check(genuine + "\n", gate="N", now=NOW).result == "admitted"


def test_manifest_session_revocation_and_time_window() -> None:
    v = _validator()
    assert v.check(_qr("AAA", session=7), gate="N", now=NOW).result == "wrong_session"
    assert v.check(_qr("ZZZ"), gate="N", now=NOW).result == "unknown"
    revoked = v.check(_qr("RRR"), gate="N", now=NOW)
    assert (revoked.result, revoked.detail) == ("revoked", "refunded")
    assert v.check(_qr("AAA"), gate="N", now=NOW - timedelta(hours=2)).result == "not_valid_yet"
    assert v.check(_qr("AAA"), gate="N", now=NOW + timedelta(hours=5)).result == "expired"
    ok = v.check(_qr("AAA"), gate="N", now=NOW)
    assert (ok.result, ok.seat, ok.section, ok.message) == (
        "admitted",
        "Row A seat 1",
        "101",
        "Admitted",
    )


def test_gate_rules_cover_lanes_and_name_the_right_gates() -> None:
    rules = [
        {"gate": "N", "sections": ["101"]},
        {"gate": "S", "levels": ["L2"], "kinds": ["child"]},
    ]
    v = _validator(policy={"rules": rules})
    assert v.check(_qr("AAA"), gate="N-1", now=NOW).result == "admitted"  # lane of N
    wrong = v.check(_qr("AAA"), gate="S", now=NOW)
    assert (wrong.result, wrong.gates, wrong.message) == ("wrong_gate", ("N",), "Wrong gate")
    assert v.check(_qr("BBB"), gate="S", now=NOW).result == "admitted"
    assert v.check(_qr("BBB"), gate="N", now=NOW).gates == ("S",)


def test_identity_is_checked_against_the_numbers_tail() -> None:
    v = _validator(policy={"identity_check": True})
    assert v.check(_qr("BBB"), gate="N", now=NOW).result == "identity_required"
    for typed in ("110105194912310000", "21", "0012"):
        assert v.check(_qr("BBB"), gate="N", now=NOW, id_number=typed).result == (
            "identity_mismatch"
        )
    right = v.check(_qr("BBB"), gate="N", now=NOW, id_number=" 110105 194912310021 ")
    assert (right.result, right.holder) == ("admitted", "张*")
    # The gatekeeper may type only the last four; a device cannot tell more than they show.
    assert v.check(_qr("BBB"), gate="N", now=NOW, id_number="0021").result == "admitted"
    assert v.check(_qr("AAA"), gate="N", now=NOW).result == "admitted"  # no holder: no check


@pytest.mark.parametrize(
    ("number", "tail"),
    [
        ("110105194912310021", "0021"),
        ("11010519491231002x", "002X"),
        ("h 1234 5678", "5678"),
        ("E1234567", "4567"),
        ("E123456", "6"),  # seven or fewer: one character, as the masked form shows
    ],
)
def test_the_tail_is_what_the_masked_number_shows(number: str, tail: str) -> None:
    assert validation.id_tail(number) == tail
    assert validation.id_matches(tail, number)


@pytest.mark.parametrize(("reentry", "again"), [(False, "already_used"), (True, "admitted")])
def test_entry_exit_and_re_entry(reentry: bool, again: str) -> None:
    v = _validator(policy={"reentry": reentry})
    qr = _qr("AAA")
    assert v.scan(qr, gate="N", now=NOW, direction="out").result == "not_inside"
    assert v.scan(qr, gate="N", now=NOW).result == "admitted"
    assert v.scan(qr, gate="N", now=NOW).result == "already_inside"
    assert v.scan(qr, gate="N", now=NOW, direction="out").result == "exited"
    assert v.scan(qr, gate="N", now=NOW).result == again
    fresh = _validator(policy={"reentry": reentry})
    fresh.learn([("AAA", "in")])
    assert fresh.check(qr, gate="N", now=NOW).result == "already_inside"


def test_updates_apply_on_top_of_their_version_only() -> None:
    manifest = Manifest.from_document(_doc())
    update = _doc(
        full=False,
        since=3,
        version=4,
        tickets=[["CCC", "Row B seat 1", "101", "L1", "adult", None, None]],
        revoked={"AAA": "void"},
    )
    manifest.apply(update)
    assert manifest.version == 4
    assert sorted(manifest.entries) == ["AAA", "BBB", "CCC", "RRR"]
    assert manifest.entries["AAA"].revoked == "void"
    assert manifest.entries["AAA"].seat == "Row A seat 1"
    with pytest.raises(ValueError, match="since 3, this is 4"):
        manifest.apply(update)
    with pytest.raises(ValueError, match="another session"):
        manifest.apply(_doc(session={"id": 1}))
    with pytest.raises(ValueError, match="not a full"):
        Manifest.from_document(update)


def _event(i: int, direction: str, minute: int) -> replay.Event:
    return replay.Event(f"s{i:02d}", direction, NOW + timedelta(minutes=minute), f"G{i % 2}")


def test_replay_keeps_the_first_admission_by_device_time() -> None:
    events = [_event(1, "in", 5), _event(2, "in", 1), _event(3, "out", 9), _event(4, "in", 12)]
    once = replay.replay(events, reentry=False)
    assert (once.standing, once.conflicts, once.inside, once.entries) == (
        frozenset({"s02", "s03"}),
        frozenset({"s01", "s04"}),
        False,
        1,
    )
    assert (once.first_gate, once.first_in_at) == ("G0", NOW + timedelta(minutes=1))
    again = replay.replay(events, reentry=True)
    assert (again.standing, again.conflicts, again.inside, again.entries) == (
        frozenset({"s02", "s03", "s04"}),
        frozenset({"s01"}),
        True,
        2,
    )


@given(
    st.lists(
        st.tuples(st.sampled_from(["in", "out"]), st.integers(0, 30)), min_size=1, max_size=12
    ),
    st.randoms(use_true_random=False),
    st.booleans(),
)
def test_replay_does_not_depend_on_arrival_order(
    moves: list[tuple[str, int]], rnd: Any, reentry: bool
) -> None:
    events = [_event(i, d, m) for i, (d, m) in enumerate(moves)]
    shuffled = list(events)
    rnd.shuffle(shuffled)
    first, second = replay.replay(events, reentry=reentry), replay.replay(shuffled, reentry=reentry)
    assert first == second
    admissions = {e.scan_id for e in events if e.direction == "in"}
    assert first.conflicts | (first.standing & admissions) == admissions
    assert first.entries == len(first.standing & admissions)
    assert reentry or first.entries <= 1
