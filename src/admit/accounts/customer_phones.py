"""Customers' phone numbers at rest (U6): encrypted under the field keys, found by a keyed hash
(``phone_lookup``) so that no query, index or log holds a number in clear."""

from __future__ import annotations

from typing import Protocol

from sqlalchemy import ColumnElement

from admit.accounts.models import Customer
from admit.core.crypto import FieldCrypto


def phone_lookup(crypto: FieldCrypto, phone: str) -> str:
    """The keyed hash an account is found by (``phone`` normalised: 11 digits)."""
    return crypto.lookup("customer-phone", phone)


def phone_columns(crypto: FieldCrypto, phone: str | None) -> dict[str, str | None]:
    """The ``Customer`` columns that hold ``phone``: ``Customer(**phone_columns(...), ...)``."""
    if phone is None:
        return {"phone_enc": None, "phone_lookup": None}
    return {"phone_enc": crypto.encrypt(phone), "phone_lookup": phone_lookup(crypto, phone)}


class HasPhone(Protocol):
    """A customer's row, or what a query read of it (``customers.TokenOwner``)."""

    @property
    def phone_enc(self) -> str | None: ...


def phone_of(crypto: FieldCrypto, customer: HasPhone) -> str | None:
    """The customer's phone number in clear, or ``None``."""
    return crypto.decrypt(customer.phone_enc) if customer.phone_enc else None


def login_matches(crypto: FieldCrypto, channel: str, target: str) -> ColumnElement[bool]:
    """The condition that finds the account of a normalised login (``codes.normalise_login``)."""
    if channel == "sms":
        return Customer.phone_lookup == phone_lookup(crypto, target)
    return Customer.email == target
