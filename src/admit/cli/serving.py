"""The commands that run the platform: ``serve`` (one process or ``--workers N``), ``demo``
(SQLite, demo data, the worker in-process) and ``worker``. Outside the demo they check the
schema and the keys instead of migrating, and refuse insecure production settings."""

from __future__ import annotations

import asyncio
import os
import signal
from typing import Annotated

import typer

from admit.cli.commands import (
    DEMO_WARNING,
    HostOpt,
    PortOpt,
    _announce,
    _migrate,
    _run,
    _seed,
    _settings,
    app,
    console,
)
from admit.core.config import Settings
from admit.core.gc_tuning import tune_for_serving
from admit.core.key_guard import key_problem
from admit.core.runtime import Runtime
from admit.core.startup_errors import exit_on_startup_error, report
from admit.core.worker import Worker, stop_on_signals
from admit.migrations import schema_behind


def _require_current_schema(settings: Settings) -> None:
    """Outside the demo a process checks the schema instead of migrating (``admit migrate``
    runs once per release, under its lock), and that its keys read the database's personal
    data: exit 2 in one line when either is wrong."""
    settings.data_dir.mkdir(parents=True, exist_ok=True)
    with exit_on_startup_error(settings.effective_database_url):
        problem = schema_behind(settings.effective_database_url) or asyncio.run(
            key_problem(settings)
        )
    if problem:
        if settings.log_json:  # every line of the process is JSON
            report([f"refusing to start: {problem}"])
        else:
            console.print(f"[red]Refusing to start[/red]: {problem}", soft_wrap=True)
        raise typer.Exit(2)


def _refuse_insecure(settings: Settings) -> None:
    """Exit 2 naming every setting that keeps a production server from starting."""
    from admit.wiring import production_refusals

    refused = production_refusals(settings)
    if not refused:
        return
    if settings.log_json:  # every line of the process is JSON
        report([f"refusing to serve in production: {line}" for line in refused])
        raise typer.Exit(2)
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
            log_config=None,  # uvicorn's loggers go through ours (admit.core.logging)
            access_log=False,  # admit.http.access_log writes the access log
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
        log_config=None,
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
    """Run the background worker (outbox jobs) until SIGTERM or Ctrl-C; then it finishes the
    job it is running (within ADMIT_WORKER_STOP_GRACE_SECONDS; a second signal cuts that
    short), gives back the others and exits 0. Run `admit migrate` first: it refuses a schema
    that is not current."""

    async def work(rt: Runtime) -> None:
        from admit.app import create_app

        # Assembling the app wires the adapters (gateways, SMS, mail) and imports every
        # slice's job handlers; the worker serves no HTTP.
        create_app(rt, run_worker=False)
        background = Worker(rt)
        stop_on_signals(background)
        _announce(rt.settings, "Worker running; Ctrl-C or SIGTERM to stop (twice: without grace).")
        await background.run_forever()
        _announce(rt.settings, "Worker stopped.")

    settings = _settings()
    _refuse_insecure(settings)
    _require_current_schema(settings)
    _run(work, settings)


@app.command()
def settle(
    poll: Annotated[
        float, typer.Option(min=0.05, help="Seconds between settlements when nothing wakes it.")
    ] = 1.0,
) -> None:
    """Run a settlement worker until SIGTERM or Ctrl-C: it settles recorded payment
    notifications in batches as they arrive (woken by PostgreSQL's NOTIFY; on SQLite it
    polls). Run as many as wanted beside the web processes and `admit worker`; with
    ADMIT_SETTLE_IN_SERVER=false the web processes leave settling to them."""

    async def work(rt: Runtime) -> None:
        from admit.app import create_app
        from admit.sales.inbox_listener import settle_as_recorded

        create_app(rt, run_worker=False)  # the adapters and the handlers settling may queue
        stop = asyncio.Event()
        loop = asyncio.get_running_loop()
        for signum in (signal.SIGTERM, signal.SIGINT):
            loop.add_signal_handler(signum, stop.set)
        _announce(rt.settings, "Settlement worker running; Ctrl-C or SIGTERM to stop.")
        await settle_as_recorded(rt, stop, poll=poll)
        _announce(rt.settings, "Settlement worker stopped.")

    settings = _settings()
    _refuse_insecure(settings)
    _require_current_schema(settings)
    _run(work, settings)
