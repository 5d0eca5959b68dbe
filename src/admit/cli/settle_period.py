"""``admit settle-period``: settle a period for one organiser or for every organiser that took money
in it (A1, OPS6), with a progress bar; optionally write each party's statement (CSV and PDF)
to a directory. Running it again settles nothing twice: each organiser's run of the period is
returned as it was. (``admit settle`` is the payment-inbox settlement worker, issue 17:
another thing that is also called settling.)"""

from __future__ import annotations

from datetime import date, datetime
from pathlib import Path
from typing import Annotated

import typer
from rich.table import Table
from sqlalchemy import select

from admit.cli.commands import CLI_ACTOR, _run, app, console, counted_progress
from admit.core.runtime import Runtime
from admit.finance.models import LedgerEntry
from admit.settlement import runs, statements
from admit.settlement.models import SettlementRun, SettlementShare


async def _organisers(rt: Runtime, start: date, end: date) -> list[int]:
    since, until = runs.bounds(start, end)
    async with rt.uow(CLI_ACTOR, readonly=True) as uow:
        found = await uow.session.scalars(
            select(LedgerEntry.organiser_id)
            .where(LedgerEntry.at >= since, LedgerEntry.at < until)
            .where(LedgerEntry.kind.in_(("capture", "refund")))
            .distinct()
            .order_by(LedgerEntry.organiser_id)
        )
        return list(found.all())


def _write(out: Path, run: SettlementRun, shares: list[SettlementShare]) -> None:
    out.mkdir(parents=True, exist_ok=True)
    for share in shares:
        name = f"settlement-{run.organiser_id}-{share.kind}-{share.party}-{run.period_start}"
        safe = "".join(c if c.isalnum() or c in "-_." else "_" for c in name)
        (out / f"{safe}.csv").write_text(statements.statement_csv(run, share))
        (out / f"{safe}.pdf").write_bytes(statements.statement_pdf(run, share))


@app.command("settle-period")
def settle_period(
    start: Annotated[datetime, typer.Option(formats=["%Y-%m-%d"], help="First day (UTC).")],
    end: Annotated[
        datetime, typer.Option(formats=["%Y-%m-%d"], help="First day after the period.")
    ],
    organiser: Annotated[
        list[int] | None,
        typer.Option(help="Organiser id (repeatable); default: all who took money then."),
    ] = None,
    out: Annotated[
        Path | None, typer.Option(file_okay=False, help="Write each statement (CSV, PDF) here.")
    ] = None,
) -> None:
    """Settle a period: each party's share, posted to the ledger once."""
    first, after = start.date(), end.date()

    async def work(rt: Runtime) -> list[tuple[SettlementRun, list[SettlementShare]]]:
        ids = organiser or await _organisers(rt, first, after)
        done = []
        with counted_progress() as bar:
            task = bar.add_task("Settling", total=len(ids))
            for organiser_id in ids:
                bar.update(task, description=f"Settling organiser {organiser_id}")
                async with rt.uow(CLI_ACTOR) as uow:
                    run = await runs.settle(
                        uow,
                        organiser_id=organiser_id,
                        start=first,
                        end=after,
                        trigger="manual",
                        who=CLI_ACTOR.id,
                        now=rt.clock.now(),
                    )
                    done.append(await runs.run_shares(uow, run.id))
                bar.advance(task)
        return done

    settled = _run(work)
    table = Table("run", "organiser", "party", "net", "amount", "ledger entry")
    for run, shares in settled:
        for share in shares:
            table.add_row(
                str(run.id),
                str(run.organiser_id),
                f"{share.kind}:{share.party}",
                str(share.gross - share.refunded),
                str(share.amount),
                share.entry_ref or "",
            )
        if out is not None:
            _write(out, run, shares)
    console.print(table)
    console.print(f"[green]{len(settled)} organiser(s) settled[/green] for {first}–{after}")
