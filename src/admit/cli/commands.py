"""Typer commands. Each opens its own unit of work and commits it (the CLI is an entrypoint)."""

from __future__ import annotations

import asyncio
import secrets
from collections.abc import Awaitable, Callable
from datetime import timedelta
from pathlib import Path
from typing import Annotated, TypeVar

import structlog
import typer
from rich.console import Console
from rich.progress import (
    BarColumn,
    MofNCompleteColumn,
    Progress,
    SpinnerColumn,
    TextColumn,
    TimeElapsedColumn,
)
from rich.text import Text

from admit import tables  # noqa: F401  (registers every table's encrypted columns)
from admit.accounts import staff
from admit.catalog import seatmaps, venues
from admit.catalog.seatmap_format import auto_detect
from admit.cli.demo_data import seed_demo
from admit.cli.demo_partners import seed_partners
from admit.cli.gate_sim import gate_sim
from admit.cli.sim import sim_app
from admit.core import key_rotation
from admit.core.audit import chain_all, verify_chain
from admit.core.audit_context import SYSTEM, Actor
from admit.core.config import Settings, load_settings
from admit.core.crypto import ENCRYPTED_COLUMNS
from admit.core.errors import AdmitError
from admit.core.key_guard import refuse_lost_keys
from admit.core.logging import configure_logging, masked_url
from admit.core.permissions import Grant, Role
from admit.core.runtime import Runtime
from admit.core.startup_errors import exit_on_startup_error
from admit.migrations import upgrade

# No Rich tracebacks: they print local variables (settings, keys, passwords). ``admit.cli.main``
# logs what a command raises through the configured logging instead.
app = typer.Typer(
    help="Admit: ticketing platform.", no_args_is_help=True, pretty_exceptions_enable=False
)
audit_app = typer.Typer(help="Inspect the audit log.", no_args_is_help=True)
app.add_typer(audit_app, name="audit")
app.add_typer(sim_app, name="sim")
app.command("gate-sim")(gate_sim)
console = Console()
T = TypeVar("T")

CLI_ACTOR = Actor(kind="system", id="cli")
DEMO_WARNING = (
    "[yellow]This is a demo[/yellow], not a deployment: the SMS, identity, bank and cinema "
    "simulators answer under /_sim without authentication (every sign-in code can be read "
    "there, any payment approved) and every shared secret is its published default. "
    "For real use run `admit serve` with the settings in docs/operations.md."
)
HostOpt = Annotated[str | None, typer.Option(help="Interface to listen on.")]
PortOpt = Annotated[int | None, typer.Option(help="Port to listen on.")]


def counted_progress() -> Progress:
    """A progress bar for work counted in items (days, organisers): done of total, elapsed."""
    return Progress(
        TextColumn("{task.description}"),
        BarColumn(),
        MofNCompleteColumn(),
        TimeElapsedColumn(),
        console=console,
    )


def _settings() -> Settings:
    with exit_on_startup_error():
        settings = load_settings()
    configure_logging(settings)
    return settings


def _announce(settings: Settings, text: str) -> None:
    """A line for the operator: printed, or a log record when every line must be JSON."""
    if settings.log_json:
        structlog.get_logger("admit.cli").info(Text.from_markup(text).plain)
    else:
        console.print(text)


def _run(work: Callable[[Runtime], Awaitable[T]], settings: Settings | None = None) -> T:
    chosen = settings or _settings()

    async def main() -> T:
        await refuse_lost_keys(chosen)  # before the runtime, which would make missing keys
        rt = Runtime.from_settings(chosen)
        try:
            return await work(rt)
        finally:
            await rt.close()

    try:
        with exit_on_startup_error(chosen.effective_database_url):
            return asyncio.run(main())
    except AdmitError as exc:
        console.print(f"[red]{exc.code}[/red]: {exc.message}", soft_wrap=True)
        if exc.details:
            console.print(exc.details)
        raise typer.Exit(2) from exc


def _migrate(settings: Settings) -> None:
    settings.data_dir.mkdir(parents=True, exist_ok=True)
    with (
        exit_on_startup_error(settings.effective_database_url),
        console.status("Migrating the database…"),
    ):
        upgrade(settings.effective_database_url)


@app.command()
def migrate() -> None:
    """Bring the database schema up to date."""
    settings = _settings()
    _migrate(settings)
    _announce(
        settings,
        "[green]Database at the latest schema[/green] "
        f"({masked_url(settings.effective_database_url)})",
    )


async def _seed(rt: Runtime) -> None:
    with Progress(
        SpinnerColumn(),
        TextColumn("{task.description}"),
        TimeElapsedColumn(),
        console=console,
        transient=True,
    ) as bar:
        task = bar.add_task("Seeding demo data", total=None)
        async with rt.uow(CLI_ACTOR) as uow:
            summary = await seed_demo(
                uow,
                now=rt.clock.now(),
                progress=lambda msg: bar.update(task, description=f"Seeding demo data: {msg}"),
            )
    if summary.created:
        console.print(f"[green]Demo data created[/green]: {summary.sessions} sessions")
    else:
        console.print("Demo data already present")
    console.print(f"Partner cinemas: {await seed_partners(rt, console.print)} new showtimes")


@app.command("seed-demo")
def seed_demo_command() -> None:
    """Load the demo cinema and stadium with sessions for the coming days."""
    settings = _settings()
    _migrate(settings)
    _run(_seed, settings)


@app.command("create-admin")
def create_admin(
    username: Annotated[str, typer.Option(help="Login name.")] = "admin",
    password: Annotated[
        str | None, typer.Option(help="Per the security policy; generated when omitted.")
    ] = None,
) -> None:
    """Create an administrator and print a bearer token for the API."""
    secret = password or secrets.token_urlsafe(12) + "Aa1!"

    async def work(rt: Runtime) -> str:
        async with rt.uow(CLI_ACTOR) as uow:
            now = rt.clock.now()
            user = await staff.create_staff(
                uow,
                rt.crypto,
                staff.NewStaff(
                    username=username, password=secret, grants=[Grant(Role.SYSTEM_ADMIN)]
                ),
                now=now,
            )
            issued = await staff.issue_token(
                uow,
                staff_id=user.id,
                now=now,
                lifetime=timedelta(hours=rt.settings.staff_token_hours),
            )
        return issued.token

    settings = _settings()
    _migrate(settings)
    token = _run(work, settings)
    console.print(f"Administrator [bold]{username}[/bold] created.")
    if password is None:
        console.print(f"Password: [bold]{secret}[/bold]")
    console.print(f"Bearer token: [bold]{token}[/bold]")


@app.command("import-seatmap")
def import_seatmap(
    file: Annotated[Path, typer.Argument(exists=True, dir_okay=False, readable=True)],
    venue: Annotated[str, typer.Option(help="Code of the venue the map belongs to.")],
) -> None:
    """Import a seat map file (JSON or CSV; see docs/seatmap-format.md): all of it or nothing."""
    with Progress(
        TextColumn("{task.description}"), BarColumn(), TimeElapsedColumn(), console=console
    ) as bar:
        task = bar.add_task("Reading and checking", total=3)
        spec = _checked(lambda: auto_detect(file.read_bytes(), file.name))
        bar.advance(task)

        async def work(rt: Runtime) -> tuple[int, int]:
            bar.update(task, description=f"Storing {len(spec.seats)} seats")
            async with rt.uow(CLI_ACTOR) as uow:
                found = [v for v in await venues.list_venues(uow) if v.code == venue]
                if not found:
                    raise typer.BadParameter(f"no venue with code {venue!r}")
                seat_map = await seatmaps.import_seatmap(
                    uow, venue_id=found[0].id, spec=spec, now=rt.clock.now()
                )
            bar.advance(task, 2)
            return seat_map.id, seat_map.seat_count

        settings = _settings()
        _migrate(settings)
        map_id, count = _run(work, settings)
    console.print(f"[green]Seat map {map_id} imported[/green]: {count} seats")


def _checked(read: Callable[[], T]) -> T:
    try:
        return read()
    except AdmitError as exc:
        console.print(f"[red]Refused[/red] ({exc.code}): {exc.message}")
        for problem in (exc.details or [])[:50]:
            console.print(f"  • {problem}")
        raise typer.Exit(2) from exc


@app.command("rotate-keys")
def rotate_keys() -> None:
    """Re-encrypt personal data under the first key of ADMIT_FIELD_KEYS (then drop old keys)."""

    async def work(rt: Runtime) -> int:
        async with rt.uow(CLI_ACTOR, readonly=True) as uow:
            total = await key_rotation.count_encrypted_rows(uow)
        done = 0
        with Progress(
            TextColumn("{task.description}"), BarColumn(), TimeElapsedColumn(), console=console
        ) as bar:
            task = bar.add_task("Re-encrypting", total=total)
            for table in range(len(ENCRYPTED_COLUMNS)):
                after = 0
                while True:
                    async with rt.uow(CLI_ACTOR) as uow:
                        count, after = await key_rotation.rotate_batch(
                            uow, rt.crypto, table=table, after_id=after
                        )
                    if not count:
                        break
                    done += count
                    bar.update(task, completed=done)
        return done

    rows = _run(work)
    console.print(f"[green]{rows} rows re-encrypted[/green] under the current key")


@audit_app.command("verify")
def audit_verify() -> None:
    """Recompute the audit log's hash chain; exit 1 at the first row that was tampered with."""

    async def work(rt: Runtime) -> tuple[bool, int, int | None, str | None]:
        await chain_all(rt.uow)
        async with rt.uow(SYSTEM, readonly=True) as uow:
            r = await verify_chain(uow.session)
        return r.ok, r.entries, r.broken_at_seq, r.reason

    ok, entries, seq, reason = _run(work)
    if ok:
        console.print(f"[green]Audit chain intact[/green]: {entries} entries")
        return
    console.print(f"[red]Audit chain broken at entry {seq}[/red]: {reason}")
    raise typer.Exit(1)


@app.command("check")
def check_sales() -> None:
    """Check the selling invariants against the data (counters, seats, orders, tickets,
    payments, ledger); exit 1 and list what does not add up."""
    from admit.sales.consistency import problems

    async def work(rt: Runtime) -> list[str]:
        async with rt.uow(SYSTEM, readonly=True) as uow:
            return await problems(uow)

    found = _run(work)
    if not found:
        console.print(
            "[green]Consistent[/green]: counters, seats, orders, payments and ledger agree"
        )
        return
    for line in found:
        console.print(f"[red]✗[/red] {line}")
    raise typer.Exit(1)


@app.command("cancel-session")
def cancel_session(
    session_id: Annotated[int, typer.Argument(help="The session to cancel.")],
    note: Annotated[str, typer.Option(help="Why: kept in the audit log and the policy.")],
) -> None:
    """Cancel a session: sales stop, unpaid holds end, and every paid order is refunded in
    full (tickets revoked, money back through each payment by the worker's refund jobs).
    Run again, it refunds what is left."""
    from admit.aftersale.session_cancel import AlreadyCancelled, CancelReport, refund_session
    from admit.aftersale.session_cancel import cancel_session as cancel

    async def work(rt: Runtime) -> CancelReport:
        try:
            async with rt.uow(CLI_ACTOR) as uow:
                await cancel(
                    uow,
                    session_id=session_id,
                    note=note,
                    who="cli",
                    now=rt.clock.now(),
                    queue=False,
                )
        except AlreadyCancelled:
            console.print("The session was cancelled already: refunding what is left")
        with Progress(
            TextColumn("{task.description}"), BarColumn(), TimeElapsedColumn(), console=console
        ) as bar:
            task = bar.add_task("Refunding orders", total=None)
            report, _ = await refund_session(
                rt,
                session_id,
                actor=CLI_ACTOR,
                who="cli",
                progress=lambda done, total: bar.update(task, completed=done, total=total),
            )
        return report

    report = _run(work)
    console.print(
        f"[green]Session {session_id} cancelled[/green]: {report.refunded} of {report.orders} "
        f"orders refunded, {report.tickets} tickets revoked, {report.amount / 100:.2f} going "
        "back through the payments (the worker sends the refunds)"
    )
    for reason, count in sorted(report.skipped.items()):
        console.print(f"[yellow]{count} orders passed over[/yellow]: {reason}")
