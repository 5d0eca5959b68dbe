"""``admit gate-sim``: the reference device client from the command line — register (or use a
credential), download a session's manifest, validate a file of QR codes offline, then upload
the scans or export them to a file for an administrator to import."""

from __future__ import annotations

import sys
import time
from collections import Counter
from dataclasses import dataclass, field
from datetime import datetime
from pathlib import Path
from typing import Annotated, Any

import httpx
import typer
from rich.console import Console
from rich.table import Table

from admit.checkin.device_client import DeviceClient, DeviceError, register
from admit.checkin.validation import Direction

console = Console()


@dataclass
class SimRun:
    """What one run did: results by kind, the offline rate, the upload answers."""

    device: str
    session_id: int
    manifest_version: int
    results: Counter[str] = field(default_factory=Counter)
    seconds: float = 0.0
    uploads: list[dict[str, Any]] = field(default_factory=list)
    exported: int = 0


@dataclass(frozen=True, slots=True)
class SimOptions:
    codes: list[str]
    credential: str | None = None
    staff_token: str | None = None
    venue_id: int | None = None
    number: str | None = None
    gate: str | None = None
    session_id: int | None = None
    direction: Direction = "in"
    at: datetime | None = None
    upload: bool = True
    export: Path | None = None


async def simulate(http: httpx.AsyncClient, options: SimOptions) -> SimRun:
    """Run the device against the server behind ``http``."""
    credential = options.credential
    if credential is None:
        if not (options.staff_token and options.venue_id and options.number):
            raise typer.BadParameter("give --credential, or --staff-token, --venue and --number")
        credential = await register(
            http,
            staff_token=options.staff_token,
            number=options.number,
            venue_id=options.venue_id,
            gate=options.gate,
        )
        console.print(f"Registered device {options.number}; credential: [bold]{credential}[/]")
    device = DeviceClient(http, credential, gate=options.gate)
    me = await device.whoami()
    session_id = options.session_id or (me["sessions"][0]["id"] if me["sessions"] else None)
    if session_id is None:
        raise typer.BadParameter("the device's venue has no session on; give --session")
    manifest = await device.sync_manifest(session_id)
    run = SimRun(device=device.number, session_id=session_id, manifest_version=manifest.version)
    started = time.perf_counter()
    for text in options.codes:
        run.results[device.validate(text, now=options.at, direction=options.direction).result] += 1
    run.seconds = time.perf_counter() - started
    if options.export is not None:
        options.export.write_text(device.export_lines())
        run.exported = len(device.pending)
    if options.upload:
        run.uploads = await device.upload()
    return run


def _read_codes(path: str) -> list[str]:
    text = sys.stdin.read() if path == "-" else Path(path).read_text()
    return [line.strip() for line in text.splitlines() if line.strip()]


def _report(run: SimRun) -> None:
    table = Table(title=f"Device {run.device}, session {run.session_id}")
    table.add_column("result")
    table.add_column("scans", justify="right")
    for result, count in sorted(run.results.items()):
        table.add_row(result, str(count))
    console.print(table)
    console.print("results: " + ", ".join(f"{k} {v}" for k, v in sorted(run.results.items())))
    total = sum(run.results.values())
    rate = total / run.seconds if run.seconds else 0.0
    console.print(f"manifest version {run.manifest_version}; {total} scans offline, {rate:,.0f}/s")
    if run.exported:
        console.print(f"exported {run.exported} scans")
    for answer in run.uploads:
        console.print(
            f"uploaded {answer['received']}: {answer['new']} new, "
            f"{answer['duplicates']} already there, {len(answer['conflicts'])} conflicts"
        )


def gate_sim(
    codes: Annotated[str, typer.Option(help="File of QR texts, one a line ('-': stdin).")],
    server: Annotated[str, typer.Option(help="The platform's base URL.")] = "http://127.0.0.1:8000",
    credential: Annotated[str | None, typer.Option(help="The device's credential.")] = None,
    staff_token: Annotated[
        str | None, typer.Option(help="Register first, as this staff member (gate.manage).")
    ] = None,
    venue: Annotated[int | None, typer.Option(help="Venue to register the device at.")] = None,
    number: Annotated[str | None, typer.Option(help="Number of the device to register.")] = None,
    gate: Annotated[str | None, typer.Option(help="Gate code (default: the device's).")] = None,
    session: Annotated[int | None, typer.Option(help="Session id (default: the next one).")] = None,
    direction: Annotated[str, typer.Option(help="in or out.")] = "in",
    at: Annotated[
        datetime | None, typer.Option(help="Device time, ISO 8601 with offset (default: now).")
    ] = None,
    upload: Annotated[bool, typer.Option(help="Upload the scans afterwards.")] = True,
    export: Annotated[Path | None, typer.Option(help="Also write the scans to this file.")] = None,
) -> None:
    """Act as a gate device: manifest, offline validation, upload or export."""
    import asyncio

    if direction not in ("in", "out"):
        raise typer.BadParameter("direction is in or out")
    if at is not None and at.tzinfo is None:
        raise typer.BadParameter("--at needs a UTC offset")
    options = SimOptions(
        codes=_read_codes(codes),
        credential=credential,
        staff_token=staff_token,
        venue_id=venue,
        number=number,
        gate=gate,
        session_id=session,
        direction="out" if direction == "out" else "in",
        at=at,
        upload=upload,
        export=export,
    )

    async def main() -> SimRun:
        async with httpx.AsyncClient(base_url=server, timeout=30) as http:
            return await simulate(http, options)

    try:
        run = asyncio.run(main())
    except (DeviceError, httpx.HTTPError) as exc:
        console.print(f"[red]{exc}[/red]")
        raise typer.Exit(1) from exc
    _report(run)
