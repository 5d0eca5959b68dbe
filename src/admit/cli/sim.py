"""``admit sim``: serve simulators of outside systems for development and demos."""

from __future__ import annotations

from pathlib import Path
from typing import Annotated

import typer
from rich.console import Console

from admit.cli.sim_bank import serve_bank
from admit.cli.sim_cinema import serve_cinema
from admit.cli.sim_idp import serve_idp
from admit.cli.sim_printer import serve_printer
from admit.cli.sim_sms import serve_sms
from admit.sims.police import PoliceSimConfig, create_police_app, demo_population, load_population

sim_app = typer.Typer(help="Simulators of outside systems.", no_args_is_help=True)
console = Console()


@sim_app.command()
def police(
    host: Annotated[str, typer.Option(help="Interface to listen on.")] = "127.0.0.1",
    port: Annotated[int, typer.Option(help="Port to listen on.")] = 8101,
    population: Annotated[
        Path | None,
        typer.Option(
            exists=True,
            dir_okay=False,
            help="CSV of id_number,name; default: 1000 generated people (seed 1).",
        ),
    ] = None,
    app_id: Annotated[str, typer.Option(help="App id the client must present.")] = "admit",
    secret: Annotated[str, typer.Option(help="Shared signing secret.")] = "dev-secret",
    latency_ms: Annotated[int, typer.Option(min=0, help="Delay before every answer.")] = 0,
) -> None:
    """Serve the public-security identity check (name + ID number)."""
    import uvicorn

    people = load_population(population) if population else demo_population(1000, seed=1)
    config = PoliceSimConfig(app_id=app_id, secret=secret, population=people, latency_ms=latency_ms)
    number, name = next(iter(people.items()), ("-", "-"))
    console.print(
        f"Police simulator with {len(people)} people at [bold]http://{host}:{port}[/bold] "
        f"(app id {app_id!r}); e.g. {number} {name}"
    )
    uvicorn.run(create_police_app(config), host=host, port=port, access_log=False)


@sim_app.command()
def sms(
    host: Annotated[str, typer.Option(help="Interface to listen on.")] = "127.0.0.1",
    port: Annotated[int, typer.Option(help="Port to listen on.")] = 8102,
    access_key: Annotated[str, typer.Option(help="Access key the client presents.")] = "admit",
    secret: Annotated[str, typer.Option(help="Shared signing secret.")] = "dev-secret",
    latency_ms: Annotated[
        int, typer.Option(min=0, help="Delay before every answer (also POST /v1/_control).")
    ] = 0,
) -> None:
    """Serve the SMS carrier (templates, throttling, delivery receipts, idempotency keys)."""
    serve_sms(host, port, access_key, secret, latency_ms)


@sim_app.command()
def bank(
    host: Annotated[str, typer.Option(help="Interface to listen on.")] = "127.0.0.1",
    port: Annotated[int, typer.Option(help="Port to listen on.")] = 8103,
    merchant_id: Annotated[str, typer.Option(help="Merchant id the client presents.")] = "admit",
    secret: Annotated[str, typer.Option(help="Shared signing secret.")] = "dev-secret",
    public_url: Annotated[
        str, typer.Option(help="Prefix of pay page links; default: http://HOST:PORT.")
    ] = "",
) -> None:
    """Serve the bank payment gateway (pay pages, notifications, refunds, statements)."""
    serve_bank(host, port, merchant_id, secret, public_url)


@sim_app.command()
def cinema(
    host: Annotated[str, typer.Option(help="Interface to listen on.")] = "127.0.0.1",
    port: Annotated[int, typer.Option(help="Port to listen on.")] = 8104,
    app_code: Annotated[str, typer.Option(help="Agent app code the client presents.")] = "admit",
    secret: Annotated[str, typer.Option(help="Shared signing secret.")] = "dev-secret",
    lock_minutes: Annotated[int, typer.Option(min=1, help="How long a seat lock lasts.")] = 15,
) -> None:
    """Serve a cinema box-office system (cinemas, halls, showtimes, seat locks, orders)."""
    serve_cinema(host, port, app_code, secret, lock_minutes)


@sim_app.command()
def idp(
    host: Annotated[str, typer.Option(help="Interface to listen on.")] = "127.0.0.1",
    port: Annotated[int, typer.Option(help="Port to listen on.")] = 8105,
    client_id: Annotated[str, typer.Option(help="The registered client's id.")] = "admit",
    secret: Annotated[str, typer.Option(help="The registered client's secret.")] = "dev-secret",
    redirect_uri: Annotated[
        list[str] | None,
        typer.Option(
            help="A callback the client may use (repeatable), e.g. "
            "http://127.0.0.1:8000/login/with/NAME/callback."
        ),
    ] = None,
    issuer: Annotated[
        str, typer.Option(help="The issuer it names itself; default: http://HOST:PORT.")
    ] = "",
) -> None:
    """Serve an OpenID Connect identity provider (discovery, authorize page, token, userinfo,
    keys)."""
    serve_idp(host, port, client_id, secret, redirect_uri or [], issuer)


@sim_app.command()
def printer(
    host: Annotated[str, typer.Option(help="Interface to listen on.")] = "127.0.0.1",
    port: Annotated[int, typer.Option(help="Raw TCP port the platform prints to.")] = 9100,
    control_port: Annotated[
        int, typer.Option(help="HTTP control port: GET /jobs, POST /faults.")
    ] = 8106,
    paper_out: Annotated[bool, typer.Option(help="Start with the paper out.")] = False,
) -> None:
    """Serve an 80 mm ESC/POS ticket printer (port 9100 protocol): records every job, answers
    paper status (DLE EOT 4) and acknowledges jobs (GS ( H); can drop mid-job."""
    serve_printer(host, port, control_port, paper_out)
