"""Pickup codes (C2): what a buyer quotes to collect paid tickets — ten characters of Crockford's
base32 (digits and capitals without I, L, O, U: nothing to misread), 50 bits from ``secrets``,
unique among the platform's orders (``uq_sales_order_pickup_code``). A partner cinema's own
pickup codes stay in the partner's tables and are not constrained here."""

from __future__ import annotations

import secrets

from sqlalchemy import select

from admit.core.uow import UnitOfWork
from admit.sales.models import Order

ALPHABET = "0123456789ABCDEFGHJKMNPQRSTVWXYZ"  # Crockford's base32
LENGTH = 10
BITS = 5 * LENGTH
ATTEMPTS = 8  # a collision has odds of orders / 2**50 each try: one retry is already absurd


def new_code() -> str:
    """A fresh random code (not checked against the orders)."""
    value = secrets.randbits(BITS)
    return "".join(ALPHABET[(value >> shift) & 31] for shift in range(BITS - 5, -1, -5))


def new_codes(n: int) -> list[str]:
    """``n`` distinct fresh codes (not checked against the orders)."""
    codes: set[str] = set()
    while len(codes) < n:
        codes.add(new_code())
    return list(codes)


async def unused_code(uow: UnitOfWork) -> str:
    """A fresh code no order carries yet (``unused_codes``)."""
    (code,) = await unused_codes(uow, 1)
    return code


async def unused_codes(uow: UnitOfWork, n: int) -> list[str]:
    """``n`` distinct fresh codes no order carries yet: one indexed look-up for them all, again
    for any that collide (astronomically rare), so the settling transaction never fails on
    the unique constraint for them. Pending changes of the session are not flushed."""
    codes: set[str] = set()
    for _ in range(ATTEMPTS):
        fresh = {new_code() for _ in range(n - len(codes))} - codes
        with uow.session.no_autoflush:
            taken = set(
                (
                    await uow.session.scalars(
                        select(Order.pickup_code).where(Order.pickup_code.in_(fresh))
                    )
                ).all()
            )
        codes |= fresh - taken
        if len(codes) == n:
            return sorted(codes)
    raise RuntimeError(f"no unused pickup code in {ATTEMPTS} tries: is the generator random?")
