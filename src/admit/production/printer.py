"""The ticket printer adapter (S7): send one ESC/POS job to a printer and learn whether it
came out. ``TcpTicketPrinter`` speaks raw TCP (port 9100) with asyncio streams:

1. connect (a refusal or time-out: ``unreachable``, nothing sent);
2. ``DLE EOT 4`` — the paper roll sensor status; paper out: ``paper_out``, nothing sent;
3. the job, then ``GS ( H`` fn 48 with a 4-character job id: the printer answers
   ``37 22 id 00`` once everything before it has been printed — the acknowledgement;
4. the acknowledgement for this job id: ``printed``. A connection dropped or a time-out after
   the job went out is ``unacknowledged``: the ticket may or may not have come out, which
   only a person at the printer can tell (a print exception).

``printed`` is only ever said after the acknowledgement."""

from __future__ import annotations

import asyncio
import contextlib
from abc import ABC, abstractmethod
from dataclasses import dataclass

from admit.production.models import PrintResult

PAPER_STATUS = b"\x10\x04\x04"  # DLE EOT 4
PAPER_END = 0x60  # bits 5 and 6 of the paper status: the roll is out
PROCESS_ID = b"\x1d(H\x06\x00\x30\x30"  # GS ( H pL pH fn=48 m=48, then d1..d4
ACK_HEAD = b"\x37\x22"
JOB_ID_LENGTH = 4


@dataclass(frozen=True, slots=True)
class PrintOutcome:
    result: PrintResult
    detail: str | None = None


@dataclass(frozen=True, slots=True)
class PrinterAddress:
    host: str
    port: int


class TicketPrinter(ABC):
    """Prints one job and says how it went; never raises for a printer's failure."""

    @abstractmethod
    async def print_job(self, where: PrinterAddress, job: bytes, job_id: str) -> PrintOutcome:
        """``job_id``: 4 visible ASCII characters the printer echoes in its acknowledgement."""


class TcpTicketPrinter(TicketPrinter):
    def __init__(self, *, connect_timeout: float = 3.0, ack_timeout: float = 15.0) -> None:
        self.connect_timeout = connect_timeout
        self.ack_timeout = ack_timeout

    async def print_job(self, where: PrinterAddress, job: bytes, job_id: str) -> PrintOutcome:
        ident = job_id.encode("ascii")
        if len(ident) != JOB_ID_LENGTH:
            raise ValueError(f"a job id is {JOB_ID_LENGTH} ASCII characters")
        try:
            reader, writer = await asyncio.wait_for(
                asyncio.open_connection(where.host, where.port), self.connect_timeout
            )
        except (OSError, TimeoutError) as e:
            return PrintOutcome("unreachable", _why(e))
        try:
            try:
                writer.write(PAPER_STATUS)
                await writer.drain()
                status = await asyncio.wait_for(reader.readexactly(1), self.connect_timeout)
            except (OSError, TimeoutError, asyncio.IncompleteReadError) as e:
                return PrintOutcome("unreachable", f"no status: {_why(e)}")
            if status[0] & PAPER_END == PAPER_END:
                return PrintOutcome("paper_out", f"paper status {status[0]:#04x}")
            try:
                writer.write(job + PROCESS_ID + ident)
                await writer.drain()
                ack = await asyncio.wait_for(
                    reader.readexactly(len(ACK_HEAD) + JOB_ID_LENGTH + 1), self.ack_timeout
                )
            except (OSError, TimeoutError, asyncio.IncompleteReadError) as e:
                return PrintOutcome("unacknowledged", _why(e))
            if ack != ACK_HEAD + ident + b"\x00":
                return PrintOutcome("unacknowledged", f"unexpected answer {ack.hex()}")
            return PrintOutcome("printed")
        finally:
            writer.close()
            with contextlib.suppress(Exception):
                await writer.wait_closed()


def _why(error: BaseException) -> str:
    if isinstance(error, asyncio.IncompleteReadError):
        return "the printer closed the connection"
    if isinstance(error, TimeoutError):
        return "timed out"
    return f"{type(error).__name__}: {error}"[:200]
