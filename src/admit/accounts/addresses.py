"""Customers' delivery addresses (FE3, API3): several per account, at most ``MAX_ADDRESSES``,
one of them the default; the street, recipient and phone encrypted at rest (U6). Every change
takes the customer's row lock first, so the cap and the single default hold under concurrent
requests; every change is audited (without the personal data itself)."""

from __future__ import annotations

import dataclasses
from collections.abc import Mapping
from datetime import datetime

from sqlalchemy import select

from admit.accounts.address_rules import (
    MAX_ADDRESSES,
    AddressFields,
    AddressLimit,
    InvalidAddress,
    check_address,
    mask_street,
)
from admit.accounts.documents import mask_name, mask_phone
from admit.accounts.models import Customer, CustomerAddress
from admit.core import audit
from admit.core.crypto import FieldCrypto
from admit.core.errors import NotFound
from admit.core.uow import UnitOfWork

FIELDS = frozenset(f.name for f in dataclasses.fields(AddressFields))
REQUIRED = frozenset({"province", "city", "district", "street", "recipient", "phone"})


@dataclasses.dataclass(frozen=True, slots=True)
class Address:
    """One address as read (in clear, or masked: :func:`masked`)."""

    id: int
    fields: AddressFields
    is_default: bool
    created_at: datetime
    updated_at: datetime


def address_of(crypto: FieldCrypto, row: CustomerAddress) -> Address:
    fields = AddressFields(
        province=row.province,
        city=row.city,
        district=row.district,
        street=crypto.decrypt(row.street_enc),
        recipient=crypto.decrypt(row.recipient_enc),
        phone=crypto.decrypt(row.phone_enc),
        postal_code=row.postal_code,
        label=row.label,
    )
    return Address(row.id, fields, row.is_default, row.created_at, row.updated_at)


def masked(address: Address) -> Address:
    """The address as staff see it without the unmask permission: the region and label in
    clear, the street, recipient and phone masked as the platform masks them elsewhere."""
    fields = dataclasses.replace(
        address.fields,
        street=mask_street(address.fields.street),
        recipient=mask_name(address.fields.recipient),
        phone=mask_phone(address.fields.phone),
    )
    return dataclasses.replace(address, fields=fields)


async def _rows(uow: UnitOfWork, customer_id: int) -> list[CustomerAddress]:
    found = await uow.session.scalars(
        select(CustomerAddress)
        .where(CustomerAddress.customer_id == customer_id)
        .order_by(CustomerAddress.is_default.desc(), CustomerAddress.id)
    )
    return list(found.all())


async def list_addresses(
    uow: UnitOfWork, crypto: FieldCrypto, *, customer_id: int
) -> list[Address]:
    """The customer's addresses, the default first, then in the order they were added."""
    return [address_of(crypto, row) for row in await _rows(uow, customer_id)]


async def get_address(
    uow: UnitOfWork, crypto: FieldCrypto, *, customer_id: int, address_id: int
) -> Address:
    """One of the customer's addresses; ``NotFound`` for another customer's, as for none."""
    return address_of(crypto, await _row(uow, customer_id, address_id))


async def _row(uow: UnitOfWork, customer_id: int, address_id: int) -> CustomerAddress:
    row = await uow.session.scalar(
        select(CustomerAddress).where(
            CustomerAddress.id == address_id, CustomerAddress.customer_id == customer_id
        )
    )
    if row is None:
        raise NotFound(f"address {address_id} does not exist")
    return row


async def _lock_customer(uow: UnitOfWork, customer_id: int) -> None:
    """The customer's row, locked until commit (PostgreSQL; SQLite writes one at a time)."""
    found = await uow.session.scalar(
        select(Customer.id).where(Customer.id == customer_id).with_for_update()
    )
    if found is None:
        raise NotFound(f"customer {customer_id} does not exist")


def _encrypt_into(row: CustomerAddress, crypto: FieldCrypto, fields: AddressFields) -> None:
    row.province, row.city, row.district = fields.province, fields.city, fields.district
    row.postal_code, row.label = fields.postal_code, fields.label
    row.street_enc = crypto.encrypt(fields.street)
    row.recipient_enc = crypto.encrypt(fields.recipient)
    row.phone_enc = crypto.encrypt(fields.phone)


async def add_address(
    uow: UnitOfWork,
    crypto: FieldCrypto,
    *,
    customer_id: int,
    fields: AddressFields,
    make_default: bool,
    now: datetime,
) -> Address:
    """Add an address; the account's first one is its default whatever ``make_default`` says.
    Raises ``InvalidAddress``, ``AddressLimit`` (past ``MAX_ADDRESSES``)."""
    fields = check_address(fields)
    await _lock_customer(uow, customer_id)
    rows = await _rows(uow, customer_id)
    if len(rows) >= MAX_ADDRESSES:
        raise AddressLimit(
            f"at most {MAX_ADDRESSES} delivery addresses: remove one first",
            details={"limit": MAX_ADDRESSES},
        )
    is_default = make_default or not rows
    if is_default:
        for other in rows:
            other.is_default = False
    row = CustomerAddress(
        customer_id=customer_id, is_default=is_default, created_at=now, updated_at=now
    )
    _encrypt_into(row, crypto, fields)
    uow.session.add(row)
    await uow.session.flush()
    await _audit(uow, "address.added", customer_id, row.id, now, default=is_default)
    return address_of(crypto, row)


async def change_address(
    uow: UnitOfWork,
    crypto: FieldCrypto,
    *,
    customer_id: int,
    address_id: int,
    changes: Mapping[str, str | None],
    now: datetime,
) -> Address:
    """Change the given fields of one of the customer's addresses (the others stay); ``None``
    clears the postal code or label. Raises ``NotFound``, ``InvalidAddress`` (an unknown
    field, a required one set to ``None``, a value out of its format)."""
    await _lock_customer(uow, customer_id)
    row = await _row(uow, customer_id, address_id)
    for field, value in changes.items():
        if field not in FIELDS:
            raise InvalidAddress(field, "is not a field of an address")
        if field in REQUIRED and value is None:
            raise InvalidAddress(field, "cannot be set to nothing")
    current = address_of(crypto, row).fields
    fields = check_address(dataclasses.replace(current, **changes))  # type: ignore[arg-type]
    changed = sorted(name for name in FIELDS if getattr(fields, name) != getattr(current, name))
    if changed:
        _encrypt_into(row, crypto, fields)
        row.updated_at = now
        await uow.session.flush()
        await _audit(uow, "address.changed", customer_id, address_id, now, fields=changed)
    return address_of(crypto, row)


async def make_default(
    uow: UnitOfWork, *, customer_id: int, address_id: int, now: datetime
) -> None:
    """Make one of the customer's addresses the default (the others not). Raises ``NotFound``."""
    await _lock_customer(uow, customer_id)
    chosen = await _row(uow, customer_id, address_id)
    if chosen.is_default:
        return
    for row in await _rows(uow, customer_id):
        row.is_default = row.id == address_id
    chosen.updated_at = now
    await uow.session.flush()
    await _audit(uow, "address.default_set", customer_id, address_id, now)


async def remove_address(
    uow: UnitOfWork, *, customer_id: int, address_id: int, now: datetime
) -> None:
    """Remove one of the customer's addresses; when it was the default, the earliest added of
    the others (if any) becomes the default. Raises ``NotFound``."""
    await _lock_customer(uow, customer_id)
    row = await _row(uow, customer_id, address_id)
    await uow.session.delete(row)
    await uow.session.flush()
    promoted = None
    if row.is_default:
        rest = sorted(await _rows(uow, customer_id), key=lambda r: r.id)
        if rest:
            rest[0].is_default = True
            promoted = rest[0].id
            await uow.session.flush()
    await _audit(uow, "address.removed", customer_id, address_id, now, new_default=promoted)


async def _audit(
    uow: UnitOfWork,
    action: str,
    customer_id: int,
    address_id: int,
    now: datetime,
    **data: object,
) -> None:
    # The ids and names of fields only: the audit log is not encrypted.
    await audit.record(
        uow,
        action=action,
        entity_type="customer",
        entity_id=customer_id,
        now=now,
        data={"address_id": address_id, **data},
    )
