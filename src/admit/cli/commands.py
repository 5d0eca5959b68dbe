"""Typer commands. Each opens its own unit of work and commits it (the CLI is an entrypoint)."""

from __future__ import annotations

import asyncio
import os
import secrets
from collections.abc import Awaitable, Callable
from datetime import timedelta
from pathlib import Path
from typing import Annotated, TypeVar

import typer
from rich.console import Console
from rich.progress import BarColumn, Progress, SpinnerColumn, TextColumn, TimeElapsedColumn

from admit import tables  # noqa: F401  (registers every table's encrypted columns)
from admit.accounts import staff
from admit.accounts.permissions import Grant, Role
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
from admit.core.gc_tuning import tune_for_serving
from admit.core.key_guard import key_problem, refuse_lost_keys
from admit.core.logging import configure_logging, masked_url
from admit.core.runtime import Runtime
from admit.core.worker import run_forever
from admit.migrations import schema_behind, upgrade

app = typer.Typer(help="Admit: ticketing platform.", no_args_is_help=True)
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


def _settings() -> Settings:
    settings = load_settings()
    configure_logging(settings)
    return settings


def _run(work: Callable[[Runtime], Awaitable[T]], settings: Settings | None = None) -> T:
    async def main() -> T:
        chosen = settings or _settings()
        await refuse_lost_keys(chosen)  # before the runtime, which would make missing keys
        rt = Runtime.from_settings(chosen)
        try:
            return await work(rt)
        finally:
            await rt.close()

    try:
        return asyncio.run(main())
    except AdmitError as exc:
        console.print(f"[red]{exc.code}[/red]: {exc.message}", soft_wrap=True)
        if exc.details:
            console.print(exc.details)
        raise typer.Exit(2) from exc


def _migrate(settings: Settings) -> None:
    settings.data_dir.mkdir(parents=True, exist_ok=True)
    with console.status("Migrating the database…"):
        upgrade(settings.effective_database_url)


def _require_current_schema(settings: Settings) -> None:
    """Outside the demo a process checks the schema instead of migrating (``admit migrate``
    runs once per release, under its lock), and that its keys read the database's personal
    data: exit 2 in one line when either is wrong."""
    settings.data_dir.mkdir(parents=True, exist_ok=True)
    behind = schema_behind(settings.effective_database_url)
    if behind:
        console.print(f"[red]Refusing to start[/red]: {behind}", soft_wrap=True)
        raise typer.Exit(2)
    lost = asyncio.run(key_problem(settings))
    if lost:
        console.print(f"[red]Refusing to start[/red]: {lost}", soft_wrap=True)
        raise typer.Exit(2)


@app.command()
def migrate() -> None:
    """Bring the database schema up to date."""
    settings = _settings()
    _migrate(settings)
    console.print(
        "[green]Database at the latest schema[/green] "
        f"({masked_url(settings.effective_database_url)})"
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


def _refuse_insecure(settings: Settings) -> None:
    """Exit 2 naming every setting that keeps a production server from starting."""
    from admit.wiring import production_refusals

    refused = production_refusals(settings)
    if not refused:
        return
    console.print(
        "[red]Refusing to serve in production[/red] (a PostgreSQL database, a public URL "
        "that is not this machine, or ADMIT_ENVIRONMENT=production); fix these settings, or "
        "set ADMIT_ENVIRONMENT=development on a machine nobody else can reach:",
        soft_wrap=True,
    )
    for line in refused:
        console.print(f"  • {line}", soft_wrap=True)
    raise typer.Exit(2)


def _serve(settings: Settings, host: str | None, port: int | None, workers: int = 1) -> None:
    import uvicorn

    from admit.app import create_app

    settings = settings.model_copy(
        update={"host": host or settings.host, "port": port or settings.port}
    )
    if workers > 1:
        # Each worker process builds its own runtime from the environment, on one socket.
        os.environ.update(ADMIT_HOST=settings.host, ADMIT_PORT=str(settings.port))
        uvicorn.run(
            "admit.app:from_environment",
            factory=True,
            workers=workers,
            host=settings.host,
            port=settings.port,
            log_level=settings.log_level.lower(),
            access_log=False,
            # The client's address is the socket's peer unless ADMIT_TRUSTED_PROXIES says
            # otherwise (``http.deps.address_of``): uvicorn must not rewrite it first.
            proxy_headers=False,
        )
        return
    app_ = create_app(Runtime.from_settings(settings))
    tune_for_serving(settings.gc_gen0_threshold)
    uvicorn.run(
        app_,
        host=settings.host,
        port=settings.port,
        log_level=settings.log_level.lower(),
        access_log=False,
        proxy_headers=False,
    )


@app.command()
def serve(
    host: HostOpt = None,
    port: PortOpt = None,
    workers: Annotated[
        int, typer.Option(min=1, max=64, help="Server processes sharing the port.")
    ] = 1,
) -> None:
    """Serve the web application and API (run `admit migrate` first: refuses a schema that is
    not current). In production (see docs/operations.md) refuses to start with default
    secrets, unset keys or in-process simulators."""
    settings = _settings()
    _refuse_insecure(settings)
    _require_current_schema(settings)
    _serve(settings, host, port, workers)


@app.command()
def demo(host: HostOpt = None, port: PortOpt = None) -> None:
    """Zero-setup demo: SQLite under ADMIT_DATA_DIR, demo data, in-process worker. Never for
    the public: simulators without authentication and default secrets."""
    settings = _settings()
    if settings.environment == "production":
        console.print("[red]admit demo is a demo[/red]: with ADMIT_ENVIRONMENT=production use")
        console.print("`admit serve` (see docs/operations.md).")
        raise typer.Exit(2)
    _migrate(settings)
    _run(_seed, settings)
    console.print(DEMO_WARNING, soft_wrap=True)
    console.print(
        f"Admit is at [bold]http://{host or settings.host}:{port or settings.port}[/bold] "
        "— API docs at /docs. Create an administrator with `admit create-admin`."
    )
    _serve(settings.model_copy(update={"run_worker_in_process": True}), host, port)


@app.command()
def worker() -> None:
    """Run the background worker (outbox jobs) until interrupted (run `admit migrate`
    first: refuses a schema that is not current)."""

    async def work(rt: Runtime) -> None:
        from admit.app import create_app

        # Assembling the app wires the adapters (gateways, SMS, mail) and imports every
        # slice's job handlers; the worker serves no HTTP.
        create_app(rt, run_worker=False)
        console.print("Worker running; Ctrl-C to stop.")
        await run_forever(rt, asyncio.Event())

    settings = _settings()
    _refuse_insecure(settings)
    _require_current_schema(settings)
    _run(work, settings)
