"""Email over real SMTP: the adapter interface and the standard-library client behind it."""

from __future__ import annotations

import asyncio
import contextlib
import os
import smtplib
import tempfile
from dataclasses import dataclass
from email.message import EmailMessage
from email.utils import make_msgid
from pathlib import Path
from typing import Protocol

from admit.core.errors import AdmitError

DOMAIN = "admit.local"
SENDER = f"Admit <no-reply@{DOMAIN}>"

EMAIL_TEMPLATES = {
    "EMAIL_VERIFY_CODE": (
        "Your Admit code",
        "Your code is {code}. It is valid for {minutes} minutes.\n\nIf you did not ask for it, "
        "ignore this message.",
    ),
    "EMAIL_ORDER_CONFIRMED": (
        "Your Admit tickets: order {order}",
        "Thank you. Order {order} is paid.\n\n{event}\n{time}\nTickets: {seats}\n"
        "Pickup code: {pickup}\n\n"
        "Your e-tickets with their QR codes are in your account; show them at the gate.",
    ),
    "EMAIL_PARTNER_CONFIRMED": (
        "Your cinema tickets: order {order}",
        "Thank you. Order {order} is paid and confirmed by {cinema}.\n\nSeats: {seats}\n"
        "Pickup number: {print_no}\nVerify code: {verify}\n\nPrint your tickets at the "
        "cinema's machines with these codes, or show this message at the counter.",
    ),
    "EMAIL_PAYMENT_REFUNDED": (
        "Refund for order {order}",
        "We could not complete order {order} ({reason}), so your payment of {amount} "
        "has been refunded to where it came from. Nothing else is needed from you.",
    ),
}


class EmailUnavailable(AdmitError):
    code = "email_unavailable"
    status = 503


class EmailSender(Protocol):
    async def send(
        self, *, to: str, subject: str, body: str, message_key: str | None = None
    ) -> str:
        """Send and return the Message-ID; raises :class:`EmailUnavailable` when the message
        was not handed over (the caller retries). ``message_key`` names the message for every
        attempt: the same Message-ID each time (and the same file for the mail drop)."""
        ...


def _compose(sender: str, to: str, subject: str, body: str, key: str | None) -> EmailMessage:
    message = EmailMessage()
    message["From"], message["To"], message["Subject"] = sender, to, subject
    message["Message-ID"] = f"<{key}@{DOMAIN}>" if key else make_msgid(domain=DOMAIN)
    message.set_content(body)
    return message


@dataclass(frozen=True)
class SmtpEmailSender:
    host: str
    port: int
    sender: str = SENDER
    timeout: float = 10.0

    async def send(
        self, *, to: str, subject: str, body: str, message_key: str | None = None
    ) -> str:
        message = _compose(self.sender, to, subject, body, message_key)
        try:
            await asyncio.to_thread(self._deliver, message)
        except (OSError, smtplib.SMTPException) as exc:
            raise EmailUnavailable(f"the mail server refused or is unreachable: {exc}") from exc
        return str(message.get("Message-ID") or "")

    def _deliver(self, message: EmailMessage) -> None:
        with smtplib.SMTP(self.host, self.port, timeout=self.timeout) as smtp:
            smtp.send_message(message)


@dataclass(frozen=True)
class FileEmailSender:
    """The demo's mail drop: each message is written as an .eml file (no mail server needed),
    named by its key, so sending it again replaces the same file. The file appears whole or
    not at all (written aside, flushed to disk, then renamed); a write that fails — a full
    disk — raises :class:`EmailUnavailable` and leaves nothing behind."""

    directory: Path

    async def send(
        self, *, to: str, subject: str, body: str, message_key: str | None = None
    ) -> str:
        message = _compose(SENDER, to, subject, body, message_key)
        msgid = str(message["Message-ID"])
        name = msgid.strip("<>").replace("@", "_") + ".eml"
        try:
            await asyncio.to_thread(write_atomically, self.directory / name, bytes(message))
        except OSError as exc:
            raise EmailUnavailable(
                f"the mail drop could not be written: {exc.strerror or exc}",
                details={"errno": exc.errno},
            ) from exc
        return msgid


def write_atomically(path: Path, data: bytes) -> None:
    """Write ``data`` to ``path`` whole or not at all: a temporary file in the same directory,
    fsync'd (so a full disk or an I/O error is reported here, not lost in the page cache),
    renamed over ``path``, and the directory fsync'd so the rename survives a crash."""
    path.parent.mkdir(parents=True, exist_ok=True)
    fd, temporary = tempfile.mkstemp(dir=path.parent, prefix=f".{path.name}.", suffix=".tmp")
    try:
        with os.fdopen(fd, "wb") as out:
            out.write(data)
            out.flush()
            os.fsync(out.fileno())
        os.replace(temporary, path)
    except BaseException:
        with contextlib.suppress(FileNotFoundError):
            os.unlink(temporary)
        raise
    directory = os.open(path.parent, os.O_RDONLY)
    try:
        os.fsync(directory)
    finally:
        os.close(directory)


def render_email(template: str, params: dict[str, str]) -> tuple[str, str]:
    subject, body = EMAIL_TEMPLATES[template]
    return subject.format(**params), body.format(**params)
