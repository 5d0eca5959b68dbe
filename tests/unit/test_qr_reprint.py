"""Version 2 of the signed QR payload: a reprinted ticket's payload carries a reprint counter;
a ticket never reprinted is still written (and verified) as version 1."""

from __future__ import annotations

import dataclasses

import pytest

from admit.ticketing.qr_payload import (
    PREFIX,
    ForgedTicket,
    TicketClaims,
    b45decode,
    b45encode,
    generate_key,
    sign,
    verify,
)

PRIVATE, PUBLIC = generate_key()
KID = "org1-2026"
KEYS = {KID: PUBLIC}
CLAIMS = TicketClaims(code="K7Q2M9X4P8ZD", session_id=48213, seat="A-1-7", issued_at=1_795_000_000)


def _body(token: str) -> bytes:
    return b45decode(token[len(PREFIX) :])[:-64]


def test_first_printing_is_version_1_byte_for_byte() -> None:
    token = sign(CLAIMS, kid=KID, private_key=PRIVATE)
    assert _body(token)[0] == 1
    assert verify(token, KEYS) == (KID, CLAIMS)


@pytest.mark.parametrize("reprint", [1, 2, 255])
def test_reprint_round_trips_as_version_2(reprint: int) -> None:
    claims = dataclasses.replace(CLAIMS, reprint=reprint)
    token = sign(claims, kid=KID, private_key=PRIVATE)
    body = _body(token)
    assert body[0] == 2
    assert body[-1] == reprint
    assert verify(token, KEYS) == (KID, claims)
    # One byte more than the first printing's body.
    assert len(body) == len(_body(sign(CLAIMS, kid=KID, private_key=PRIVATE))) + 1


@pytest.mark.parametrize("reprint", [-1, 256, True])
def test_sign_refuses_a_reprint_out_of_range(reprint: int) -> None:
    with pytest.raises(ValueError, match="reprint"):
        sign(dataclasses.replace(CLAIMS, reprint=reprint), kid=KID, private_key=PRIVATE)


def _resigned(body: bytes) -> str:
    from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey

    signature = Ed25519PrivateKey.from_private_bytes(PRIVATE).sign(body)
    return PREFIX + b45encode(body + signature)


def test_version_2_with_reprint_0_or_without_its_byte_is_malformed() -> None:
    # Each printing has one text form: a first printing is never version 2.
    v1 = _body(sign(CLAIMS, kid=KID, private_key=PRIVATE))
    with pytest.raises(ForgedTicket, match="malformed"):
        verify(_resigned(bytes((2,)) + v1[1:] + b"\x00"), KEYS)
    with pytest.raises(ForgedTicket, match="malformed"):
        verify(_resigned(bytes((2,)) + v1[1:]), KEYS)
    with pytest.raises(ForgedTicket, match="malformed"):
        verify(_resigned(bytes((3,)) + v1[1:] + b"\x01"), KEYS)


def test_version_1_with_a_trailing_reprint_byte_is_malformed() -> None:
    v1 = _body(sign(CLAIMS, kid=KID, private_key=PRIVATE))
    with pytest.raises(ForgedTicket, match="malformed"):
        verify(_resigned(v1 + b"\x01"), KEYS)
