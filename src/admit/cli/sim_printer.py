"""Serve the ESC/POS ticket printer simulator (wired as ``admit sim printer``): raw TCP for
the platform, an HTTP control port for people and tests."""

from __future__ import annotations

import asyncio

from rich.console import Console

from admit.sims.printer import PrinterSim
from admit.sims.printer_control import create_printer_control_app

console = Console()


def serve_printer(host: str, port: int, control_port: int, paper_out: bool) -> None:
    """Run the printer and its control port until interrupted."""
    asyncio.run(_serve(host, port, control_port, paper_out))


async def _serve(host: str, port: int, control_port: int, paper_out: bool) -> None:
    import uvicorn

    sim = PrinterSim(paper_out=paper_out)
    await sim.start(host, port)
    console.print(
        f"Ticket printer simulator (ESC/POS over raw TCP) at [bold]{host}:{sim.port}[/bold]; "
        f"control at http://{host}:{control_port} (GET /jobs, POST /faults)"
    )
    config = uvicorn.Config(
        create_printer_control_app(sim), host=host, port=control_port, access_log=False
    )
    try:
        await uvicorn.Server(config).serve()
    finally:
        await sim.stop()
