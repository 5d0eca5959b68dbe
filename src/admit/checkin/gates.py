"""Gates of a venue and each session's validation policy (V1, V2): which gates admit which
sections, levels and ticket kinds, ID checks, re-entry, and when admission opens."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from typing import Any, Literal, get_args

from sqlalchemy import select

from admit.catalog.models import Session, Venue
from admit.checkin.errors import UnknownGate
from admit.checkin.models import Gate, ValidationPolicy
from admit.core import audit
from admit.core.errors import AlreadyExists, InvalidInput
from admit.core.lookups import get_or_404
from admit.core.uow import UnitOfWork

GateKind = Literal["entrance", "section", "lane"]
GATE_KINDS: tuple[GateKind, ...] = get_args(GateKind)
OPENS_BEFORE = timedelta(hours=3)  # doors open well before kick-off at a stadium
CLOSES_AFTER = timedelta(hours=1)


@dataclass(frozen=True, slots=True)
class GateInput:
    code: str
    name: str
    kind: str = "entrance"
    parent: str | None = None


@dataclass(frozen=True, slots=True)
class RuleInput:
    gate: str
    sections: Sequence[str] = ()
    levels: Sequence[str] = ()
    kinds: Sequence[str] = ()


@dataclass(frozen=True, slots=True)
class PolicyInput:
    identity_check: bool = False
    reentry: bool = False
    admit_from: datetime | None = None
    admit_until: datetime | None = None
    rules: Sequence[RuleInput] = field(default_factory=tuple)


async def venue_gates(uow: UnitOfWork, venue_id: int) -> list[Gate]:
    rows = await uow.session.scalars(
        select(Gate).where(Gate.venue_id == venue_id).order_by(Gate.code)
    )
    return list(rows.all())


async def gate_by_code(uow: UnitOfWork, venue_id: int, code: str) -> Gate:
    gate = await uow.session.scalar(
        select(Gate).where(Gate.venue_id == venue_id, Gate.code == code)
    )
    if gate is None:
        raise UnknownGate(f"venue {venue_id} has no gate {code!r}")
    return gate


async def create_gate(uow: UnitOfWork, *, venue_id: int, gate: GateInput, now: datetime) -> Gate:
    """A gate at a venue; a lane names the entrance or section it belongs to."""
    await get_or_404(uow, Venue, venue_id, "venue")
    if gate.kind not in GATE_KINDS:
        raise InvalidInput(f"a gate is one of {', '.join(GATE_KINDS)}")
    taken = await uow.session.scalar(
        select(Gate.id).where(Gate.venue_id == venue_id, Gate.code == gate.code)
    )
    if taken is not None:
        raise AlreadyExists(f"venue {venue_id} has a gate {gate.code!r}")
    parent = await gate_by_code(uow, venue_id, gate.parent) if gate.parent else None
    row = Gate(
        venue_id=venue_id,
        code=gate.code,
        name=gate.name,
        kind=gate.kind,
        parent_id=parent.id if parent else None,
        created_at=now,
    )
    uow.session.add(row)
    await uow.session.flush()
    await audit.record(
        uow,
        action="gate.created",
        entity_type="gate",
        entity_id=row.id,
        data={"venue_id": venue_id, "code": gate.code, "kind": gate.kind, "parent": gate.parent},
        now=now,
    )
    return row


async def update_gate(
    uow: UnitOfWork, gate_id: int, *, changes: dict[str, Any], now: datetime
) -> Gate:
    """Rename a gate or switch it off (``active``)."""
    gate = await get_or_404(uow, Gate, gate_id, "gate")
    await audit.record_update(
        uow, gate, changes, action="gate.updated", entity_type="gate", entity_id=gate_id, now=now
    )
    return gate


async def get_policy(uow: UnitOfWork, session_id: int) -> ValidationPolicy:
    """The session's policy; a session nobody configured admits at every gate, once, with
    no ID check, from three hours before its start to an hour after its end."""
    await get_or_404(uow, Session, session_id, "session")
    policy = await uow.session.get(ValidationPolicy, session_id)
    if policy is None:
        return ValidationPolicy(
            session_id=session_id, identity_check=False, reentry=False, rules=[]
        )
    return policy


def admission_window(policy: ValidationPolicy, session: Session) -> tuple[datetime, datetime]:
    return (
        policy.admit_from or session.starts_at - OPENS_BEFORE,
        policy.admit_until or session.ends_at + CLOSES_AFTER,
    )


async def set_policy(
    uow: UnitOfWork, session_id: int, *, policy: PolicyInput, now: datetime
) -> ValidationPolicy:
    """Replace the session's policy. Every gate a rule names must exist at the session's
    venue (``unknown_gate`` otherwise, nothing changed). Devices get it with the manifest."""
    session = await get_or_404(uow, Session, session_id, "session")
    known = {g.code for g in await venue_gates(uow, session.venue_id)}
    missing = sorted({r.gate for r in policy.rules} - known)
    if missing:
        raise UnknownGate(f"the venue has no gate {', '.join(missing)}", details={"gates": missing})
    if policy.admit_from and policy.admit_until and policy.admit_from >= policy.admit_until:
        raise InvalidInput("admission must open before it closes")
    rules = [
        {
            "gate": r.gate,
            "sections": sorted(set(r.sections)),
            "levels": sorted(set(r.levels)),
            "kinds": sorted(set(r.kinds)),
        }
        for r in policy.rules
    ]
    row = await uow.session.get(ValidationPolicy, session_id)
    if row is None:
        row = ValidationPolicy(session_id=session_id, updated_at=now)
        uow.session.add(row)
    row.identity_check, row.reentry = policy.identity_check, policy.reentry
    row.admit_from, row.admit_until = policy.admit_from, policy.admit_until
    row.rules, row.updated_at = rules, now
    await uow.session.flush()
    await audit.record(
        uow,
        action="validation_policy.set",
        entity_type="session",
        entity_id=session_id,
        data={
            "identity_check": policy.identity_check,
            "reentry": policy.reentry,
            "admit_from": policy.admit_from,
            "admit_until": policy.admit_until,
            "rules": rules,
        },
        now=now,
    )
    return row
