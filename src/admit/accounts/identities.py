"""Real-name identities (RN1–RN5): one person, one verified identity; customers' own identity
and linked holders; online verification for mainland ID cards, staff review for the rest."""

from __future__ import annotations

import unicodedata
from dataclasses import dataclass
from datetime import date, datetime

from sqlalchemy import ColumnElement, func, or_, select

from admit.accounts.codes import normalise_login
from admit.accounts.customer_phones import login_matches
from admit.accounts.documents import (
    Document,
    DocumentType,
    check_document,
    mask_document,
    mask_name,
)
from admit.accounts.identity_models import CustomerHolder, Identity
from admit.accounts.models import Customer
from admit.accounts.person_names import check_person_name
from admit.accounts.security import get_policy
from admit.accounts.verifier import VerificationOutcome
from admit.core import audit, outbox
from admit.core.crypto import FieldCrypto
from admit.core.errors import Conflict, InvalidInput, NotFound
from admit.core.lookups import get_or_404
from admit.core.uow import UnitOfWork

VERIFY_JOB = "identity.verify"


class HolderLimit(Conflict):
    code = "holder_limit"


@dataclass(frozen=True, slots=True)
class DocumentIn:
    doc_type: DocumentType
    number: str
    name: str
    nationality: str
    visa_expires: date | None = None


def document_lookup(crypto: FieldCrypto, doc: Document) -> str:
    return number_lookup(crypto, doc.type.value, doc.number)


def number_lookup(crypto: FieldCrypto, doc_type: str, number: str) -> str:
    """The keyed hash a document of ``doc_type`` is known by, from its number as typed."""
    return crypto.lookup("document", doc_type, number.strip().upper())


def any_type_lookups(crypto: FieldCrypto, number: str) -> list[str]:
    """The keyed hashes ``number`` would have as each type of document (a search by number)."""
    return [number_lookup(crypto, t.value, number) for t in DocumentType]


def name_lookup(crypto: FieldCrypto, name: str) -> str:
    return crypto.lookup("name", " ".join(unicodedata.normalize("NFKC", name).casefold().split()))


async def _find_or_create(
    uow: UnitOfWork, crypto: FieldCrypto, doc: Document, name: str, now: datetime
) -> Identity:
    """The identity of this document; a verified one is reused as it is (RN4).

    A filing never changes what others filed: a document verified or awaiting verification
    under another name is linked as it is, and the link (which keeps the name given) counts as
    rejected — what the public-security service would answer for that name — so the answer
    never tells whether the platform knows the document or under which name (issue 30, item
    12). A rejected one is checked again under the new name; links made under the old name
    stay unverified (their claimed name does not match)."""
    lookup = document_lookup(crypto, doc)
    identity = await uow.session.scalar(select(Identity).where(Identity.lookup == lookup))
    if identity is not None:
        if identity.status == "rejected":
            identity.name_enc, identity.name_masked = crypto.encrypt(name), mask_name(name)
            identity.name_lookup = name_lookup(crypto, name)
            identity.status, identity.reason = "pending", None
        return identity
    identity = Identity(
        lookup=lookup,
        doc_type=doc.type.value,
        number_enc=crypto.encrypt(doc.number),
        name_enc=crypto.encrypt(name),
        name_lookup=name_lookup(crypto, name),
        number_masked=mask_document(doc.number),
        name_masked=mask_name(name),
        nationality=doc.nationality,
        birth_date=doc.birth_date,
        visa_expires=doc.visa_expires,
        status="pending",
        method="online" if doc.verifiable_online else "offline",
        created_at=now,
    )
    uow.session.add(identity)
    await uow.session.flush()
    return identity


def _checked(doc_in: DocumentIn, now: datetime) -> tuple[str, Document]:
    """The name and document as filed, or ``InvalidInput`` / ``InvalidDocument``."""
    try:
        name = check_person_name(doc_in.name)
    except ValueError as problem:
        raise InvalidInput(str(problem), details={"field": "name"}) from None
    doc = check_document(
        doc_type=doc_in.doc_type,
        number=doc_in.number,
        nationality=doc_in.nationality,
        today=now.date(),
        visa_expires=doc_in.visa_expires,
    )
    return name, doc


async def file_document(
    uow: UnitOfWork, crypto: FieldCrypto, *, doc_in: DocumentIn, now: datetime
) -> tuple[Identity, str]:
    """File a document for someone who has no account (a contract client's holder, issue 19):
    the identity of the document (a verified one reused, RN4; a new mainland ID card queued for
    online verification, any other for review) and the keyed hash of the name given, which
    must be the verified one for the holder to count as verified. Raises ``InvalidInput`` /
    ``InvalidDocument``."""
    name, doc = _checked(doc_in, now)
    identity = await _find_or_create(uow, crypto, doc, name, now)
    if identity.status == "pending" and identity.method == "online":
        await outbox.enqueue(uow, kind=VERIFY_JOB, payload={"identity_id": identity.id}, now=now)
    return identity, name_lookup(crypto, name)


async def add_identity(
    uow: UnitOfWork,
    crypto: FieldCrypto,
    *,
    customer_id: int,
    doc_in: DocumentIn,
    is_self: bool,
    now: datetime,
    contact_phone: str | None = None,
) -> tuple[CustomerHolder, Identity]:
    """File the customer's own document or a linked holder's. A document already verified is
    linked without a second verification; a new mainland ID card is queued for online
    verification, any other document for staff review. A rejected filing is corrected by
    filing again: it replaces the rejected link (the customer's own identity, or the same
    document's link), so a typo in a name is never a dead end (issue 32). Raises
    ``InvalidDocument``, ``HolderLimit``."""
    name, doc = _checked(doc_in, now)
    linked = await holders_of(uow, customer_id)
    rejected = [h for h, i in linked if h.status(i) == "rejected"]
    own = next((h for h, _ in linked if h.is_self), None)
    if is_self and own is not None and own not in rejected:
        raise Conflict("the account already has its own identity")
    lookup = document_lookup(crypto, doc)
    replaced = [h for h, i in linked if h in rejected and (h is own or i.lookup == lookup)]
    holders = [h for h, _ in linked if h not in replaced]
    policy = await get_policy(uow)
    if not is_self and sum(not h.is_self for h in holders) >= policy.max_holders:
        raise HolderLimit(f"at most {policy.max_holders} linked holders")
    for old in replaced:
        await uow.session.delete(old)
    await uow.session.flush()
    identity = await _find_or_create(uow, crypto, doc, name, now)
    if any(h.identity_id == identity.id for h in holders):
        raise Conflict("this person is already on the account")
    holder = CustomerHolder(
        customer_id=customer_id,
        identity_id=identity.id,
        is_self=is_self,
        claimed_name_lookup=name_lookup(crypto, name),
        claimed_name_enc=crypto.encrypt(name),
        contact_phone_enc=crypto.encrypt(contact_phone) if contact_phone else None,
        created_at=now,
    )
    uow.session.add(holder)
    await uow.session.flush()
    if identity.status == "pending" and identity.method == "online":
        await outbox.enqueue(uow, kind=VERIFY_JOB, payload={"identity_id": identity.id}, now=now)
    await audit.record(
        uow,
        action="identity.linked",
        entity_type="customer",
        entity_id=customer_id,
        now=now,
        data={
            "identity_id": identity.id,
            "is_self": is_self,
            "status": identity.status,
            "document": identity.number_masked,
            "replaces": [h.identity_id for h in replaced],
        },
    )
    return holder, identity


async def file_for_holder(
    uow: UnitOfWork, crypto: FieldCrypto, *, doc_in: DocumentIn, filed_by: str, now: datetime
) -> Identity:
    """A ticket holder's document filed on their behalf by a selling system (a kiosk's or an
    agent's, which checked it in person: U1), with no customer account behind it: the
    identity is found or made as ``add_identity`` does (a new mainland ID card queued for
    online verification) and the filing audited. Raises ``InvalidInput``, ``InvalidDocument``."""
    identity, _ = await file_document(uow, crypto, doc_in=doc_in, now=now)
    await audit.record(
        uow,
        action="identity.filed_for_holder",
        entity_type="identity",
        entity_id=identity.id,
        now=now,
        data={"by": filed_by, "status": identity.status, "document": identity.number_masked},
    )
    return identity


async def link_of(
    uow: UnitOfWork, *, customer_id: int, identity_id: int
) -> tuple[CustomerHolder, Identity]:
    """The customer's link to a holder's identity, and the identity. Raises ``NotFound``."""
    found = (
        await uow.session.execute(
            select(CustomerHolder, Identity)
            .join(Identity, Identity.id == CustomerHolder.identity_id)
            .where(
                CustomerHolder.customer_id == customer_id,
                CustomerHolder.identity_id == identity_id,
            )
        )
    ).one_or_none()
    if found is None:
        raise NotFound(f"no holder {identity_id} on this account")
    holder, identity = found
    return holder, identity


async def unlink(uow: UnitOfWork, *, customer_id: int, identity_id: int, now: datetime) -> None:
    """Take a holder off the customer's account: any linked holder, or the customer's own
    identity while it is not verified (a verified own identity is who buys: it stays, so a
    per-person limit cannot be reset by swapping documents). Tickets already sold keep their
    holder. Raises ``NotFound``, ``Conflict``."""
    holder, identity = await link_of(uow, customer_id=customer_id, identity_id=identity_id)
    if holder.is_self and holder.status(identity) == "verified":
        raise Conflict("your verified identity stays on the account")
    await uow.session.delete(holder)
    await audit.record(
        uow,
        action="identity.unlinked",
        entity_type="customer",
        entity_id=customer_id,
        now=now,
        data={"identity_id": identity_id, "is_self": holder.is_self},
    )


async def verification_subject(
    uow: UnitOfWork, crypto: FieldCrypto, identity_id: int
) -> tuple[str, str] | None:
    """(name, number) of an identity waiting for online verification, else ``None``."""
    identity = await get_or_404(uow, Identity, identity_id, "identity")
    if identity.status != "pending" or identity.method != "online":
        return None
    return crypto.decrypt(identity.name_enc), crypto.decrypt(identity.number_enc)


async def record_verification(
    uow: UnitOfWork,
    *,
    identity_id: int,
    outcome: VerificationOutcome,
    request_id: str,
    now: datetime,
) -> Identity:
    """Store the public-security answer: consistent → verified, otherwise rejected."""
    identity = await get_or_404(uow, Identity, identity_id, "identity")
    if identity.status != "pending":
        return identity
    verified = outcome is VerificationOutcome.CONSISTENT
    identity.status = "verified" if verified else "rejected"
    identity.reason = None if verified else f"public-security check: {outcome.value}"
    identity.decided_by, identity.decided_at = f"verifier:{request_id}", now
    await uow.session.flush()
    await audit.record(
        uow,
        action="identity.verified_online",
        entity_type="identity",
        entity_id=identity_id,
        now=now,
        data={"outcome": outcome.value, "request_id": request_id},
    )
    return identity


async def decide(
    uow: UnitOfWork, *, identity_id: int, approve: bool, reason: str, now: datetime
) -> Identity:
    """A reviewer approves or rejects a document filed for offline checks (RN3, RN5)."""
    identity = await get_or_404(uow, Identity, identity_id, "identity")
    if identity.method != "offline":
        raise InvalidInput("mainland ID cards are verified online, not by review")
    if identity.status != "pending":
        raise Conflict(f"the identity is already {identity.status}")
    if not approve and not reason.strip():
        raise InvalidInput("a rejection needs a reason")
    identity.status = "verified" if approve else "rejected"
    identity.reason = reason.strip() or None
    identity.decided_by, identity.decided_at = uow.actor.label, now
    await uow.session.flush()
    await audit.record(
        uow,
        action="identity.reviewed",
        entity_type="identity",
        entity_id=identity_id,
        now=now,
        data={"approved": approve, "reason": reason.strip()},
    )
    return identity


async def holders_of(uow: UnitOfWork, customer_id: int) -> list[tuple[CustomerHolder, Identity]]:
    rows = await uow.session.execute(
        select(CustomerHolder, Identity)
        .join(Identity, Identity.id == CustomerHolder.identity_id)
        .where(CustomerHolder.customer_id == customer_id)
        .order_by(CustomerHolder.id)
    )
    return [(h, i) for h, i in rows]


async def status_counts(uow: UnitOfWork) -> dict[str, int]:
    """Statistics for RN5: identities by method and status."""
    rows = await uow.session.execute(
        select(Identity.method, Identity.status, func.count()).group_by(
            Identity.method, Identity.status
        )
    )
    return {f"{method}.{status}": count for method, status, count in rows}


async def find_customers(uow: UnitOfWork, crypto: FieldCrypto, query: str) -> list[Customer]:
    """Customers whose phone, email or any linked document number is exactly ``query``. The
    text is compared as a phone or email only when it is one, and as a document only through
    keyed hashes, so a document number never reaches SQL (or its logs) in clear."""
    query = query.strip()
    lookups = any_type_lookups(crypto, query)
    matches: list[ColumnElement[bool]] = [
        Customer.id.in_(
            select(CustomerHolder.customer_id)
            .join(Identity, Identity.id == CustomerHolder.identity_id)
            .where(Identity.lookup.in_(lookups))
        )
    ]
    try:
        channel, login = normalise_login(query)
    except InvalidInput:
        pass
    else:
        matches.append(login_matches(crypto, channel, login))
    rows = await uow.session.scalars(select(Customer).where(or_(*matches)).order_by(Customer.id))
    return list(rows.all())
