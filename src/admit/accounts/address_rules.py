"""Delivery addresses (FE3, API3): what a structured mainland address may hold, how many an
account keeps, and how staff see one masked (U6). Pure: no I/O."""

from __future__ import annotations

import re
import unicodedata
from collections.abc import Callable
from dataclasses import dataclass
from typing import TypeVar

from admit.accounts.mobile_numbers import normalise_mobile
from admit.accounts.person_names import check_person_name
from admit.core.errors import Conflict, InvalidInput

MAX_ADDRESSES = 20
REGION_MAX = 40  # a province, city or district name
STREET_MAX = 200
LABEL_MAX = 30
POSTAL_CODE = re.compile(r"[0-9]{6}")
STREET_MASK = "****"
T = TypeVar("T")


# How the fields are named in refusals (``InvalidAddress``'s ``details`` names the field).
FIELD_NAMES = {
    "province": "province",
    "city": "city",
    "district": "district",
    "street": "street address",
    "recipient": "recipient's name",
    "phone": "recipient's mobile number",
    "postal_code": "postal code",
    "label": "label",
}


class InvalidAddress(InvalidInput):
    code = "invalid_address"

    def __init__(self, field: str, problem: str) -> None:
        super().__init__(f"{FIELD_NAMES.get(field, field)}: {problem}", details={"field": field})


class AddressLimit(Conflict):
    code = "address_limit"


@dataclass(frozen=True, slots=True)
class AddressFields:
    """One address as given: the region in clear, the street, recipient and phone are what
    the account keeps encrypted."""

    province: str
    city: str
    district: str
    street: str
    recipient: str
    phone: str
    postal_code: str | None = None
    label: str | None = None


def clean_text(value: str, *, max_length: int) -> str:
    """``value`` with runs of spaces made one and its ends trimmed; ``ValueError`` when it is
    blank, longer than ``max_length`` or holds control or invisible characters."""
    # Tabs and line breaks a paste brings are spaces; other control characters are refused.
    if any(unicodedata.category(char)[0] == "C" and not char.isspace() for char in value):
        raise ValueError("no control or invisible format characters")
    normal = " ".join(value.split())
    if not normal:
        raise ValueError("must not be blank")
    if len(normal) > max_length:
        raise ValueError(f"at most {max_length} characters")
    return normal


def clean_postal_code(value: str | None) -> str | None:
    """Six digits, or ``None`` for none given; ``ValueError`` otherwise."""
    if value is None or not value.strip():
        return None
    if not POSTAL_CODE.fullmatch(value.strip()):
        raise ValueError("a postal code is 6 digits")
    return value.strip()


def clean_phone(value: str) -> str:
    """The recipient's mainland mobile number as 11 digits; ``ValueError`` otherwise."""
    phone = normalise_mobile(value)
    if phone is None:
        raise ValueError("a mainland mobile number: 11 digits starting 13 to 19")
    return phone


def check_address(given: AddressFields) -> AddressFields:
    """The address normalised, or ``InvalidAddress`` naming the first field that is wrong
    (``details``: ``{"field": name}``)."""
    return AddressFields(
        province=_checked("province", lambda: clean_text(given.province, max_length=REGION_MAX)),
        city=_checked("city", lambda: clean_text(given.city, max_length=REGION_MAX)),
        district=_checked("district", lambda: clean_text(given.district, max_length=REGION_MAX)),
        street=_checked("street", lambda: clean_text(given.street, max_length=STREET_MAX)),
        recipient=_checked("recipient", lambda: check_person_name(given.recipient)),
        phone=_checked("phone", lambda: clean_phone(given.phone)),
        postal_code=_checked("postal_code", lambda: clean_postal_code(given.postal_code)),
        label=_checked("label", lambda: clean_label(given.label)),
    )


def _checked(field: str, check: Callable[[], T]) -> T:
    try:
        return check()
    except ValueError as problem:
        raise InvalidAddress(field, str(problem)) from None


def clean_label(value: str | None) -> str | None:
    """A short name for the address ("home", "office"), or ``None``."""
    if value is None or not value.strip():
        return None
    return clean_text(value, max_length=LABEL_MAX)


def mask_street(street: str) -> str:
    """The first two characters and a fixed mask, so that neither the house nor the length
    shows: ``中关****``."""
    return (street[:2] if len(street) > 2 else "") + STREET_MASK
