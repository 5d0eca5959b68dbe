"""The printer simulator's control port: jobs listed, faults set (and refused when bad)."""

from __future__ import annotations

import httpx

from admit.production.printer import PrinterAddress, TcpTicketPrinter
from admit.sims.printer import PrinterSim
from admit.sims.printer_control import create_printer_control_app


async def test_jobs_and_faults_through_the_control_port() -> None:
    sim = PrinterSim()
    await sim.start()
    transport = httpx.ASGITransport(app=create_printer_control_app(sim))
    try:
        async with httpx.AsyncClient(transport=transport, base_url="http://sim") as control:
            device = TcpTicketPrinter(connect_timeout=2.0, ack_timeout=2.0)
            where = PrinterAddress("127.0.0.1", sim.port)
            assert (await device.print_job(where, b"\x1b@Hi\n", "AAAA")).result == "printed"
            (job,) = (await control.get("/jobs")).json()
            assert (job["job_id"], job["printed"], job["text"]) == ("AAAA", True, "Hi\n")

            set_ = await control.post("/faults", json={"paper_out": True})
            assert set_.json() == {"paper_out": True, "drop_after": None}
            assert (await device.print_job(where, b"\x1b@Hi\n", "BBBB")).result == "paper_out"
            await control.post("/faults", json={"paper_out": False, "drop_after": 2})
            assert (await device.print_job(where, b"\x1b@Hi\n", "CCCC")).result == (
                "unacknowledged"
            )
            bad = await control.post("/faults", json={"drop_after": 0})
            assert bad.status_code == 400
            assert (await control.delete("/jobs")).json() == {"jobs": 0}
            assert (await control.get("/jobs")).json() == []
    finally:
        await sim.stop()
