"""What lets a buyer past a reservation (INV3): the clients and client groups the buyer buys
for. Pure: no I/O."""

from __future__ import annotations

from dataclasses import dataclass


@dataclass(frozen=True, slots=True)
class ReservationKeys:
    """The clients a buyer buys for and the groups those clients are in: a seat reserved for
    one of them is the buyer's to hold. The public buyer has none (``NO_KEYS``)."""

    clients: frozenset[int] = frozenset()
    groups: frozenset[int] = frozenset()

    def __bool__(self) -> bool:
        return bool(self.clients or self.groups)


NO_KEYS = ReservationKeys()


def buyer_of_customer(customer_id: int) -> str:
    """The buyer a signed-in customer holds as (``sales``' hold and order rows)."""
    return f"customer:{customer_id}"


def buyer_of_staff(staff_id: int) -> str:
    """The buyer a counter seller holds as."""
    return f"staff:{staff_id}"
