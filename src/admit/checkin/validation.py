"""Offline validation at a gate (G18, INV8, V4): a device holding a session's manifest decides
each scan with no network — the QR's Ed25519 signature, the manifest (listed, not revoked),
the time window, the policy's gate rules and identity check, and what this device has seen
of the ticket (inside, entered before). The server, the reference device client and the
benchmark share this module. Pure: no I/O, no clock (``now`` is passed in)."""

from __future__ import annotations

import base64
from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any, Literal

from admit.ticketing import qr_payload

FORMAT = "admit-manifest/2"  # /2: the ID number's last characters, no digest or salt
Direction = Literal["in", "out"]
# The answers a device gives; the first two let someone through.
ADMITTED, EXITED = "admitted", "exited"
RESULTS = (
    ADMITTED,
    EXITED,
    "already_inside",  # admitted before and not out since
    "already_used",  # entered before, went out, and this policy allows no re-entry
    "not_inside",  # an exit scan for a ticket that is not inside
    "wrong_gate",
    "wrong_session",  # a genuine ticket for another session
    "unknown",  # genuine and for this session, but not on this device's manifest
    "revoked",  # refunded, voided or re-issued
    "forged",  # malformed, unknown key, or a signature that does not match
    "not_valid_yet",
    "expired",
    "identity_required",  # the policy checks ID and no document number was given
    "identity_mismatch",
)
MESSAGES = {
    ADMITTED: "Admitted",
    EXITED: "Exit recorded",
    "already_inside": "Already inside",
    "already_used": "Already used: no re-entry",
    "not_inside": "Not inside",
    "wrong_gate": "Wrong gate",
    "wrong_session": "Ticket for another session",
    "unknown": "Not on this gate's list: sync and retry",
    "revoked": "Ticket revoked",
    "forged": "Forged or damaged ticket",
    "not_valid_yet": "Not valid yet",
    "expired": "Expired",
    "identity_required": "Check the holder's ID",
    "identity_mismatch": "ID does not match the ticket",
}


def id_tail(number: str) -> str:
    """What a manifest carries of a holder's document number: its last characters as the
    platform's masking shows them (``documents.mask_document``) — four, or one for a number
    of seven or fewer — spaces removed, upper case. Nothing else of the number, so a device
    cannot search for the rest offline: every number with the same tail looks the same."""
    normal = _normal(number)
    return normal[-(4 if len(normal) > 7 else 1) :]


def id_matches(tail: str, typed: str) -> bool:
    """A typed document number (whole, or only its last characters) ends as the ticket's
    holder's does."""
    normal = _normal(typed)
    return len(normal) >= len(tail) and normal.endswith(tail)


def _normal(number: str) -> str:
    return "".join(number.split()).upper()


@dataclass(frozen=True, slots=True)
class Entry:
    """A ticket as the manifest lists it."""

    seat: str
    section: str | None = None
    level: str | None = None
    kind: str = "adult"
    holder: str | None = None
    id_tail: str | None = None
    revoked: str | None = None


@dataclass(frozen=True, slots=True)
class Rule:
    """A gate (and its lanes) takes tickets of these sections, levels and kinds; an empty
    set means any."""

    gate: str
    sections: frozenset[str] = frozenset()
    levels: frozenset[str] = frozenset()
    kinds: frozenset[str] = frozenset()

    def covers(self, entry: Entry) -> bool:
        return (
            (not self.sections or entry.section in self.sections)
            and (not self.levels or entry.level in self.levels)
            and (not self.kinds or entry.kind in self.kinds)
        )


@dataclass(frozen=True, slots=True)
class Policy:
    reentry: bool = False
    identity_check: bool = False
    rules: tuple[Rule, ...] = ()

    def gates_for(self, entry: Entry) -> tuple[str, ...]:
        """The gates whose rules take this ticket (empty when there are no rules at all)."""
        return tuple(sorted({r.gate for r in self.rules if r.covers(entry)}))


@dataclass(frozen=True, slots=True)
class Verdict:
    """A device's answer: ``ok`` is the big green light."""

    result: str
    code: str | None = None
    seat: str = ""
    section: str | None = None
    holder: str | None = None
    detail: str | None = None  # why a QR is forged, or which gates take the ticket
    gates: tuple[str, ...] = ()

    @property
    def ok(self) -> bool:
        return self.result in (ADMITTED, EXITED)

    @property
    def message(self) -> str:
        return MESSAGES[self.result]


@dataclass
class Manifest:
    """What a device holds for one session: keys, policy, gates and tickets."""

    session_id: int
    version: int
    admit_from: int  # unix seconds
    admit_until: int
    policy: Policy
    keys: dict[str, bytes]
    gates: dict[str, str | None]  # gate code -> parent gate code
    entries: dict[str, Entry] = field(default_factory=dict)

    @classmethod
    def from_document(cls, doc: Mapping[str, Any]) -> Manifest:
        """A manifest from the server's full document; ``ValueError`` for anything else."""
        if doc.get("format") != FORMAT or not doc.get("full"):
            raise ValueError("not a full admit manifest")
        manifest = cls(
            session_id=int(doc["session"]["id"]),
            version=0,
            admit_from=0,
            admit_until=0,
            policy=Policy(),
            keys={},
            gates={},
        )
        manifest.apply(doc)
        return manifest

    def apply(self, doc: Mapping[str, Any]) -> None:
        """Take a full document or an update since this manifest's version."""
        if doc.get("format") != FORMAT or int(doc["session"]["id"]) != self.session_id:
            raise ValueError("a manifest document for another session")
        if not doc.get("full") and doc.get("since") != self.version:
            raise ValueError(f"an update since {doc.get('since')}, this is {self.version}")
        if doc.get("full"):
            self.entries = {}
        self.version = int(doc["version"])
        self.admit_from, self.admit_until = _epoch(doc["admit_from"]), _epoch(doc["admit_until"])
        self.policy = policy_from(doc["policy"])
        self.keys = {kid: _unb64(key) for kid, key in doc["keys"].items()}
        self.gates = {g["code"]: g.get("parent") for g in doc["gates"]}
        columns = doc["columns"]
        for row in doc["tickets"]:
            item = dict(zip(columns, row, strict=True))
            code = item.pop("code")
            self.entries[code] = Entry(**item)
        for code, reason in doc["revoked"].items():
            old = self.entries.get(code, Entry(seat=""))
            self.entries[code] = Entry(**{**_fields(old), "revoked": reason})


def policy_from(doc: Mapping[str, Any]) -> Policy:
    return Policy(
        reentry=bool(doc.get("reentry", False)),
        identity_check=bool(doc.get("identity_check", False)),
        rules=tuple(
            Rule(
                gate=r["gate"],
                sections=frozenset(r.get("sections") or ()),
                levels=frozenset(r.get("levels") or ()),
                kinds=frozenset(r.get("kinds") or ()),
            )
            for r in doc.get("rules") or ()
        ),
    )


def _fields(entry: Entry) -> dict[str, Any]:
    return {name: getattr(entry, name) for name in Entry.__slots__}


def _epoch(value: object) -> int:
    if isinstance(value, int):
        return value
    return int(datetime.fromisoformat(str(value)).timestamp())


def _unb64(text: str) -> bytes:
    return base64.urlsafe_b64decode(text + "=" * (-len(text) % 4))


@dataclass(slots=True)
class TicketState:
    inside: bool = False
    entries: int = 0


class Validator:
    """Decides scans against a manifest and keeps what this device has seen."""

    def __init__(self, manifest: Manifest) -> None:
        self.manifest = manifest
        self.seen: dict[str, TicketState] = {}

    def check(
        self,
        text: str,
        *,
        gate: str,
        now: datetime,
        direction: Direction = "in",
        id_number: str | None = None,
    ) -> Verdict:
        """The answer to one scan, without recording it."""
        m = self.manifest
        try:
            _, claims = qr_payload.verify(text.strip(), m.keys)
        except qr_payload.ForgedTicket as forged:
            return Verdict("forged", detail=forged.reason)
        code = claims.code
        if claims.session_id != m.session_id and claims.kind != "P":
            return Verdict("wrong_session", code=code, seat=claims.seat)
        entry = m.entries.get(code)
        if entry is None:
            return Verdict("unknown", code=code, seat=claims.seat)
        state = self.seen.get(code)
        if direction == "out":
            return self._exit(code, entry, state)
        return self._entry(code, entry, state, gate=gate, now=now, id_number=id_number)

    def _exit(self, code: str, entry: Entry, state: TicketState | None) -> Verdict:
        result = EXITED if state is not None and state.inside else "not_inside"
        return _verdict(result, code, entry)

    def _entry(
        self,
        code: str,
        entry: Entry,
        state: TicketState | None,
        *,
        gate: str,
        now: datetime,
        id_number: str | None,
    ) -> Verdict:
        m = self.manifest
        if entry.revoked:
            return _verdict("revoked", code, entry, detail=entry.revoked)
        at = now.timestamp()
        if at < m.admit_from:
            return _verdict("not_valid_yet", code, entry)
        if at > m.admit_until:
            return _verdict("expired", code, entry)
        if m.policy.rules and not self._gate_takes(gate, entry):
            gates = m.policy.gates_for(entry)
            return _verdict("wrong_gate", code, entry, detail=", ".join(gates), gates=gates)
        if state is not None and state.inside:
            return _verdict("already_inside", code, entry)
        if state is not None and state.entries and not m.policy.reentry:
            return _verdict("already_used", code, entry)
        if m.policy.identity_check and entry.id_tail:
            # Offline only the tail can be compared; the gatekeeper also compares the card's
            # name and photo with the masked holder (the full number never reaches a device).
            if not id_number:
                return _verdict("identity_required", code, entry)
            if not id_matches(entry.id_tail, id_number):
                return _verdict("identity_mismatch", code, entry)
        return _verdict(ADMITTED, code, entry)

    def _gate_takes(self, gate: str, entry: Entry) -> bool:
        chain = set()
        current: str | None = gate
        while current is not None and current not in chain:  # lanes up to their entrance
            chain.add(current)
            current = self.manifest.gates.get(current)
        return any(rule.gate in chain and rule.covers(entry) for rule in self.manifest.policy.rules)

    def record(self, verdict: Verdict) -> None:
        """Apply an admission or exit to what this device has seen."""
        if not verdict.ok or verdict.code is None:
            return
        state = self.seen.setdefault(verdict.code, TicketState())
        if verdict.result == ADMITTED:
            state.inside, state.entries = True, state.entries + 1
        else:
            state.inside = False

    def scan(
        self,
        text: str,
        *,
        gate: str,
        now: datetime,
        direction: Direction = "in",
        id_number: str | None = None,
    ) -> Verdict:
        """Check and record one scan."""
        verdict = self.check(text, gate=gate, now=now, direction=direction, id_number=id_number)
        self.record(verdict)
        return verdict

    def learn(self, events: Iterable[tuple[str, Direction]]) -> None:
        """Replay admissions and exits this device made before (e.g. after a restart)."""
        for code, direction in events:
            result = ADMITTED if direction == "in" else EXITED
            self.record(Verdict(result, code=code))


def _verdict(
    result: str,
    code: str,
    entry: Entry,
    *,
    detail: str | None = None,
    gates: tuple[str, ...] = (),
) -> Verdict:
    return Verdict(
        result,
        code=code,
        seat=entry.seat,
        section=entry.section,
        holder=entry.holder,
        detail=detail,
        gates=gates,
    )
