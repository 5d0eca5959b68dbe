"""Customers' accounts at OpenID Connect providers (G2): signing in with a linked one, opening
an account from a new one, linking one to the account signed in, unlinking.

A provider identity is linked to an existing account only from that account, signed in: never
because an e-mail matches. A new account takes the provider's e-mail as its login when the
provider says it is verified; when another account already has that e-mail the new account is
refused (its owner signs in there and links the provider), so one person does not end up with
two accounts without knowing."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from typing import Literal

from sqlalchemy import delete, select

from admit.accounts.customers import issue_token
from admit.accounts.models import Customer, ProviderLink
from admit.accounts.oidc_providers import ProviderIdentity
from admit.accounts.security import AccountLocked
from admit.accounts.tokens import IssuedToken
from admit.core import audit
from admit.core.errors import Conflict, NotFound
from admit.core.uow import UnitOfWork

Outcome = Literal["signed_in", "created", "linked", "already_linked"]


class ProviderLinkedElsewhere(Conflict):
    """This provider identity signs in another account."""

    code = "provider_linked_elsewhere"


class ProviderAlreadyLinked(Conflict):
    """The account is linked to another identity at this provider."""

    code = "provider_already_linked"


class ProviderEmailInUse(Conflict):
    """A new account would take an e-mail another account has."""

    code = "provider_email_in_use"


class LastWayToSignIn(Conflict):
    """Unlinking would leave the account with no way to sign in."""

    code = "last_way_to_sign_in"


@dataclass(frozen=True, slots=True)
class ProviderSignIn:
    customer_id: int
    outcome: Outcome
    token: IssuedToken | None = None  # a new device token, unless the account was signed in


async def _link_of(uow: UnitOfWork, identity: ProviderIdentity) -> ProviderLink | None:
    found: ProviderLink | None = await uow.session.scalar(
        select(ProviderLink).where(
            ProviderLink.provider == identity.provider, ProviderLink.subject == identity.subject
        )
    )
    return found


async def _record(
    uow: UnitOfWork, action: str, customer_id: int, provider: str, now: datetime
) -> None:
    await audit.record(
        uow,
        action=action,
        entity_type="customer",
        entity_id=customer_id,
        data={"provider": provider},
        now=now,
    )


async def sign_in_with(
    uow: UnitOfWork, *, identity: ProviderIdentity, device: str, now: datetime
) -> ProviderSignIn:
    """Sign in the account the identity is linked to, or open one linked to it. Raises
    ``AccountLocked`` (an operator's lock) and ``ProviderEmailInUse``."""
    link = await _link_of(uow, identity)
    if link is not None:
        customer = await uow.session.get(Customer, link.customer_id)
        if customer is None or customer.locked_by_operator:
            raise AccountLocked("the account is locked")
        await _record(uow, "customer.provider_sign_in", link.customer_id, identity.provider, now)
        token = await issue_token(uow, link.customer_id, device, now)
        return ProviderSignIn(link.customer_id, "signed_in", token)
    email = identity.email if identity.email_verified else None
    if email is not None and await uow.session.scalar(
        select(Customer.id).where(Customer.email == email)
    ):
        raise ProviderEmailInUse(
            f"an account with {email} exists: sign in to it, then link this provider there"
        )
    customer = Customer(email=email, source_channel="web", created_at=now)
    uow.session.add(customer)
    await uow.session.flush()
    uow.session.add(
        ProviderLink(
            customer_id=customer.id,
            provider=identity.provider,
            subject=identity.subject,
            linked_at=now,
        )
    )
    await audit.record(
        uow,
        action="customer.registered",
        entity_type="customer",
        entity_id=customer.id,
        now=now,
        data={"channel": "provider", "provider": identity.provider, "source": "web"},
    )
    await _record(uow, "customer.provider_linked", customer.id, identity.provider, now)
    token = await issue_token(uow, customer.id, device, now)
    return ProviderSignIn(customer.id, "created", token)


async def link_to(
    uow: UnitOfWork, *, customer_id: int, identity: ProviderIdentity, now: datetime
) -> ProviderSignIn:
    """Link the identity to the signed-in account ``customer_id`` (whoever is signed in
    proved both accounts just now). Raises ``ProviderLinkedElsewhere``,
    ``ProviderAlreadyLinked``."""
    link = await _link_of(uow, identity)
    if link is not None:
        if link.customer_id != customer_id:
            raise ProviderLinkedElsewhere(
                "this provider account signs in another account: sign in there to unlink it"
            )
        return ProviderSignIn(customer_id, "already_linked")
    other = await uow.session.scalar(
        select(ProviderLink.id).where(
            ProviderLink.customer_id == customer_id, ProviderLink.provider == identity.provider
        )
    )
    if other is not None:
        raise ProviderAlreadyLinked("this account is linked to another account there: unlink it")
    uow.session.add(
        ProviderLink(
            customer_id=customer_id,
            provider=identity.provider,
            subject=identity.subject,
            linked_at=now,
        )
    )
    await uow.session.flush()
    await _record(uow, "customer.provider_linked", customer_id, identity.provider, now)
    return ProviderSignIn(customer_id, "linked")


async def links_of(uow: UnitOfWork, customer_id: int) -> list[ProviderLink]:
    """The account's provider links, oldest first."""
    rows = await uow.session.scalars(
        select(ProviderLink)
        .where(ProviderLink.customer_id == customer_id)
        .order_by(ProviderLink.linked_at, ProviderLink.id)
    )
    return list(rows)


async def unlink(uow: UnitOfWork, *, customer_id: int, provider: str, now: datetime) -> None:
    """Remove the account's link to ``provider``. Raises ``NotFound``, and ``LastWayToSignIn``
    when the account has no password, phone, e-mail or other link to sign in with."""
    links = await links_of(uow, customer_id)
    if not any(link.provider == provider for link in links):
        raise NotFound(f"this account is not linked to {provider}")
    customer = await uow.session.get(Customer, customer_id)
    assert customer is not None
    has_login = customer.email or customer.phone_lookup  # a code signs in either
    if len(links) == 1 and not has_login:
        raise LastWayToSignIn("this is the only way to sign in to the account")
    await uow.session.execute(
        delete(ProviderLink).where(
            ProviderLink.customer_id == customer_id, ProviderLink.provider == provider
        )
    )
    await _record(uow, "customer.provider_unlinked", customer_id, provider, now)
