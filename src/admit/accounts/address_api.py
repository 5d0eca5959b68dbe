"""The customer's delivery addresses over the API (API3, FE3): list, add, read, change, remove
and choose the default — only the signed-in customer's own (another's id: 404)."""

from __future__ import annotations

from datetime import datetime
from typing import Annotated

from fastapi import APIRouter, Response
from pydantic import AfterValidator, BaseModel, ConfigDict, Field

from admit.accounts import addresses
from admit.accounts.address_rules import (
    LABEL_MAX,
    REGION_MAX,
    STREET_MAX,
    AddressFields,
    clean_label,
    clean_text,
)
from admit.accounts.customer_schemas import ContactPhone
from admit.accounts.documents import mask_phone
from admit.accounts.person_names import MAX_LENGTH as NAME_MAX
from admit.accounts.person_names import check_person_name
from admit.http.deps import CustomerId, CustomerReader, CustomerUoW, Now, RuntimeDep

router = APIRouter(tags=["customers"])


def _region(value: str) -> str:
    return clean_text(value, max_length=REGION_MAX)


def _street(value: str) -> str:
    return clean_text(value, max_length=STREET_MAX)


Region = Annotated[str, Field(min_length=1, max_length=REGION_MAX), AfterValidator(_region)]
Street = Annotated[str, Field(min_length=1, max_length=STREET_MAX), AfterValidator(_street)]
Recipient = Annotated[
    str, Field(min_length=1, max_length=NAME_MAX), AfterValidator(check_person_name)
]
PostalCode = Annotated[str, Field(pattern=r"^[0-9]{6}$")]
Label = Annotated[str, Field(max_length=LABEL_MAX), AfterValidator(clean_label)]


class Model(BaseModel):
    model_config = ConfigDict(extra="forbid")


class AddressIn(Model):
    """A structured mainland address; ``is_default`` makes it the default (an account's first
    address is the default anyway)."""

    province: Region
    city: Region
    district: Region
    street: Street = Field(description="street, building, door: everything after the district")
    recipient: Recipient
    phone: ContactPhone = Field(description="the recipient's mainland mobile number")
    postal_code: PostalCode | None = None
    label: Label | None = Field(default=None, description='e.g. "home", "office"')
    is_default: bool = False

    def fields(self) -> AddressFields:
        return AddressFields(**self.model_dump(exclude={"is_default"}))


class AddressPatch(Model):
    """The fields to change; omitted ones stay, ``null`` clears the postal code or label (a
    required field set to ``null``: 400 ``invalid_address``)."""

    province: Region | None = None
    city: Region | None = None
    district: Region | None = None
    street: Street | None = None
    recipient: Recipient | None = None
    phone: ContactPhone | None = None
    postal_code: PostalCode | None = None
    label: Label | None = None


class AddressOut(Model):
    id: int
    label: str | None
    province: str
    city: str
    district: str
    street: str
    postal_code: str | None
    recipient: str
    phone: str = Field(description="masked")
    is_default: bool
    updated_at: datetime


def _out(address: addresses.Address) -> AddressOut:
    f = address.fields
    return AddressOut(
        id=address.id,
        label=f.label,
        province=f.province,
        city=f.city,
        district=f.district,
        street=f.street,
        postal_code=f.postal_code,
        recipient=f.recipient,
        phone=mask_phone(f.phone),
        is_default=address.is_default,
        updated_at=address.updated_at,
    )


@router.get("/me/addresses")
async def list_addresses(uow: CustomerReader, rt: RuntimeDep, cid: CustomerId) -> list[AddressOut]:
    """The signed-in customer's delivery addresses, the default first (phones masked)."""
    return [_out(a) for a in await addresses.list_addresses(uow, rt.crypto, customer_id=cid)]


@router.post("/me/addresses", status_code=201)
async def add_address(
    body: AddressIn, uow: CustomerUoW, rt: RuntimeDep, cid: CustomerId, now: Now
) -> AddressOut:
    """Add a delivery address: at most 20 an account (``MAX_ADDRESSES``), past them 409
    ``address_limit``."""
    added = await addresses.add_address(
        uow, rt.crypto, customer_id=cid, fields=body.fields(), make_default=body.is_default, now=now
    )
    return _out(added)


@router.get("/me/addresses/{address_id}")
async def get_address(
    address_id: int, uow: CustomerReader, rt: RuntimeDep, cid: CustomerId
) -> AddressOut:
    """One of the customer's addresses (404 for any other)."""
    return _out(await addresses.get_address(uow, rt.crypto, customer_id=cid, address_id=address_id))


@router.patch("/me/addresses/{address_id}")
async def change_address(
    address_id: int,
    body: AddressPatch,
    uow: CustomerUoW,
    rt: RuntimeDep,
    cid: CustomerId,
    now: Now,
) -> AddressOut:
    """Change some fields of an address; the default stays as it is."""
    changed = await addresses.change_address(
        uow,
        rt.crypto,
        customer_id=cid,
        address_id=address_id,
        changes=body.model_dump(exclude_unset=True),
        now=now,
    )
    return _out(changed)


@router.post("/me/addresses/{address_id}/default")
async def make_default_address(
    address_id: int, uow: CustomerUoW, rt: RuntimeDep, cid: CustomerId, now: Now
) -> list[AddressOut]:
    """Make this address the default: the customer's addresses after it."""
    await addresses.make_default(uow, customer_id=cid, address_id=address_id, now=now)
    return [_out(a) for a in await addresses.list_addresses(uow, rt.crypto, customer_id=cid)]


@router.delete("/me/addresses/{address_id}", status_code=204)
async def remove_address(address_id: int, uow: CustomerUoW, cid: CustomerId, now: Now) -> Response:
    """Remove an address; when it was the default, the earliest added of the others becomes
    the default."""
    await addresses.remove_address(uow, customer_id=cid, address_id=address_id, now=now)
    return Response(status_code=204)
