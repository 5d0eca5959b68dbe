"""Signed QR payloads: round trips, Base45 vectors, and that no altered payload verifies."""

from __future__ import annotations

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from admit.ticketing.qr_payload import (
    PREFIX,
    ForgedTicket,
    TicketClaims,
    b45decode,
    b45encode,
    generate_key,
    peek_kid,
    public_key,
    sign,
    verify,
)

PRIVATE, PUBLIC = generate_key()
KID = "org1-2026"
KEYS = {KID: PUBLIC}
SEAT = "North Stand · Block 112 · Row 23 · Seat 17"
CLAIMS = TicketClaims(code="K7Q2M9X4P8ZD", session_id=48213, seat=SEAT, issued_at=1_795_000_000)


def _token(claims: TicketClaims = CLAIMS) -> str:
    return sign(claims, kid=KID, private_key=PRIVATE)


def _reason(text: str, keys: dict[str, bytes] = KEYS) -> str:
    with pytest.raises(ForgedTicket) as caught:
        verify(text, keys)
    return caught.value.reason


# --- Base45 -----------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("raw", "encoded"),
    [
        (b"AB", "BB8"),
        (b"Hello!!", "%69 VD92EX0"),
        (b"base-45", "UJCLQE7W581"),
        (b"ietf!", "QED8WEX0"),
        (b"", ""),
    ],
)
def test_base45_rfc9285_vectors(raw: bytes, encoded: str) -> None:
    assert b45encode(raw) == encoded
    assert b45decode(encoded) == raw


@pytest.mark.parametrize(
    "bad",
    [
        "A",  # length 3n+1
        "BB8B",  # length 3n+1
        "bb8",  # lower case is not in the alphabet
        "BB#",  # '#' is not in the alphabet
        "GGW",  # 65536: one more than two bytes hold (RFC 9285 section 4.2)
        ":::",  # 91124
        "::",  # 2024: more than one byte holds
        "BBé",
    ],
)
def test_base45_decode_rejects(bad: str) -> None:
    with pytest.raises(ValueError, match="base45"):
        b45decode(bad)


@given(st.binary(max_size=300))
def test_base45_round_trip(raw: bytes) -> None:
    encoded = b45encode(raw)
    assert len(encoded) == len(raw) // 2 * 3 + len(raw) % 2 * 2
    assert b45decode(encoded) == raw


# --- signing and verifying --------------------------------------------------------------------


def test_round_trip() -> None:
    token = _token()
    assert token.startswith(PREFIX)
    assert verify(token, KEYS) == (KID, CLAIMS)
    assert peek_kid(token) == KID


def test_realistic_payload_stays_small() -> None:
    # 12-char code, a long seat label with middle dots, kid "org1-2026": 217 characters,
    # all in the QR alphanumeric alphabet (a version 8-M code).
    token = _token()
    assert len(token) == 217
    assert set(token) <= set("0123456789ABCDEFGHIJKLMNOPQRSTUVWXYZ $%*+-./:")


def test_pass_kind_and_empty_seat_round_trip() -> None:
    claims = TicketClaims(code="P", session_id=0, seat="", issued_at=0, kind="P")
    assert verify(_token(claims), KEYS) == (KID, claims)
    biggest = TicketClaims(
        code="~" * 24, session_id=2**64 - 1, seat="é" * 30, issued_at=2**32 - 1, kind="z"
    )
    assert verify(sign(biggest, kid="k" * 16, private_key=PRIVATE), {"k" * 16: PUBLIC})[1] == (
        biggest
    )


def test_every_bit_flip_fails_verification() -> None:
    raw = b45decode(_token()[len(PREFIX) :])
    for position in range(len(raw)):
        for bit in range(8):
            altered = bytearray(raw)
            altered[position] ^= 1 << bit
            with pytest.raises(ForgedTicket):
                verify(PREFIX + b45encode(bytes(altered)), KEYS)


def test_truncated_or_extended_payload_fails() -> None:
    raw = b45decode(_token()[len(PREFIX) :])
    for cut in range(len(raw)):
        assert _reason(PREFIX + b45encode(raw[:cut])) in {"malformed", "bad_signature"}
    assert _reason(PREFIX + b45encode(raw + b"\x00")) in {"malformed", "bad_signature"}


def test_wrong_key_is_a_bad_signature() -> None:
    _, other_public = generate_key()
    assert _reason(_token(), {KID: other_public}) == "bad_signature"


def test_signature_from_another_key_under_our_kid_is_rejected() -> None:
    other_private, _ = generate_key()
    forged = sign(CLAIMS, kid=KID, private_key=other_private)
    assert _reason(forged) == "bad_signature"


def test_unknown_kid() -> None:
    assert _reason(_token(), {"org2-2026": PUBLIC}) == "unknown_key"
    assert _reason(_token(), {}) == "unknown_key"


def test_public_key_is_derived_from_private() -> None:
    assert public_key(PRIVATE) == PUBLIC


@pytest.mark.parametrize(
    "garbage",
    [
        "",
        "AD1:",
        "AD1",
        "ad1:" + "0" * 120,
        "AD2:" + "0" * 120,
        "AD1:" + "0" * 121,  # length 3n+1
        "AD1:" + "a" * 120,  # lower case
        "AD1:" + "0" * 120,  # decodes, but version 0
        "AD1:" + "0" * 3000,  # longer than any payload
        "https://example.org/t/K7Q2M9X4P8ZD",
        "AD1:😀😀😀",
        "\x00",
    ],
)
def test_garbage_is_malformed(garbage: str) -> None:
    assert _reason(garbage) == "malformed"
    with pytest.raises(ForgedTicket, match="malformed"):
        peek_kid(garbage)


def test_lowercased_token_is_malformed() -> None:
    assert _reason(_token().lower()) == "malformed"
    assert _reason(_token() + "\n") == "malformed"


def test_misconfigured_public_key_is_a_value_error_not_a_forgery() -> None:
    with pytest.raises(ValueError, match="32 raw bytes") as caught:
        verify(_token(), {KID: b"short"})
    assert not isinstance(caught.value, ForgedTicket)


@pytest.mark.parametrize(
    ("claims", "kid", "message"),
    [
        (CLAIMS, "", "kid"),
        (CLAIMS, "k" * 17, "kid"),
        (CLAIMS, "org 1", "kid"),
        (CLAIMS, "clé", "kid"),
        (TicketClaims("", 1, "", 0), KID, "code"),
        (TicketClaims("X" * 25, 1, "", 0), KID, "code"),
        (TicketClaims("ÄBC", 1, "", 0), KID, "code"),
        (TicketClaims("ABC", -1, "", 0), KID, "session_id"),
        (TicketClaims("ABC", 2**64, "", 0), KID, "session_id"),
        (TicketClaims("ABC", True, "", 0), KID, "session_id"),
        (TicketClaims("ABC", 1, "", -1), KID, "issued_at"),
        (TicketClaims("ABC", 1, "", 2**32), KID, "issued_at"),
        (TicketClaims("ABC", 1, "x" * 61, 0), KID, "seat"),
        (TicketClaims("ABC", 1, "é" * 31, 0), KID, "seat"),
        (TicketClaims("ABC", 1, "\ud800", 0), KID, "seat"),
        (TicketClaims("ABC", 1, "", 0, kind=""), KID, "kind"),
        (TicketClaims("ABC", 1, "", 0, kind="TP"), KID, "kind"),
        (TicketClaims("ABC", 1, "", 0, kind="7"), KID, "kind"),
    ],
)
def test_sign_rejects_fields_that_do_not_fit(claims: TicketClaims, kid: str, message: str) -> None:
    with pytest.raises(ValueError, match=message):
        sign(claims, kid=kid, private_key=PRIVATE)


def test_sign_rejects_a_bad_private_key() -> None:
    with pytest.raises(ValueError, match="private key"):
        sign(CLAIMS, kid=KID, private_key=PRIVATE[:31])


# --- properties -------------------------------------------------------------------------------

_VISIBLE_ASCII = st.characters(min_codepoint=0x21, max_codepoint=0x7E)
valid_claims = st.builds(
    TicketClaims,
    code=st.text(_VISIBLE_ASCII, min_size=1, max_size=24),
    session_id=st.integers(0, 2**64 - 1),
    seat=st.text(max_size=30).filter(lambda seat: len(seat.encode()) <= 60),
    issued_at=st.integers(0, 2**32 - 1),
    kind=st.sampled_from("TPabcXYZ"),
)


@given(valid_claims, st.text(_VISIBLE_ASCII, min_size=1, max_size=16))
def test_round_trip_over_valid_claims(claims: TicketClaims, kid: str) -> None:
    token = sign(claims, kid=kid, private_key=PRIVATE)
    assert verify(token, {kid: PUBLIC}) == (kid, claims)
    assert peek_kid(token) == kid


@given(st.text())
def test_verify_only_raises_forged_ticket_on_arbitrary_text(text: str) -> None:
    with pytest.raises(ForgedTicket):
        verify(text, KEYS)


_B45_ALPHABET = "0123456789ABCDEFGHIJKLMNOPQRSTUVWXYZ $%*+-./:"


@given(st.text(st.sampled_from(_B45_ALPHABET), max_size=300))
def test_verify_only_raises_forged_ticket_on_base45_text(body: str) -> None:
    with pytest.raises(ForgedTicket):
        verify(PREFIX + body, KEYS)


@given(st.binary(max_size=200))
def test_verify_only_raises_forged_ticket_on_random_payloads(raw: bytes) -> None:
    with pytest.raises(ForgedTicket):
        verify(PREFIX + b45encode(raw), KEYS)


@settings(max_examples=300)
@given(st.data())
def test_random_byte_changes_never_verify(data: st.DataObject) -> None:
    raw = bytearray(b45decode(_token()[len(PREFIX) :]))
    positions = st.lists(st.integers(0, len(raw) - 1), min_size=1, max_size=4, unique=True)
    for position in data.draw(positions):
        raw[position] ^= data.draw(st.integers(1, 255))
    with pytest.raises(ForgedTicket):
        verify(PREFIX + b45encode(bytes(raw)), KEYS)
