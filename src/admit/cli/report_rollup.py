"""``admit rollup-reports``: roll up every closed day not rolled up yet, a month per
transaction, with a progress bar — the worker does one day per cycle, which is what a running
platform needs, but a database filled with a year of past sales wants them all at once. With
``--from``, the days from then on are rolled up again (after sales were imported into them)."""

from __future__ import annotations

from datetime import datetime
from typing import Annotated

import typer

from admit.cli.commands import CLI_ACTOR, _run, app, console, counted_progress
from admit.core.runtime import Runtime
from admit.reports import rollup

DAYS_PER_TRANSACTION = 31


@app.command("rollup-reports")
def rollup_reports(
    since: Annotated[
        datetime | None,
        typer.Option(
            "--from", formats=["%Y-%m-%d"], help="Roll up again from this UTC day onwards."
        ),
    ] = None,
) -> None:
    """Roll up the reports' closed days (each organiser's figures per day)."""

    async def work(rt: Runtime) -> int:
        now = rt.clock.now()
        async with rt.uow(CLI_ACTOR) as uow:
            if since is not None:
                await rollup.rewind(uow, since.date())
        async with rt.uow(CLI_ACTOR, readonly=True) as uow:
            total = await rollup.pending(uow, now)
        done = 0
        with counted_progress() as bar:
            task = bar.add_task("Rolling up days", total=total)
            while True:
                async with rt.uow(CLI_ACTOR) as uow:
                    days = await rollup.advance(uow, now, days=DAYS_PER_TRANSACTION)
                if not days:
                    return done
                done += len(days)
                bar.update(task, advance=len(days), description=f"Rolled up to {days[-1]}")

    rolled = _run(work)
    console.print(f"[green]{rolled} day(s) rolled up[/green]")
