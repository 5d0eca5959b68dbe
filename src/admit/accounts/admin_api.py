"""Back-office endpoints over people: customers (masked unless a role may unmask, and then
audited — U6, invariant 7), the identity review queue (RN3, RN5) and partner API keys (API6)."""

from __future__ import annotations

from datetime import datetime
from typing import Annotated, Literal

from fastapi import APIRouter, Query, Request, Response
from pydantic import BaseModel, ConfigDict, Field
from sqlalchemy import select

from admit.accounts import addresses, api_clients, customers, identities, review
from admit.accounts.customer_phones import phone_of
from admit.accounts.customers import SourceChannel
from admit.accounts.documents import DocumentType, mask_phone
from admit.accounts.identity_models import IdentityMethod, IdentityStatus
from admit.accounts.models import ApiClient, Customer
from admit.core import audit
from admit.core.crypto import FieldCrypto
from admit.core.errors import Forbidden, InvalidInput, NotFound
from admit.core.lookups import get_or_404
from admit.core.permissions import Permission, ScopeKind
from admit.core.uow import UnitOfWork
from admit.http.deps import (
    CONCEALED,
    Now,
    Place,
    PrincipalDep,
    RuntimeDep,
    by_path,
    narrowed,
    path_int,
    reach,
    staff_reader,
    staff_writer,
)
from admit.http.media import CsvResponse


async def _customer_outlet(uow: UnitOfWork, value: str) -> list[Place]:
    """A customer lies at the outlet whose counter opened the account (if any)."""
    found = await uow.session.execute(
        select(Customer.registered_outlet).where(Customer.id == path_int(value, "customer"))
    )
    row = found.first()
    if row is None:
        raise NotFound(CONCEALED)
    return [(ScopeKind.OUTLET, row.registered_outlet)] if row.registered_outlet else []


router = APIRouter(prefix="/admin", tags=["admin: people"])
# Customer-service grants are global; a kiosk clerk's grant scoped to outlets reaches the
# customers opened at those outlets (others: 404, as if they did not exist).
CustomerReader = Annotated[UnitOfWork, staff_writer(Permission.CUSTOMERS_READ)]
CustomerFinder = Annotated[
    UnitOfWork, staff_writer(Permission.CUSTOMERS_READ, scope=narrowed(ScopeKind.OUTLET))
]
CustomerViewer = Annotated[
    UnitOfWork,
    staff_writer(
        Permission.CUSTOMERS_READ,
        scope=by_path("customer_id", ScopeKind.OUTLET, locate=_customer_outlet, conceal=True),
    ),
]
Operator = Annotated[UnitOfWork, staff_writer(Permission.ACCOUNTS_OPERATE)]
Reviewer = Annotated[UnitOfWork, staff_writer(Permission.IDENTITY_REVIEW)]
Exporter = Annotated[UnitOfWork, staff_writer(Permission.PERSONAL_DATA_EXPORT)]
KeyManager = Annotated[UnitOfWork, staff_writer(Permission.API_CLIENTS)]
KeyReader = Annotated[UnitOfWork, staff_reader(Permission.API_CLIENTS)]
MAX_IMPORT_BYTES = 2 * 1024 * 1024


class Model(BaseModel):
    model_config = ConfigDict(extra="forbid")


class HolderRow(Model):
    identity_id: int
    is_self: bool
    name: str
    doc_type: DocumentType
    number: str
    status: IdentityStatus


class AddressRow(Model):
    """A delivery address on the staff view: street, recipient and phone masked unless
    unmasked."""

    id: int
    label: str | None
    province: str
    city: str
    district: str
    street: str
    postal_code: str | None
    recipient: str
    phone: str
    is_default: bool


def _address_row(address: addresses.Address) -> AddressRow:
    f = address.fields
    return AddressRow(
        id=address.id,
        label=f.label,
        province=f.province,
        city=f.city,
        district=f.district,
        street=f.street,
        postal_code=f.postal_code,
        recipient=f.recipient,
        phone=f.phone,
        is_default=address.is_default,
    )


class CustomerRow(Model):
    id: int
    phone: str | None
    email: str | None
    source_channel: SourceChannel
    locked: bool
    created_at: datetime
    holders: list[HolderRow] = Field(default_factory=list)
    addresses: list[AddressRow] = Field(default_factory=list)


def _mask_email(email: str | None) -> str | None:
    if not email:
        return email
    name, _, domain = email.partition("@")
    return f"{name[:1]}***@{domain}"


def _customer_row(c: Customer, unmasked: bool, crypto: FieldCrypto) -> CustomerRow:
    phone = phone_of(crypto, c)
    return CustomerRow(
        id=c.id,
        phone=phone if unmasked or not phone else mask_phone(phone),
        email=c.email if unmasked else _mask_email(c.email),
        source_channel=c.source_channel,
        locked=c.locked_by_operator,
        created_at=c.created_at,
    )


class CustomerSearchIn(Model):
    q: Annotated[str, Field(min_length=3, max_length=254, description="phone, email or ID")]


@router.post("/customers/search")
async def find_customers(
    body: CustomerSearchIn, uow: CustomerFinder, rt: RuntimeDep, who: PrincipalDep
) -> list[CustomerRow]:
    """Look a customer up by phone, email or document number (OPS2); answers are masked. A POST
    so that document numbers never travel in URLs, which proxies and servers log."""
    rows = await identities.find_customers(uow, rt.crypto, body.q)
    mine = reach(who, Permission.CUSTOMERS_READ, ScopeKind.OUTLET)  # None: every customer
    return [
        _customer_row(c, unmasked=False, crypto=rt.crypto)
        for c in rows
        if mine is None or (c.registered_outlet or "") in mine
    ]


@router.get("/customers/stats")
async def customer_stats(uow: CustomerReader) -> dict[str, dict[str, int]]:
    return await customers.statistics(uow)


@router.get("/customers/{customer_id}", responses={404: {"description": "not within your reach"}})
async def get_customer(
    customer_id: int,
    uow: CustomerViewer,
    rt: RuntimeDep,
    who: PrincipalDep,
    now: Now,
    unmask: bool = False,
) -> CustomerRow:
    """The customer with their holders and delivery addresses, masked by default.
    ``unmask=true`` needs the personal_data.unmask permission and is written to the audit
    log."""
    if unmask and not who.can(Permission.PERSONAL_DATA_UNMASK):
        raise Forbidden("this needs the personal_data.unmask permission")
    customer = await get_or_404(uow, Customer, customer_id, "customer")
    row = _customer_row(customer, unmasked=unmask, crypto=rt.crypto)
    for h, i in await identities.holders_of(uow, customer_id):
        row.holders.append(
            HolderRow(
                identity_id=i.id,
                is_self=h.is_self,
                doc_type=i.doc_type,
                status=h.status(i),
                name=rt.crypto.decrypt(i.name_enc) if unmask else i.name_masked,
                number=rt.crypto.decrypt(i.number_enc) if unmask else i.number_masked,
            )
        )
    for address in await addresses.list_addresses(uow, rt.crypto, customer_id=customer_id):
        row.addresses.append(_address_row(address if unmask else addresses.masked(address)))
    if unmask:
        await audit.record(
            uow,
            action="personal_data.viewed",
            entity_type="customer",
            entity_id=customer_id,
            data={"fields": ["phone", "email", "holders", "addresses"]},
            now=now,
        )
    return row


@router.post("/customers/{customer_id}/lock", status_code=204)
async def lock_customer(customer_id: int, uow: Operator, now: Now) -> None:
    await customers.set_locked(uow, customer_id=customer_id, locked=True, now=now)


@router.post("/customers/{customer_id}/unlock", status_code=204)
async def unlock_customer(customer_id: int, uow: Operator, now: Now) -> None:
    await customers.set_locked(uow, customer_id=customer_id, locked=False, now=now)


class IdentityRow(Model):
    id: int
    doc_type: DocumentType
    number: str
    name: str
    nationality: str
    status: IdentityStatus
    method: IdentityMethod
    reason: str | None
    created_at: datetime


@router.get("/identities")
async def review_queue(
    uow: Reviewer,
    status: Literal["pending", "verified", "rejected"] = "pending",
    limit: Annotated[int, Query(ge=1, le=500)] = 100,
) -> list[IdentityRow]:
    """Documents filed for offline checks, masked (export them for the unmasked data)."""
    rows = await review.queue(uow, status=status, limit=limit)
    return [
        IdentityRow(
            id=i.id,
            doc_type=i.doc_type,
            number=i.number_masked,
            name=i.name_masked,
            nationality=i.nationality,
            status=i.status,
            method=i.method,
            reason=i.reason,
            created_at=i.created_at,
        )
        for i in rows
    ]


class DecisionIn(Model):
    approve: bool
    reason: str = Field(default="", max_length=400)


@router.post("/identities/{identity_id}/decision", status_code=204)
async def decide(identity_id: int, body: DecisionIn, uow: Reviewer, now: Now) -> None:
    await identities.decide(
        uow, identity_id=identity_id, approve=body.approve, reason=body.reason, now=now
    )


@router.get("/identities/export", response_class=CsvResponse)
async def export_pending(uow: Exporter, rt: RuntimeDep, now: Now) -> Response:
    """Pending offline documents, unmasked, as CSV for the offline check (audited)."""
    text = await review.export_pending(uow, rt.crypto, now=now)
    return Response(
        text,
        media_type="text/csv; charset=utf-8",
        headers={"Content-Disposition": "attachment; filename=identities.csv"},
    )


@router.post("/identities/import")
async def import_results(request: Request, uow: Reviewer, now: Now) -> dict[str, int]:
    """CSV ``identity_id,decision,reason`` (decision: approve | reject): all rows or none."""
    data = await request.body()
    if len(data) > MAX_IMPORT_BYTES:
        raise InvalidInput("the file is larger than 2 MiB")
    return {"decided": await review.import_results(uow, data=data, now=now)}


@router.get("/identities/stats")
async def identity_stats(uow: Reviewer) -> dict[str, int]:
    return await identities.status_counts(uow)


# The schema names the closed set; an unknown scope is still refused by the service (400, with
# the known ones in ``details``).
Scope = Annotated[str, Field(json_schema_extra={"enum": list(api_clients.SCOPES)})]


class ApiClientIn(Model):
    name: Annotated[str, Field(min_length=2, max_length=120)]
    scopes: list[Scope] = Field(min_length=1, max_length=10)
    rate_per_minute: int = Field(default=600, ge=1, le=1_000_000)
    burst: int = Field(default=60, ge=1, le=100_000)


class ApiClientPatch(Model):
    scopes: list[Scope] | None = Field(default=None, min_length=1, max_length=10)
    rate_per_minute: int | None = Field(default=None, ge=1, le=1_000_000)
    burst: int | None = Field(default=None, ge=1, le=100_000)
    active: bool | None = None


class ApiClientOut(Model):
    id: int
    name: str
    key_id: str
    scopes: list[Scope]
    rate_per_minute: int
    burst: int
    active: bool
    api_key: str | None = None


def _client_out(c: ApiClient, key: str | None = None) -> ApiClientOut:
    return ApiClientOut(
        id=c.id,
        name=c.name,
        key_id=c.key_id,
        scopes=c.scopes,
        rate_per_minute=c.rate_per_minute,
        burst=c.burst,
        active=c.active,
        api_key=key,
    )


@router.post("/api-clients", status_code=201)
async def create_api_client(body: ApiClientIn, uow: KeyManager, now: Now) -> ApiClientOut:
    """The key (``api_key``) is in this answer only; keep it."""
    issued = await api_clients.create_client(uow, **body.model_dump(), now=now)
    return _client_out(issued.client, issued.api_key)


@router.get("/api-clients")
async def list_api_clients(uow: KeyReader) -> list[ApiClientOut]:
    return [_client_out(c) for c in await api_clients.list_clients(uow)]


@router.patch("/api-clients/{client_id}")
async def update_api_client(
    client_id: int, body: ApiClientPatch, uow: KeyManager, now: Now
) -> ApiClientOut:
    changes = body.model_dump(exclude_none=True)
    return _client_out(await api_clients.update_client(uow, client_id, changes=changes, now=now))


class AccessRow(Model):
    at: datetime
    method: str
    path: str
    status: int
    latency_ms: int


@router.get("/api-clients/{client_id}/log")
async def api_client_log(
    client_id: int, uow: KeyReader, limit: Annotated[int, Query(ge=1, le=1000)] = 100
) -> list[AccessRow]:
    rows = await api_clients.access_log(uow, client_id, limit=limit)
    return [
        AccessRow(at=r.at, method=r.method, path=r.path, status=r.status, latency_ms=r.latency_ms)
        for r in rows
    ]
