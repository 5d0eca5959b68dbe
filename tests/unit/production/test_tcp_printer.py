"""The TCP printer adapter against the ESC/POS printer simulator, both in process: printed
only on the printer's acknowledgement; paper out and no connection send nothing; a
connection dropped mid-job is unacknowledged."""

from __future__ import annotations

import socket
from collections.abc import AsyncIterator

import pytest

from admit.production.printer import PrinterAddress, TcpTicketPrinter
from admit.sims.printer import PrinterSim

JOB = b"\x1b@Hello ticket\n\x1dV\x00"


@pytest.fixture
async def sim() -> AsyncIterator[PrinterSim]:
    printer = PrinterSim()
    await printer.start()
    yield printer
    await printer.stop()


def _device() -> TcpTicketPrinter:
    return TcpTicketPrinter(connect_timeout=2.0, ack_timeout=2.0)


async def test_printed_after_the_acknowledgement(sim: PrinterSim) -> None:
    outcome = await _device().print_job(PrinterAddress("127.0.0.1", sim.port), JOB, "AB12")
    assert (outcome.result, outcome.detail) == ("printed", None)
    (job,) = sim.jobs
    assert (job.data, job.job_id, job.complete, job.printed) == (JOB, "AB12", True, True)
    assert "Hello ticket" in job.text


async def test_two_jobs_in_a_row_each_acknowledged(sim: PrinterSim) -> None:
    device, where = _device(), PrinterAddress("127.0.0.1", sim.port)
    assert (await device.print_job(where, JOB, "AAAA")).result == "printed"
    assert (await device.print_job(where, JOB, "BBBB")).result == "printed"
    assert [j.job_id for j in sim.printed] == ["AAAA", "BBBB"]


async def test_paper_out_sends_nothing(sim: PrinterSim) -> None:
    sim.paper_out = True
    outcome = await _device().print_job(PrinterAddress("127.0.0.1", sim.port), JOB, "AB12")
    assert outcome.result == "paper_out"
    assert sim.jobs == []


async def test_a_connection_dropped_mid_job_is_unacknowledged(sim: PrinterSim) -> None:
    sim.drop_next_job(after_bytes=6)
    outcome = await _device().print_job(PrinterAddress("127.0.0.1", sim.port), JOB, "AB12")
    assert outcome.result == "unacknowledged"
    (job,) = sim.jobs
    assert (job.data, job.complete, job.printed) == (JOB[:6], False, False)
    # The fault was one-shot: the next job prints.
    again = await _device().print_job(PrinterAddress("127.0.0.1", sim.port), JOB, "CD34")
    assert again.result == "printed"


async def test_a_printer_that_never_answers_the_job_is_unacknowledged(sim: PrinterSim) -> None:
    sim_paper = sim
    device = TcpTicketPrinter(connect_timeout=2.0, ack_timeout=0.2)
    where = PrinterAddress("127.0.0.1", sim_paper.port)
    # Paper runs out after the status said it was there: the job is taken, never printed.
    sim_paper.paper_out = False
    original = sim_paper._status

    def status_then_out(kind: int) -> int:
        answer = original(kind)
        sim_paper.paper_out = True
        return answer

    sim_paper._status = status_then_out  # type: ignore[method-assign]
    outcome = await device.print_job(where, JOB, "AB12")
    assert outcome.result == "unacknowledged"
    assert [(j.complete, j.printed) for j in sim_paper.jobs] == [(True, False)]


async def test_no_printer_listening_is_unreachable() -> None:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        port = s.getsockname()[1]  # bound, not listening: the connection is refused
        outcome = await _device().print_job(PrinterAddress("127.0.0.1", port), JOB, "AB12")
    assert outcome.result == "unreachable"


async def test_a_job_id_must_be_four_characters() -> None:
    with pytest.raises(ValueError, match="4"):
        await _device().print_job(PrinterAddress("127.0.0.1", 9), JOB, "TOOLONG")
