"""Serve the cinema box-office simulator (wired as ``admit sim cinema``)."""

from __future__ import annotations

from rich.console import Console

from admit.sims.cinema import CinemaSimConfig, create_cinema_app

console = Console()


def serve_cinema(host: str, port: int, app_code: str, secret: str, lock_minutes: int) -> None:
    """Run the simulator for one agent platform until interrupted."""
    import uvicorn

    config = CinemaSimConfig(apps={app_code: secret}, lock_minutes=lock_minutes)
    names = ", ".join(f"{p.cinema.code} {p.cinema.name}" for p in config.cinemas)
    console.print(
        f"Cinema box-office simulator at [bold]http://{host}:{port}[/bold] (app {app_code!r}): "
        f"{names}; operations at /api/<Operation>, faults at /_control, counter sales at "
        "/_counter, locks and orders at /_state"
    )
    uvicorn.run(create_cinema_app(config), host=host, port=port, access_log=False)
