"""The signed ticket payload a gate verifies offline (invariant: tickets cannot be forged).

A ticket's QR code holds ``"AD1:" + base45(payload)``. Base45 (RFC 9285) uses exactly the
QR alphanumeric alphabet, so the code is encoded in alphanumeric mode and stays small. The
payload is Ed25519-signed: a gate holding only the public keys can tell a genuine ticket from a
forged or altered one without a network. Whether the ticket is still valid (not refunded, not
already scanned) is the gate's business, not this module's.

Binary layout, versions 1 and 2 (every length is one unsigned byte)::

    version      1 byte: 1, or 2 for a reprinted ticket
    kid          length (1..16) + ASCII; names the signing key, so keys can rotate
    kind         1 ASCII letter: "T" ticket, "P" pass
    code         length (1..24) + ASCII; the ticket code
    session_id   unsigned LEB128 varint, minimal form, 1..10 bytes, < 2**64
    seat         length (0..60) + UTF-8; seat label or GA area code
    issued_at    4 bytes, big-endian unsigned unix seconds
    reprint      version 2 only: 1 byte, 1..255, how many times the ticket was reissued
    signature    64 bytes, Ed25519 over every byte before it

Version 2 is version 1 with one byte more: a thermal ticket reissued after a print exception
(``production``) carries a new code and a bumped ``reprint``, so a printed stub says which
printing it is. A ticket never reprinted is still written as version 1, byte for byte as
before, and every version-1 payload keeps verifying.

The session id is a varint because real ids are small: 2-3 bytes instead of 8 saves up to nine
characters of QR text. Kid and code are visible ASCII (0x21-0x7E, no spaces). Every field has
one encoding only (minimal varint, strict UTF-8, canonical Base45 groups), so a ticket has
exactly one valid text form. Pure module: no I/O."""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from typing import Literal

from cryptography.exceptions import InvalidSignature
from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey, Ed25519PublicKey

PREFIX = "AD1:"
VERSION = 1
REPRINT_VERSION = 2  # version 1 plus a reprint byte
MAX_REPRINT = 255
MAX_KID = 16
MAX_CODE = 24
MAX_SEAT_BYTES = 60
SIGNATURE_BYTES = 64
KEY_BYTES = 32
# version, kid, kind, code, varint session, seat, issued_at, signature: the largest payload.
MAX_PAYLOAD_BYTES = 1 + (1 + MAX_KID) + 1 + (1 + MAX_CODE) + 10 + (1 + MAX_SEAT_BYTES) + 4 + 1 + 64

Reason = Literal["malformed", "unknown_key", "bad_signature"]


@dataclass(frozen=True, slots=True)
class TicketClaims:
    """What a ticket asserts: which code admits to which session, where, since when."""

    code: str
    session_id: int
    seat: str
    issued_at: int
    kind: str = "T"
    reprint: int = 0  # 0: the first printing (version 1); 1..255: reissued (version 2)


class ForgedTicket(ValueError):
    """A payload that must not admit anyone; ``reason`` says why, for the gate's log.

    ``malformed``: not a payload of ours at all (or damaged); ``unknown_key``: well formed but
    signed with a key the gate does not hold; ``bad_signature``: altered or forged."""

    def __init__(self, reason: Reason) -> None:
        super().__init__(reason)
        self.reason: Reason = reason


# --- Base45 (RFC 9285) ------------------------------------------------------------------------

_B45 = "0123456789ABCDEFGHIJKLMNOPQRSTUVWXYZ $%*+-./:"
_B45_INDEX = {char: index for index, char in enumerate(_B45)}


def b45encode(data: bytes) -> str:
    """Base45 per RFC 9285: each two bytes become three characters, a last odd byte two."""
    out: list[str] = []
    for i in range(0, len(data) - 1, 2):
        rest, c = divmod(data[i] * 256 + data[i + 1], 45)
        e, d = divmod(rest, 45)
        out += (_B45[c], _B45[d], _B45[e])
    if len(data) % 2:
        d, c = divmod(data[-1], 45)
        out += (_B45[c], _B45[d])
    return "".join(out)


def b45decode(text: str) -> bytes:
    """Inverse of :func:`b45encode`; ``ValueError`` for a character outside the alphabet
    (lower case included), a length of 3n+1, or a group whose value overflows its bytes."""
    if len(text) % 3 == 1:
        raise ValueError("base45 text cannot have a length of 3n+1")
    try:
        digits = [_B45_INDEX[char] for char in text]
    except KeyError:
        raise ValueError("invalid base45 character") from None
    out = bytearray()
    whole = len(digits) // 3 * 3
    for i in range(0, whole, 3):
        value = digits[i] + digits[i + 1] * 45 + digits[i + 2] * 2025
        if value > 0xFFFF:
            raise ValueError("base45 group exceeds two bytes")
        out += value.to_bytes(2, "big")
    if whole < len(digits):
        value = digits[whole] + digits[whole + 1] * 45
        if value > 0xFF:
            raise ValueError("base45 group exceeds one byte")
        out.append(value)
    return bytes(out)


_MAX_TEXT = len(PREFIX) + len(b45encode(bytes(MAX_PAYLOAD_BYTES)))


# --- keys and signing -------------------------------------------------------------------------


def generate_key() -> tuple[bytes, bytes]:
    """A fresh Ed25519 key pair as raw bytes: (32-byte private, 32-byte public)."""
    key = Ed25519PrivateKey.generate()
    return key.private_bytes_raw(), key.public_key().public_bytes_raw()


def public_key(private_key: bytes) -> bytes:
    """The raw public key of a raw private key, for publishing keys to gates."""
    return _private(private_key).public_key().public_bytes_raw()


def sign(claims: TicketClaims, *, kid: str, private_key: bytes) -> str:
    """The QR text of ``claims`` signed by ``private_key`` under the key id ``kid``.

    ``ValueError`` when a field does not fit the layout (kid 1-16 visible ASCII, code 1-24,
    seat up to 60 UTF-8 bytes, session id u64, issued_at u32, kind one ASCII letter, reprint
    0..255) or the
    key is not 32 bytes: refusing is better than issuing a ticket no gate would accept."""
    if not _is_token(kid, MAX_KID):
        raise ValueError(f"kid must be 1-{MAX_KID} visible ASCII characters")
    problem = _claims_problem(claims)
    if problem:
        raise ValueError(problem)
    body = _encode_body(kid, claims)
    signature = _private(private_key).sign(body)
    return PREFIX + b45encode(body + signature)


def verify(text: str, public_keys: Mapping[str, bytes]) -> tuple[str, TicketClaims]:
    """The (kid, claims) of a genuine payload; :class:`ForgedTicket` for anything else.

    No input string makes this raise anything but ``ForgedTicket``. ``ValueError`` is raised
    only for a misconfigured key (a ``public_keys`` value that is not 32 bytes). Scanner input
    is taken as is: strip a trailing newline before calling."""
    body, signature, kid, claims = _parse(text)
    key = public_keys.get(kid)
    if key is None:
        raise ForgedTicket("unknown_key")
    if not isinstance(key, bytes) or len(key) != KEY_BYTES:
        raise ValueError(f"public key {kid!r} must be {KEY_BYTES} raw bytes")
    try:
        Ed25519PublicKey.from_public_bytes(key).verify(signature, body)
    except InvalidSignature:
        raise ForgedTicket("bad_signature") from None
    return kid, claims


def peek_kid(text: str) -> str:
    """The key id of a well-formed payload, unverified: to pick or fetch the key, never to trust.

    ``ForgedTicket("malformed")`` for anything that is not a well-formed payload."""
    return _parse(text)[2]


# --- encoding ---------------------------------------------------------------------------------


def _private(private_key: bytes) -> Ed25519PrivateKey:
    if not isinstance(private_key, bytes) or len(private_key) != KEY_BYTES:
        raise ValueError(f"private key must be {KEY_BYTES} raw bytes")
    return Ed25519PrivateKey.from_private_bytes(private_key)


def _is_token(value: object, max_len: int) -> bool:
    """Whether ``value`` is 1..max_len visible ASCII characters (no space, no control)."""
    return (
        isinstance(value, str)
        and 1 <= len(value) <= max_len
        and all("!" <= char <= "~" for char in value)
    )


def _is_kind(value: object) -> bool:
    return isinstance(value, str) and len(value) == 1 and value.isascii() and value.isalpha()


def _is_uint(value: object, bits: int) -> bool:
    return type(value) is int and 0 <= value < 1 << bits


def _seat_bytes(seat: object) -> bytes | None:
    if not isinstance(seat, str):
        return None
    try:
        raw = seat.encode("utf-8")
    except UnicodeEncodeError:  # lone surrogates
        return None
    return raw if len(raw) <= MAX_SEAT_BYTES else None


def _claims_problem(claims: TicketClaims) -> str | None:
    """Why ``claims`` cannot be encoded, or ``None`` when they can."""
    if not _is_token(claims.code, MAX_CODE):
        return f"code must be 1-{MAX_CODE} visible ASCII characters"
    if not _is_kind(claims.kind):
        return "kind must be one ASCII letter"
    if not _is_uint(claims.session_id, 64):
        return "session_id must be an integer in 0..2**64-1"
    if not _is_uint(claims.issued_at, 32):
        return "issued_at must be an integer in 0..2**32-1"
    if _seat_bytes(claims.seat) is None:
        return f"seat must be valid text of at most {MAX_SEAT_BYTES} UTF-8 bytes"
    if type(claims.reprint) is not int or not 0 <= claims.reprint <= MAX_REPRINT:
        return f"reprint must be an integer in 0..{MAX_REPRINT}"
    return None


def _varint(value: int) -> bytes:
    out = bytearray()
    while value > 0x7F:
        out.append(value & 0x7F | 0x80)
        value >>= 7
    out.append(value)
    return bytes(out)


def _encode_body(kid: str, claims: TicketClaims) -> bytes:
    code = claims.code.encode("ascii")
    seat = claims.seat.encode("utf-8")
    reprinted = claims.reprint > 0
    return b"".join(
        (
            bytes((REPRINT_VERSION if reprinted else VERSION, len(kid))),
            kid.encode("ascii"),
            claims.kind.encode("ascii"),
            bytes((len(code),)),
            code,
            _varint(claims.session_id),
            bytes((len(seat),)),
            seat,
            claims.issued_at.to_bytes(4, "big"),
            bytes((claims.reprint,)) if reprinted else b"",
        )
    )


# --- decoding ---------------------------------------------------------------------------------


class _Reader:
    """A cursor over the signed bytes; every short read or bad field is ``malformed``."""

    __slots__ = ("_data", "_pos")

    def __init__(self, data: bytes) -> None:
        self._data = data
        self._pos = 0

    def take(self, count: int) -> bytes:
        end = self._pos + count
        if end > len(self._data):
            raise ForgedTicket("malformed")
        chunk = self._data[self._pos : end]
        self._pos = end
        return chunk

    def byte(self) -> int:
        return self.take(1)[0]

    def token(self, max_len: int) -> str:
        text = self.take(self.byte()).decode("latin-1")
        if not _is_token(text, max_len):
            raise ForgedTicket("malformed")
        return text

    def varint(self) -> int:
        value = 0
        for index in range(10):
            byte = self.byte()
            value |= (byte & 0x7F) << (7 * index)
            if not byte & 0x80:
                if (byte == 0 and index > 0) or value >> 64:  # non-minimal or over u64
                    raise ForgedTicket("malformed")
                return value
        raise ForgedTicket("malformed")

    def at_end(self) -> bool:
        return self._pos == len(self._data)


def _parse(text: str) -> tuple[bytes, bytes, str, TicketClaims]:
    """(signed bytes, signature, kid, claims) of a well-formed payload, not yet verified."""
    if not isinstance(text, str) or not text.startswith(PREFIX) or len(text) > _MAX_TEXT:
        raise ForgedTicket("malformed")
    try:
        data = b45decode(text[len(PREFIX) :])
    except ValueError:
        raise ForgedTicket("malformed") from None
    body, signature = data[:-SIGNATURE_BYTES], data[-SIGNATURE_BYTES:]
    reader = _Reader(body)
    if len(data) <= SIGNATURE_BYTES:
        raise ForgedTicket("malformed")
    version = reader.byte()
    if version not in (VERSION, REPRINT_VERSION):
        raise ForgedTicket("malformed")
    kid = reader.token(MAX_KID)
    kind = reader.take(1).decode("latin-1")
    code = reader.token(MAX_CODE)
    session_id = reader.varint()
    try:
        seat = reader.take(reader.byte()).decode("utf-8")
    except UnicodeDecodeError:
        raise ForgedTicket("malformed") from None
    issued_at = int.from_bytes(reader.take(4), "big")
    reprint = 0
    if version == REPRINT_VERSION and not (reprint := reader.byte()):
        raise ForgedTicket("malformed")  # a first printing is written as version 1 only
    claims = TicketClaims(
        code=code,
        session_id=session_id,
        seat=seat,
        issued_at=issued_at,
        kind=kind,
        reprint=reprint,
    )
    if not reader.at_end() or _claims_problem(claims):
        raise ForgedTicket("malformed")
    return body, signature, kid, claims
