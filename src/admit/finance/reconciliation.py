"""Reconciliation runs and their exceptions, whoever the other side is (C5, A2, A3): a
cinema's daily report (``admit.partners.reconciliation``) or a payment gateway's statement
(``admit.finance.gateway_recon``). A caller compares a day with the pure rules
(``finance.recon_rules``) and stores the result here as a run of that counterparty and day,
one exception per difference. Running a day again keeps resolved exceptions, reopens or adds
the ones found and marks those no longer found as cleared. An operator resolves an exception
with a note; the day is reconciled when none is open."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import UTC, date, datetime, time, timedelta

from sqlalchemy import select

from admit.core import audit
from admit.core.errors import Conflict, InvalidInput, NotFound
from admit.core.uow import UnitOfWork
from admit.finance.models import ReconException, ReconRun
from admit.finance.recon_rules import Comparison


class AlreadyResolved(Conflict):
    code = "already_resolved"


class NotReconciled(NotFound):
    code = "not_reconciled"


@dataclass(frozen=True, slots=True)
class RunView:
    run: ReconRun
    exceptions: list[ReconException]

    @property
    def reconciled(self) -> bool:
        return self.run.status == "done" and self.run.open_exceptions == 0


def day_bounds(day: date) -> tuple[datetime, datetime]:
    start = datetime.combine(day, time(0), tzinfo=UTC)
    return start, start + timedelta(days=1)


def check_day_over(day: date, now: datetime) -> None:
    if day_bounds(day)[1] > now:
        raise InvalidInput("a day can be reconciled once it is over (UTC)")


async def store(
    uow: UnitOfWork,
    *,
    counterparty: str,
    day: date,
    result: Comparison,
    now: datetime,
    lines: int = 0,
    source: str = "fetched",
    audit_action: str = "reconciliation.run",
) -> RunView:
    """Record a comparison as the counterparty's run of ``day`` (one per counterparty and day:
    a second comparison updates it)."""
    run = await uow.session.scalar(
        select(ReconRun)
        .where(ReconRun.counterparty == counterparty, ReconRun.day == day)
        .with_for_update()
    )
    if run is None:
        run = ReconRun(counterparty=counterparty, day=day, ran_at=now)
        uow.session.add(run)
        await uow.session.flush()
    run.ran_at, run.status, run.source, run.lines = now, "done", source, lines
    run.matched, run.platform_total = len(result.matched), result.platform_total
    run.partner_total = result.partner_total
    existing = {(e.ref, e.kind): e for e in await _exceptions(uow, counterparty, day)}
    found = set()
    for d in result.differences:
        found.add((d.ref, d.kind))
        row = existing.get((d.ref, d.kind))
        if row is None:
            row = ReconException(
                run_id=run.id,
                counterparty=counterparty,
                day=day,
                ref=d.ref,
                kind=d.kind,
                line_kind=d.line_kind,
                status="open",
                created_at=now,
            )
            uow.session.add(row)
            existing[(d.ref, d.kind)] = row
        elif row.status == "cleared":
            row.status = "open"
        if row.status == "open":
            row.platform_amount, row.partner_amount = d.platform_amount, d.partner_amount
            row.line_kind = d.line_kind
    for key, row in existing.items():
        if key not in found and row.status == "open":
            row.status = "cleared"
    run.open_exceptions = sum(1 for r in existing.values() if r.status == "open")
    await uow.session.flush()
    await audit.record(
        uow,
        action=audit_action,
        entity_type="recon_run",
        entity_id=f"{counterparty}/{day.isoformat()}",
        data={
            "source": source,
            "lines": lines,
            "matched": run.matched,
            "open": run.open_exceptions,
            "platform_total": run.platform_total,
            "partner_total": run.partner_total,
        },
        now=now,
    )
    return RunView(run, sorted(existing.values(), key=lambda e: (e.ref, e.kind)))


async def _exceptions(uow: UnitOfWork, counterparty: str, day: date) -> list[ReconException]:
    rows = await uow.session.scalars(
        select(ReconException)
        .where(ReconException.counterparty == counterparty, ReconException.day == day)
        .order_by(ReconException.ref, ReconException.kind)
    )
    return list(rows.all())


async def get_run(uow: UnitOfWork, *, counterparty: str, day: date) -> RunView:
    run = await uow.session.scalar(
        select(ReconRun).where(ReconRun.counterparty == counterparty, ReconRun.day == day)
    )
    if run is None:
        raise NotReconciled(f"{counterparty} has not been reconciled for {day}")
    return RunView(run, await _exceptions(uow, counterparty, day))


async def list_runs(
    uow: UnitOfWork, *, prefix: str = "", reconciled: bool | None = None, limit: int = 200
) -> list[ReconRun]:
    """Runs newest day first; ``prefix`` narrows the counterparties (``gateway:``)."""
    query = select(ReconRun).order_by(ReconRun.day.desc(), ReconRun.counterparty).limit(limit)
    if prefix:
        query = query.where(ReconRun.counterparty.startswith(prefix, autoescape=True))
    if reconciled is True:
        query = query.where(ReconRun.status == "done", ReconRun.open_exceptions == 0)
    elif reconciled is False:
        query = query.where((ReconRun.status != "done") | (ReconRun.open_exceptions > 0))
    return list((await uow.session.scalars(query)).all())


async def list_exceptions(
    uow: UnitOfWork, *, status: str | None, prefix: str = "", limit: int = 200
) -> list[ReconException]:
    query = select(ReconException).order_by(ReconException.id.desc()).limit(limit)
    if status:
        query = query.where(ReconException.status == status)
    if prefix:
        query = query.where(ReconException.counterparty.startswith(prefix, autoescape=True))
    return list((await uow.session.scalars(query)).all())


async def lock_exception(uow: UnitOfWork, exception_id: int, prefix: str = "") -> ReconException:
    """The exception, locked for its resolution; NotFound outside ``prefix``'s counterparties."""
    row = await uow.session.scalar(
        select(ReconException).where(ReconException.id == exception_id).with_for_update()
    )
    if row is None or not row.counterparty.startswith(prefix):
        raise NotFound(f"reconciliation exception {exception_id} does not exist")
    return row


async def resolve(
    uow: UnitOfWork,
    *,
    row: ReconException,
    note: str,
    who: str,
    now: datetime,
    audit_action: str = "reconciliation.exception_resolved",
    data: dict[str, object] | None = None,
) -> ReconException:
    """An operator closes a (locked) exception with what was done about it (A3); the run's
    count of open exceptions follows, so the day shows reconciled when the last one closes."""
    if row.status == "resolved":
        raise AlreadyResolved("this exception was resolved already")
    if not note.strip():
        raise InvalidInput("say how the difference was resolved")
    was_open = row.status == "open"
    row.status, row.note, row.resolved_by, row.resolved_at = "resolved", note.strip(), who, now
    if was_open:
        run = await uow.session.get(ReconRun, row.run_id, with_for_update=True)
        if run is not None:
            run.open_exceptions = max(run.open_exceptions - 1, 0)
    await uow.session.flush()
    await audit.record(
        uow,
        action=audit_action,
        entity_type="recon_exception",
        entity_id=row.id,
        data={
            "counterparty": row.counterparty,
            "day": row.day.isoformat(),
            "ref": row.ref,
            "kind": row.kind,
            "note": row.note,
            **(data or {}),
        },
        now=now,
    )
    return row
