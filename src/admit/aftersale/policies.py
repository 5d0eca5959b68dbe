"""Refund policies (S11, G11): normally an event's tickets are not refunded after the sale;
an operator opens refunds for an event or a session — on postponement, cancellation or
another approved reason — with fees and whether staff approve each request, and closes them
again. A session's own policy wins over its event's."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime

from sqlalchemy import select

from admit.aftersale.models import OpenedBecause, RefundPolicy
from admit.aftersale.rules import BASIS_POINTS, Terms, refusal
from admit.catalog.models import Event, Session, SessionStatus
from admit.core import audit
from admit.core.errors import InvalidInput, NotFound
from admit.core.uow import UnitOfWork
from admit.sales.models import Order


@dataclass(frozen=True, slots=True)
class PolicyInput:
    reason: OpenedBecause
    note: str = ""
    paid_before: datetime | None = None  # default: now (orders paid so far)
    closes_at: datetime | None = None  # default: when the session starts
    fee_fixed: int = 0
    fee_percent_bp: int = 0
    fee_tiers: Sequence[tuple[int, int]] = ()
    approval_required: bool = True
    exchanges: bool = True
    exchange_fee_fixed: int = 0


def terms_of(policy: RefundPolicy) -> Terms:
    return Terms(
        paid_before=policy.paid_before,
        closes_at=policy.closes_at,
        closed_at=policy.closed_at,
        fee_fixed=policy.fee_fixed,
        fee_percent_bp=policy.fee_percent_bp,
        fee_tiers=[(int(h), int(bp)) for h, bp in policy.fee_tiers],
    )


def _target(*, event_id: int | None, session_id: int | None) -> str:
    return f"session:{session_id}" if session_id is not None else f"event:{event_id}"


async def open_policy(
    uow: UnitOfWork,
    *,
    event_id: int | None = None,
    session_id: int | None = None,
    terms: PolicyInput,
    who: str,
    now: datetime,
) -> RefundPolicy:
    """Open (or re-open with new terms) refunds for an event or a session. Raises
    ``NotFound`` and ``InvalidInput``."""
    if (event_id is None) == (session_id is None):
        raise InvalidInput("a refund policy is for an event or a session")
    if session_id is not None and await uow.session.get(Session, session_id) is None:
        raise NotFound(f"session {session_id} does not exist")
    if event_id is not None and await uow.session.get(Event, event_id) is None:
        raise NotFound(f"event {event_id} does not exist")
    rates = [terms.fee_percent_bp, *(bp for _, bp in terms.fee_tiers)]
    if (
        any(not 0 <= bp <= BASIS_POINTS for bp in rates)
        or min(terms.fee_fixed, terms.exchange_fee_fixed) < 0
    ):
        raise InvalidInput("fees are 0–100 % and a fixed fee is not negative")
    if any(hours < 0 for hours, _ in terms.fee_tiers):
        raise InvalidInput("a fee tier's hours before the session are not negative")
    target = _target(event_id=event_id, session_id=session_id)
    policy = await uow.session.scalar(
        select(RefundPolicy).where(RefundPolicy.target == target).with_for_update()
    )
    if policy is None:
        policy = RefundPolicy(target=target, event_id=event_id, session_id=session_id)
        uow.session.add(policy)
    policy.reason, policy.note = terms.reason, terms.note[:200]
    policy.paid_before = terms.paid_before or now
    policy.closes_at, policy.closed_at = terms.closes_at, None
    policy.fee_fixed, policy.fee_percent_bp = terms.fee_fixed, terms.fee_percent_bp
    policy.fee_tiers = [[h, bp] for h, bp in sorted(terms.fee_tiers)]
    policy.approval_required = terms.approval_required
    policy.exchanges, policy.exchange_fee_fixed = terms.exchanges, terms.exchange_fee_fixed
    policy.opened_at, policy.opened_by = now, who
    await uow.session.flush()
    await audit.record(
        uow,
        action="refund_policy.opened",
        entity_type="refund_policy",
        entity_id=target,
        data={
            "reason": terms.reason,
            "paid_before": policy.paid_before.isoformat(),
            "fee_fixed": terms.fee_fixed,
            "fee_percent_bp": terms.fee_percent_bp,
            "fee_tiers": policy.fee_tiers,
            "approval_required": terms.approval_required,
            "exchanges": terms.exchanges,
            "exchange_fee_fixed": terms.exchange_fee_fixed,
        },
        now=now,
    )
    return policy


async def close_policy(
    uow: UnitOfWork, *, event_id: int | None = None, session_id: int | None = None, now: datetime
) -> RefundPolicy:
    """No new refund requests (those made stay as they are). Raises ``NotFound``."""
    target = _target(event_id=event_id, session_id=session_id)
    policy = await uow.session.scalar(
        select(RefundPolicy).where(RefundPolicy.target == target).with_for_update()
    )
    if policy is None:
        raise NotFound(f"no refund policy for {target}")
    policy.closed_at = now
    await uow.session.flush()
    await audit.record(
        uow,
        action="refund_policy.closed",
        entity_type="refund_policy",
        entity_id=target,
        data={},
        now=now,
    )
    return policy


async def policy_for(uow: UnitOfWork, session: Session) -> RefundPolicy | None:
    """The policy that applies to the session's tickets: its own, else its event's."""
    rows = (
        await uow.session.scalars(
            select(RefundPolicy).where(
                RefundPolicy.target.in_([f"session:{session.id}", f"event:{session.event_id}"])
            )
        )
    ).all()
    by_target = {p.target: p for p in rows}
    return by_target.get(f"session:{session.id}") or by_target.get(f"event:{session.event_id}")


async def open_for(
    uow: UnitOfWork, order: Order, session: Session, now: datetime
) -> tuple[RefundPolicy | None, str | None]:
    """The policy under which the order (of ``session``) may be refunded or exchanged now, or
    why not (``rules.refusal``'s code)."""
    policy = await policy_for(uow, session)
    why = refusal(
        terms_of(policy) if policy else None,
        paid_at=order.paid_at,
        session_starts=session.starts_at,
        now=now,
    )
    return (policy, None) if why is None and policy is not None else (None, why)


def still_sells(session: Session, policy: RefundPolicy, now: datetime) -> bool:
    """Refunded seats go back on sale while the session is on and has not started."""
    return (
        session.status == SessionStatus.SCHEDULED
        and policy.reason != "cancelled"
        and session.starts_at > now
    )
