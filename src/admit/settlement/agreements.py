"""Agreements with the parties of an organiser's sales (A1, OPS6): made, listed and ended by
staff with the settlement permission. An agreement is never edited: its terms change by ending
it and making the next one, so a settled period's terms stay on record."""

from __future__ import annotations

import re
from dataclasses import dataclass
from datetime import date, datetime

from sqlalchemy import select

from admit.catalog.models import Organiser
from admit.clients.models import Client
from admit.core import audit
from admit.core.errors import Conflict, InvalidInput, NotFound
from admit.core.uow import UnitOfWork
from admit.sales.models import Outlet
from admit.settlement.models import SettlementAgreement, SettlementShare
from admit.settlement.rules import BASIS

PRINTER_CODE = re.compile(r"[A-Za-z0-9_.-]{1,40}")
PLATFORM_PARTY = "fees"


class AgreementOverlaps(Conflict):
    code = "agreement_overlaps"


class AgreementSettled(Conflict):
    code = "agreement_settled"


@dataclass(frozen=True, slots=True)
class NewAgreement:
    organiser_id: int
    kind: str
    party: str | None = None
    outlet: str | None = None
    percent_bp: int = 0
    per_ticket: int = 0
    cadence: str | None = None
    valid_from: date = date.min
    valid_until: date | None = None


def _overlap(a_from: date, a_until: date | None, b_from: date, b_until: date | None) -> bool:
    return (b_until is None or a_from < b_until) and (a_until is None or b_from < a_until)


async def _party(uow: UnitOfWork, new: NewAgreement) -> str:
    """The party's key for its kind, checked against what exists (``InvalidInput`` names the
    field that is wrong)."""
    if new.kind == "organiser":
        if new.cadence is None:
            raise InvalidInput("an organiser's agreement says how often it is settled")
        if new.percent_bp or new.per_ticket:
            raise InvalidInput("the organiser's share is what the others leave: no terms")
        return str(new.organiser_id)
    if new.cadence is not None:
        raise InvalidInput("only the organiser's agreement has a cadence")
    if new.kind == "platform":
        return PLATFORM_PARTY
    return await _named_party(uow, new)


async def _named_party(uow: UnitOfWork, new: NewAgreement) -> str:
    """An agent's outlet, a printer's code, a client's id: named, and existing."""
    if not new.party:
        raise InvalidInput(f"an agreement with a {new.kind} names the party")
    if new.kind == "agent":
        if not await uow.session.scalar(select(Outlet.id).where(Outlet.code == new.party)):
            raise InvalidInput(f"outlet {new.party} does not exist", details={"field": "party"})
        return new.party
    if new.kind == "printer":
        if not PRINTER_CODE.fullmatch(new.party):
            raise InvalidInput("a printer's code is 1–40 letters, digits, '.', '_' or '-'")
        return new.party
    if new.kind == "client":
        if not new.party.isdigit() or not await uow.session.get(Client, int(new.party)):
            raise InvalidInput(f"client {new.party} does not exist", details={"field": "party"})
        return new.party
    raise InvalidInput(f"unknown party kind {new.kind}")


async def create(
    uow: UnitOfWork, new: NewAgreement, *, who: str, now: datetime
) -> SettlementAgreement:
    """Record an agreement; refuses terms out of range, a party that does not exist, and one
    overlapping another agreement with the same party (``agreement_overlaps``)."""
    if await uow.session.get(Organiser, new.organiser_id) is None:
        raise NotFound(f"organiser {new.organiser_id} does not exist")
    if not 0 <= new.percent_bp <= BASIS:
        raise InvalidInput("a percentage is 0–10000 basis points")
    if new.per_ticket < 0:
        raise InvalidInput("a fee per ticket cannot be negative")
    if new.valid_until is not None and new.valid_until <= new.valid_from:
        raise InvalidInput("an agreement ends after it starts")
    if new.outlet is not None and (
        new.kind != "printer"
        or not await uow.session.scalar(select(Outlet.id).where(Outlet.code == new.outlet))
    ):
        raise InvalidInput("only a printer names an outlet, and an existing one")
    party = await _party(uow, new)
    # Agreements of one party are made one at a time (the organiser's row is the lock), so
    # two overlapping ones cannot both pass the check.
    await uow.session.scalar(
        select(Organiser.id).where(Organiser.id == new.organiser_id).with_for_update()
    )
    others = (
        await uow.session.scalars(
            select(SettlementAgreement).where(
                SettlementAgreement.organiser_id == new.organiser_id,
                SettlementAgreement.kind == new.kind,
                SettlementAgreement.party == party,
            )
        )
    ).all()
    clash = next(
        (
            a
            for a in others
            if _overlap(a.valid_from, a.valid_until, new.valid_from, new.valid_until)
        ),
        None,
    )
    if clash is not None:
        raise AgreementOverlaps(
            f"agreement {clash.id} with this party covers part of the same days",
            details={"agreement": clash.id},
        )
    row = SettlementAgreement(
        organiser_id=new.organiser_id,
        kind=new.kind,
        party=party,
        outlet=new.outlet,
        percent_bp=new.percent_bp,
        per_ticket=new.per_ticket,
        cadence=new.cadence,
        valid_from=new.valid_from,
        valid_until=new.valid_until,
        created_at=now,
        created_by=who,
    )
    uow.session.add(row)
    await uow.session.flush()
    await audit.record(
        uow,
        action="settlement.agreement_made",
        entity_type="settlement_agreement",
        entity_id=row.id,
        data={
            "organiser": row.organiser_id,
            "kind": row.kind,
            "party": row.party,
            "percent_bp": row.percent_bp,
            "per_ticket": row.per_ticket,
            "from": row.valid_from.isoformat(),
            "until": row.valid_until.isoformat() if row.valid_until else None,
        },
        now=now,
    )
    return row


async def end(
    uow: UnitOfWork, agreement_id: int, *, until: date, who: str, now: datetime
) -> SettlementAgreement:
    """End an agreement (it applies to periods starting before ``until``). It cannot be
    lengthened, nor ended before a period already settled under it (``agreement_settled``)."""
    row = await uow.session.scalar(
        select(SettlementAgreement).where(SettlementAgreement.id == agreement_id).with_for_update()
    )
    if row is None:
        raise NotFound(f"agreement {agreement_id} does not exist")
    if until <= row.valid_from or (row.valid_until is not None and until > row.valid_until):
        raise InvalidInput("an agreement ends after it starts, and is never lengthened")
    settled = await uow.session.scalar(
        select(SettlementShare.period_start)
        .where(SettlementShare.agreement_id == row.id, SettlementShare.period_start >= until)
        .limit(1)
    )
    if settled is not None:
        raise AgreementSettled(
            f"the period from {settled} was settled under this agreement",
            details={"period_start": settled.isoformat()},
        )
    row.valid_until = until
    await uow.session.flush()
    await audit.record(
        uow,
        action="settlement.agreement_ended",
        entity_type="settlement_agreement",
        entity_id=row.id,
        data={"until": until.isoformat(), "by": who},
        now=now,
    )
    return row


async def listed(
    uow: UnitOfWork, *, organiser_id: int, on: date | None = None
) -> list[SettlementAgreement]:
    """An organiser's agreements (those in force on ``on`` when given), party by party."""
    query = select(SettlementAgreement).where(SettlementAgreement.organiser_id == organiser_id)
    if on is not None:
        query = query.where(SettlementAgreement.valid_from <= on).where(
            (SettlementAgreement.valid_until.is_(None)) | (SettlementAgreement.valid_until > on)
        )
    query = query.order_by(
        SettlementAgreement.kind, SettlementAgreement.party, SettlementAgreement.valid_from
    )
    return list((await uow.session.scalars(query)).all())
