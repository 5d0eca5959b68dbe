"""``admit gate-sim``, the reference device, against the platform: registered with a staff
token, manifest, offline validation of a codes file, upload; and exported to a file."""

from __future__ import annotations

import json
from pathlib import Path

import httpx
from tests.integration.checkin.gate_factories import ADMIN, DOORS, ok, sell
from typer.testing import CliRunner

from admit.cli.commands import app
from admit.cli.gate_sim import SimOptions, simulate
from admit.core.clock import FixedClock
from admit.core.runtime import Runtime


async def test_the_reference_device_registers_validates_and_uploads(
    admin: httpx.AsyncClient,
    client: httpx.AsyncClient,
    runtime: Runtime,
    clock: FixedClock,
    admin_token: str,
    tmp_path: Path,
) -> None:
    sold = await sell(admin, runtime, clock, seats=["L1-HALL-A-1", "L1-HALL-A-2"])
    first, second = sold.tickets
    codes = [first.qr, second.qr, first.qr, "AD1:FORGED"]
    client.headers.pop("Authorization")
    export = tmp_path / "scans.jsonl"
    run = await simulate(
        client,
        SimOptions(
            codes=codes,
            staff_token=admin_token,
            venue_id=sold.venue_id,
            number="SIM-1",
            at=DOORS,
            export=export,
        ),
    )
    assert (run.device, run.session_id, run.manifest_version) == ("SIM-1", sold.session_id, 1)
    assert dict(run.results) == {"admitted": 2, "already_inside": 1, "forged": 1}
    assert run.uploads == [{"received": 4, "new": 4, "duplicates": 0, "conflicts": []}]
    lines = [json.loads(line) for line in export.read_text().splitlines()]
    assert [(x["device"], x["result"]) for x in lines] == [
        ("SIM-1", "admitted"),
        ("SIM-1", "admitted"),
        ("SIM-1", "already_inside"),
        ("SIM-1", "forged"),
    ]
    client.headers["Authorization"] = f"Bearer {admin_token}"
    attendance = ok(await client.get(f"{ADMIN}/sessions/{sold.session_id}/attendance"))
    assert (attendance["admitted"], attendance["inside"], attendance["rate"]) == (2, 2, 1.0)


def test_the_command_refuses_a_device_time_without_offset(tmp_path: Path) -> None:
    codes = tmp_path / "codes.txt"
    codes.write_text("AD1:X\n")
    result = CliRunner().invoke(
        app, ["gate-sim", "--codes", str(codes), "--at", "2026-12-01T18:00:00"]
    )
    assert result.exit_code == 2
    assert "--at needs a UTC offset" in result.output
