"""Settlement runs (A1, OPS6, C4): what each party of an organiser is owed for a period of UTC
days, each share a row (its statement) and a balanced ledger entry moving it out of the
organiser's payable — ``agent:<outlet>:payable``, ``platform:fees``, ``printer:<code>:payable``,
``client:<id>:payable``. What the others leave stays in the organiser's payable: its share.

Idempotent per party and period: a run of a period settled before returns that run and posts
nothing (the run is unique per organiser and period, each share per party and period, each
entry per share by the ledger's unique ``(kind, ref)``). Runs of an organiser never overlap, and
a period is settled only once it is over, so every capture and refund — posted at the time it
happens — falls in exactly one settled period."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import UTC, date, datetime, time, timedelta

from sqlalchemy import select

from admit.catalog.models import Organiser
from admit.core import audit
from admit.core.errors import Conflict, InvalidInput, NotFound
from admit.core.uow import UnitOfWork
from admit.finance import ledger
from admit.settlement import agreements
from admit.settlement.figures import Figures, Slice, client_buyers, period_figures
from admit.settlement.models import (
    SettlementAgreement,
    SettlementRun,
    SettlementShare,
)
from admit.settlement.rules import Terms, organiser_remainder, share

ENTRY_KIND = "settle"
MAX_DAYS = 92  # a quarter: longer periods are settled in several runs


class PeriodOpen(Conflict):
    code = "period_open"


class PeriodOverlaps(Conflict):
    code = "period_overlaps"


def bounds(start: date, end: date) -> tuple[datetime, datetime]:
    return datetime.combine(start, time(0), tzinfo=UTC), datetime.combine(end, time(0), tzinfo=UTC)


def account_of(kind: str, party: str, organiser_id: int) -> str:
    """Where a party's share goes in the ledger."""
    if kind == "organiser":
        return ledger.payable_account(organiser_id)
    if kind == "platform":
        return "platform:fees"
    if kind == "customer":
        return "customers:refunds"
    return f"{kind}:{party}:payable"


@dataclass(frozen=True, slots=True)
class Share:
    kind: str
    party: str
    agreement_id: int | None
    part: Slice
    terms: Terms
    amount: int

    @property
    def posted(self) -> bool:
        return self.kind not in ("organiser", "customer") and self.amount != 0


def compute(
    organiser_id: int,
    figures: Figures,
    terms: list[SettlementAgreement],
    clients: dict[int, set[str]],
) -> list[Share]:
    """Every party's share of one period (pure given its inputs): the platform's on the
    whole net, each agent's on its outlet's sales, each printer's per ticket picked up (at its
    outlet, or anywhere), each client's on its buyers' purchases, the organiser the rest."""
    total = figures.total()
    out: list[Share] = []
    for a in terms:
        t = Terms(a.percent_bp, a.per_ticket)
        if a.kind == "platform":
            part = total
        elif a.kind == "agent":
            part = figures.of_outlet(a.party)
        elif a.kind == "printer":
            count = (
                figures.printed.get(a.outlet, 0)
                if a.outlet is not None
                else sum(figures.printed.values())
            )
            part = Slice(tickets=count)
        elif a.kind == "client":
            part = figures.of_buyers(clients.get(int(a.party), set()))
        else:
            continue
        out.append(
            Share(a.kind, a.party, a.id, part, t, share(t, base=part.net, tickets=part.tickets))
        )
    own = next((a.id for a in terms if a.kind == "organiser"), None)
    remainder = organiser_remainder(total.net, (s.amount for s in out))
    out.insert(0, Share("organiser", str(organiser_id), own, total, Terms(), remainder))
    owed = Slice(refunded=figures.owed, tickets=figures.owed_count)
    out.append(Share("customer", "refunds", None, owed, Terms(), figures.owed))
    return out


async def settle(
    uow: UnitOfWork,
    *,
    organiser_id: int,
    start: date,
    end: date,
    trigger: str,
    who: str,
    now: datetime,
) -> SettlementRun:
    """Settle ``[start, end)`` for one organiser, or return its run when it was settled
    before. Refuses a period not over yet (``period_open``) and one overlapping another run
    of the organiser (``period_overlaps``)."""
    if end <= start:
        raise InvalidInput("a period ends after it starts")
    if (end - start).days > MAX_DAYS:
        raise InvalidInput(f"a period is at most {MAX_DAYS} days")
    if end > now.astimezone(UTC).date():
        raise PeriodOpen(f"the period runs until {end}: it can be settled from then")
    # The organiser's row serialises its runs: two at once cannot both pass the checks.
    if (
        await uow.session.scalar(
            select(Organiser.id).where(Organiser.id == organiser_id).with_for_update()
        )
        is None
    ):
        raise NotFound(f"organiser {organiser_id} does not exist")
    runs = (
        await uow.session.scalars(
            select(SettlementRun).where(
                SettlementRun.organiser_id == organiser_id,
                SettlementRun.period_start < end,
                SettlementRun.period_end > start,
            )
        )
    ).all()
    for run in runs:
        if (run.period_start, run.period_end) == (start, end):
            return run  # settled before: the same run, nothing posted again
        raise PeriodOverlaps(
            f"run {run.id} settled {run.period_start}–{run.period_end}",
            details={"run": run.id},
        )
    since, until = bounds(start, end)
    figures = await period_figures(uow, organiser_id=organiser_id, start=since, end=until)
    terms = await agreements.listed(uow, organiser_id=organiser_id, on=start)
    clients = await client_buyers(uow, [int(a.party) for a in terms if a.kind == "client"])
    shares = compute(organiser_id, figures, terms, clients)
    total = figures.total()
    run = SettlementRun(
        organiser_id=organiser_id,
        period_start=start,
        period_end=end,
        currency=figures.currency,
        gross=total.gross,
        refunded=total.refunded,
        trigger=trigger,
        created_at=now,
        created_by=who,
    )
    uow.session.add(run)
    await uow.session.flush()
    rows = [
        SettlementShare(
            run_id=run.id,
            organiser_id=organiser_id,
            kind=s.kind,
            party=s.party,
            period_start=start,
            period_end=end,
            agreement_id=s.agreement_id,
            gross=s.part.gross,
            refunded=s.part.refunded,
            tickets=s.part.tickets,
            percent_bp=s.terms.percent_bp,
            per_ticket=s.terms.per_ticket,
            amount=s.amount,
            account=account_of(s.kind, s.party, organiser_id),
        )
        for s in shares
    ]
    uow.session.add_all(rows)
    await uow.session.flush()
    entries = []
    for s, row in zip(shares, rows, strict=True):
        if not s.posted:
            continue
        row.entry_ref = f"share:{row.id}"
        entries.append(
            ledger.moved(
                kind=ENTRY_KIND,
                ref=row.entry_ref,
                organiser_id=organiser_id,
                currency=run.currency,
                debit=ledger.payable_account(organiser_id),
                credit=row.account,
                amount=s.amount,
                at=now,
                memo=f"{s.kind} {s.party} {start}–{end}",
            )
        )
    await ledger.post_many(uow, entries)
    await uow.session.flush()
    await audit.record(
        uow,
        action="settlement.run",
        entity_type="settlement_run",
        entity_id=run.id,
        data={
            "organiser": organiser_id,
            "from": start.isoformat(),
            "until": end.isoformat(),
            "trigger": trigger,
            "shares": {f"{s.kind}:{s.party}": s.amount for s in shares},
        },
        now=now,
    )
    return run


async def run_shares(uow: UnitOfWork, run_id: int) -> tuple[SettlementRun, list[SettlementShare]]:
    run = await uow.session.get(SettlementRun, run_id)
    if run is None:
        raise NotFound(f"settlement run {run_id} does not exist")
    rows = (
        await uow.session.scalars(
            select(SettlementShare)
            .where(SettlementShare.run_id == run_id)
            .order_by(SettlementShare.id)
        )
    ).all()
    return run, list(rows)


async def list_runs(
    uow: UnitOfWork, *, organiser_id: int | None = None, limit: int = 100
) -> list[SettlementRun]:
    query = select(SettlementRun).order_by(SettlementRun.period_start.desc(), SettlementRun.id)
    if organiser_id is not None:
        query = query.where(SettlementRun.organiser_id == organiser_id)
    return list((await uow.session.scalars(query.limit(limit))).all())


def due_period(cadence: str, today: date) -> tuple[date, date]:
    """The last whole period of a cadence before ``today``: yesterday, last week (Monday to
    Sunday) or last month."""
    if cadence == "daily":
        return today - timedelta(days=1), today
    if cadence == "weekly":
        end = today - timedelta(days=today.weekday())
        return end - timedelta(days=7), end
    end = today.replace(day=1)
    return (end - timedelta(days=1)).replace(day=1), end
