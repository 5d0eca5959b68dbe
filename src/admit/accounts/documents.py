"""Real-name documents (RN3): which document a person may file, number formats, masking."""

from __future__ import annotations

import calendar
import enum
import re
from dataclasses import dataclass
from datetime import date

from admit.core.errors import InvalidInput

CN_ID_WEIGHTS = (7, 9, 10, 5, 8, 4, 2, 1, 6, 3, 7, 9, 10, 5, 8, 4, 2)
CN_ID_CHECK_CODES = "10X98765432"
VISA_MONTHS = 6
EARLIEST_BIRTH_YEAR = 1900


class DocumentType(enum.StrEnum):
    CN_ID = "cn_id"
    HK_MACAU_PERMIT = "hk_macau_permit"
    TAIWAN_PERMIT = "taiwan_permit"
    HK_PASSPORT = "hk_passport"
    MACAU_PASSPORT = "macau_passport"
    FOREIGN_PASSPORT = "foreign_passport"


class InvalidDocument(InvalidInput):
    code = "invalid_document"


@dataclass(frozen=True)
class Document:
    type: DocumentType
    number: str
    nationality: str
    birth_date: date | None
    visa_expires: date | None

    @property
    def verifiable_online(self) -> bool:
        """Only mainland ID cards go to the public-security check; the rest go to staff review."""
        return self.type is DocumentType.CN_ID


# Nationalities that have their own documents; a foreign passport is for everyone else.
_CHINESE_NATIONALITIES = frozenset({"CN", "HK", "MO", "TW"})
_NATIONALITIES: dict[DocumentType, frozenset[str]] = {
    DocumentType.CN_ID: frozenset({"CN"}),
    DocumentType.HK_MACAU_PERMIT: frozenset({"HK", "MO"}),
    DocumentType.TAIWAN_PERMIT: frozenset({"TW"}),
    DocumentType.HK_PASSPORT: frozenset({"HK"}),
    DocumentType.MACAU_PASSPORT: frozenset({"MO"}),
}
_PASSPORT = re.compile(r"[A-Z0-9]{5,20}")
_FORMATS: dict[DocumentType, tuple[re.Pattern[str], str]] = {
    DocumentType.HK_MACAU_PERMIT: (
        re.compile(r"[HM](\d{8}|\d{10})"),
        "'H' or 'M' followed by 8 (or, old style, 10) digits",
    ),
    DocumentType.TAIWAN_PERMIT: (
        re.compile(r"\d{8}|[A-Z0-9]{10}"),
        "8 digits (or, old style, 10 letters or digits)",
    ),
    DocumentType.HK_PASSPORT: (_PASSPORT, "5 to 20 letters or digits"),
    DocumentType.MACAU_PASSPORT: (_PASSPORT, "5 to 20 letters or digits"),
    DocumentType.FOREIGN_PASSPORT: (_PASSPORT, "5 to 20 letters or digits"),
}
_PERMIT_PREFIX = {"H": "HK", "M": "MO"}
_CN_ID = re.compile(r"\d{17}[\dX]")


def check_document(
    *,
    doc_type: DocumentType,
    number: str,
    nationality: str,
    today: date,
    visa_expires: date | None = None,
) -> Document:
    """Check that this person may file this document and that its number is well formed.

    Returns the normalised document (a visa date is kept only for foreign passports); raises
    :class:`InvalidDocument` naming the first problem found."""
    try:
        doc_type = DocumentType(doc_type)
    except ValueError:
        raise InvalidDocument(f"{doc_type!r} is not a document type") from None
    nationality = _check_nationality(doc_type, nationality)
    number = "".join(number.split()).upper()
    if doc_type is DocumentType.CN_ID:
        birth = _check_cn_id(number, today)
        return Document(doc_type, number, nationality, birth, None)
    pattern, described = _FORMATS[doc_type]
    if not pattern.fullmatch(number):
        raise InvalidDocument(f"a {doc_type} number must be {described}")
    if doc_type is DocumentType.HK_MACAU_PERMIT and _PERMIT_PREFIX[number[0]] != nationality:
        raise InvalidDocument(
            f"a permit starting with {number[0]} is issued to {_PERMIT_PREFIX[number[0]]} residents"
        )
    if doc_type is not DocumentType.FOREIGN_PASSPORT:
        return Document(doc_type, number, nationality, None, None)
    _check_visa(visa_expires, today)
    return Document(doc_type, number, nationality, None, visa_expires)


def _check_nationality(doc_type: DocumentType, nationality: str) -> str:
    code = nationality.strip().upper()
    if not re.fullmatch(r"[A-Z]{2}", code):
        raise InvalidDocument(
            f"nationality must be an ISO 3166 two-letter code, got {nationality!r}"
        )
    if code == "CN" and doc_type is not DocumentType.CN_ID:
        raise InvalidDocument("Chinese citizens must use the resident identity card")
    allowed = _NATIONALITIES.get(doc_type)
    if allowed is not None and code not in allowed:
        raise InvalidDocument(f"a {doc_type} is for nationality {'/'.join(sorted(allowed))}")
    if allowed is None and code in _CHINESE_NATIONALITIES:
        raise InvalidDocument(f"residents of {code} must use their own permit or passport")
    return code


def _check_cn_id(number: str, today: date) -> date:
    if len(number) != 18:
        raise InvalidDocument(f"a resident ID number has 18 characters, got {len(number)}")
    if not _CN_ID.fullmatch(number):
        raise InvalidDocument("a resident ID number is 17 digits then a digit or X")
    if number[0] not in "12345678" or number[:6] == "000000":
        raise InvalidDocument(f"{number[:6]} is not an area code")
    birth = _birth_date(number[6:14], today)
    if cn_id_check_char(number[:17]) != number[17]:
        raise InvalidDocument("the resident ID number's check character is wrong")
    return birth


def _birth_date(digits: str, today: date) -> date:
    try:
        birth = date(int(digits[:4]), int(digits[4:6]), int(digits[6:]))
    except ValueError:
        raise InvalidDocument(f"{digits} is not a date of birth") from None
    if birth.year < EARLIEST_BIRTH_YEAR or birth > today:
        raise InvalidDocument(f"{digits} is not a plausible date of birth")
    return birth


def _check_visa(visa_expires: date | None, today: date) -> None:
    if visa_expires is None:
        raise InvalidDocument("a foreign passport needs the expiry date of its Chinese visa")
    needed = add_months(today, VISA_MONTHS)
    if visa_expires < needed:
        raise InvalidDocument(
            f"the Chinese visa must be valid for {VISA_MONTHS} months, until {needed} at least"
        )


def add_months(day: date, months: int) -> date:
    """The same day ``months`` later, or the month's last day when it is shorter."""
    index = day.month - 1 + months
    year, month = day.year + index // 12, index % 12 + 1
    return date(year, month, min(day.day, calendar.monthrange(year, month)[1]))


def cn_id_check_char(first17: str) -> str:
    """The ISO 7064 MOD 11-2 check character of a resident ID number's first 17 digits."""
    if len(first17) != 17 or not first17.isdigit():
        raise ValueError(f"expected 17 digits, got {first17!r}")
    total = sum(int(d) * w for d, w in zip(first17, CN_ID_WEIGHTS, strict=True))
    return CN_ID_CHECK_CODES[total % 11]


def _mask(text: str, head: int, tail: int) -> str:
    if len(text) <= head + tail:
        head, tail = 1, 1
    if len(text) <= head + tail:
        return "*" * len(text)
    return text[:head] + "*" * (len(text) - head - tail) + text[len(text) - tail :]


def mask_document(number: str) -> str:
    """First 3 and last 4 characters shown (first and last only for numbers of 7 or fewer)."""
    return _mask(number, 3, 4)


def mask_name(name: str) -> str:
    """First character shown; a one-character name is fully hidden."""
    return name[:1] + "*" * (len(name) - 1) if len(name) > 1 else "*" * len(name)


def mask_phone(phone: str) -> str:
    """First 3 and last 4 digits shown: ``138****5678``."""
    return _mask("".join(phone.split()), 3, 4)
