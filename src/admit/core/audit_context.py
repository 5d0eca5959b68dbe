"""Who is acting: carried by the unit of work into the audit log."""

from __future__ import annotations

from dataclasses import dataclass


@dataclass(frozen=True, slots=True)
class Actor:
    kind: str  # "staff", "customer", "partner", "system", "anonymous"
    id: str
    name: str = ""

    @property
    def label(self) -> str:
        return f"{self.kind}:{self.id}"


SYSTEM = Actor(kind="system", id="admit")
ANONYMOUS = Actor(kind="anonymous", id="-")
