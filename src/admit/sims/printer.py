"""A thermal ticket printer on raw TCP (the port 9100 protocol, S7) for development and tests.

It takes ESC/POS, records every job it receives (its bytes, what it prints, the QR codes in it)
and answers what a real printer answers:

- ``DLE EOT 4`` (paper roll sensor status) with one byte: ``0x12`` paper present, ``0x72`` paper
  out (bits 5-6 set); ``DLE EOT 1`` (printer status) with ``0x12`` online, ``0x1A`` offline;
- ``GS ( H`` fn 48 (transmit process ID) — sent after a job — with ``37 22 d1..d4 00`` once the
  job before it has been printed. This is the acknowledgement the platform waits for.

Faults, set through :class:`PrinterSim` (in-process tests) or the HTTP control port of
``admit sim printer``: paper out (status says so; a job sent anyway is not printed and never
acknowledged) and a connection dropped mid-job (after N bytes of the next job the connection is
cut: the job is recorded as incomplete and nothing is acknowledged)."""

from __future__ import annotations

import asyncio
import contextlib
from dataclasses import dataclass, field

from admit.sims.escpos_reader import read

STATUS_REQUEST = b"\x10\x04"
PROCESS_ID = b"\x1d(H\x06\x00\x30\x30"  # GS ( H pL=6 pH=0 fn=48 m=48, then d1..d4
PAPER_OK, PAPER_OUT = 0x12, 0x72
ONLINE, OFFLINE = 0x12, 0x1A


@dataclass
class Job:
    """One job as the printer received it: complete when its process-ID request arrived."""

    data: bytes
    job_id: str | None
    complete: bool
    printed: bool
    text: str = ""
    qr_codes: list[str] = field(default_factory=list)

    def as_dict(self) -> dict[str, object]:
        return {
            "job_id": self.job_id,
            "complete": self.complete,
            "printed": self.printed,
            "bytes": len(self.data),
            "text": self.text,
            "qr_codes": self.qr_codes,
        }


def _job(data: bytes, job_id: str | None, *, complete: bool, printed: bool) -> Job:
    reading = read(data)
    return Job(data, job_id, complete, printed, reading.text, reading.qr_codes)


@dataclass
class PrinterSim:
    """The simulated printer: ``await start()`` serves it; ``jobs`` is what it received."""

    jobs: list[Job] = field(default_factory=list)
    paper_out: bool = False
    drop_after: int | None = None  # one-shot: cut the connection after N bytes of a job
    _server: asyncio.Server | None = None

    def drop_next_job(self, after_bytes: int = 16) -> None:
        """Cut the connection after ``after_bytes`` bytes of the next job (once)."""
        self.drop_after = after_bytes

    @property
    def printed(self) -> list[Job]:
        return [j for j in self.jobs if j.printed]

    @property
    def port(self) -> int:
        assert self._server is not None, "not started"
        return int(self._server.sockets[0].getsockname()[1])

    async def start(self, host: str = "127.0.0.1", port: int = 0) -> int:
        self._server = await asyncio.start_server(self._serve, host, port)
        return self.port

    async def stop(self) -> None:
        if self._server is not None:
            self._server.close()
            with contextlib.suppress(Exception):
                await self._server.wait_closed()
            self._server = None

    async def _serve(self, reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
        buffer = bytearray()
        try:
            while chunk := await reader.read(4096):
                buffer += chunk
                if not await self._consume(buffer, writer):
                    writer.transport.abort()  # the printer went away mid-job
                    return
        except (ConnectionError, asyncio.IncompleteReadError):
            pass
        finally:
            if buffer and not writer.transport.is_closing():
                self.jobs.append(_job(bytes(buffer), None, complete=False, printed=False))
            writer.close()

    async def _consume(self, buffer: bytearray, writer: asyncio.StreamWriter) -> bool:
        """Handle what ``buffer`` holds; False when the connection is to be dropped."""
        while buffer:
            if buffer[:2] == STATUS_REQUEST:
                if len(buffer) < 3:
                    return True
                writer.write(bytes((self._status(buffer[2]),)))
                await writer.drain()
                del buffer[:3]
                continue
            if self.drop_after is not None and len(buffer) >= self.drop_after:
                cut, self.drop_after = self.drop_after, None
                self.jobs.append(_job(bytes(buffer[:cut]), None, complete=False, printed=False))
                buffer.clear()
                return False
            end = buffer.find(PROCESS_ID)
            if end < 0 or len(buffer) < end + len(PROCESS_ID) + 4:
                return True
            job_id = bytes(buffer[end + len(PROCESS_ID) : end + len(PROCESS_ID) + 4])
            printed = not self.paper_out
            self.jobs.append(
                _job(bytes(buffer[:end]), job_id.decode("latin-1"), complete=True, printed=printed)
            )
            del buffer[: end + len(PROCESS_ID) + 4]
            if printed:
                writer.write(b"\x37\x22" + job_id + b"\x00")
                await writer.drain()
        return True

    def _status(self, kind: int) -> int:
        if kind == 4:
            return PAPER_OUT if self.paper_out else PAPER_OK
        return OFFLINE if self.paper_out else ONLINE
