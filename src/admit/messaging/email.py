"""Email over real SMTP: the adapter interface and the standard-library client behind it."""

from __future__ import annotations

import asyncio
import smtplib
from dataclasses import dataclass
from email.message import EmailMessage
from email.utils import make_msgid
from pathlib import Path
from typing import Protocol

from admit.core.errors import AdmitError

EMAIL_TEMPLATES = {
    "EMAIL_VERIFY_CODE": (
        "Your Admit code",
        "Your code is {code}. It is valid for {minutes} minutes.\n\nIf you did not ask for it, "
        "ignore this message.",
    ),
    "EMAIL_ORDER_CONFIRMED": (
        "Your Admit tickets: order {order}",
        "Thank you. Order {order} is paid.\n\nTickets: {seats}\nPickup code: {pickup}\n\n"
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
    async def send(self, *, to: str, subject: str, body: str) -> str: ...


@dataclass(frozen=True)
class SmtpEmailSender:
    host: str
    port: int
    sender: str = "Admit <no-reply@admit.local>"
    timeout: float = 10.0

    async def send(self, *, to: str, subject: str, body: str) -> str:
        message = EmailMessage()
        message["From"], message["To"], message["Subject"] = self.sender, to, subject
        message["Message-ID"] = make_msgid(domain="admit.local")
        message.set_content(body)
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
    """The demo's mail drop: each message is written as an .eml file (no mail server needed)."""

    directory: Path

    async def send(self, *, to: str, subject: str, body: str) -> str:
        message = EmailMessage()
        message["From"], message["To"], message["Subject"] = (
            "Admit <no-reply@admit.local>",
            to,
            subject,
        )
        message["Message-ID"] = msgid = make_msgid(domain="admit.local")
        message.set_content(body)
        self.directory.mkdir(parents=True, exist_ok=True)
        name = msgid.strip("<>").replace("@", "_") + ".eml"
        await asyncio.to_thread((self.directory / name).write_bytes, bytes(message))
        return msgid


def render_email(template: str, params: dict[str, str]) -> tuple[str, str]:
    subject, body = EMAIL_TEMPLATES[template]
    return subject.format(**params), body.format(**params)
