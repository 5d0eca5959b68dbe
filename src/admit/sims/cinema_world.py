"""The cinemas, halls, films and daily showtimes the cinema box-office simulator serves.
Deterministic: the same day always has the same sessions under the same codes."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import UTC, date, datetime, time, timedelta
from zoneinfo import ZoneInfo

from admit.partners.box_office import Cinema, Hall, HallSeat

LOCAL = ZoneInfo("Asia/Shanghai")
ROW_LETTERS = "ABCDEFGHJKLMNPQRSTUVWXYZ"


@dataclass(frozen=True, slots=True)
class HallPlan:
    code: str
    name: str
    rows: int
    seats_per_row: int
    premium_rows: int = 3  # the back rows are the "VIP" area


@dataclass(frozen=True, slots=True)
class CinemaPlan:
    cinema: Cinema
    halls: tuple[HallPlan, ...]
    prices: tuple[tuple[str, int], ...] = (("STD", 4500), ("VIP", 6500))


@dataclass(frozen=True, slots=True)
class Film:
    code: str
    name: str
    minutes: int


DEMO_CINEMAS = (
    CinemaPlan(
        Cinema("C001", "Lumière Riverside", "18 Riverside Road, Shanghai"),
        (HallPlan("H1", "Hall 1", 8, 12), HallPlan("H2", "Hall 2", 6, 10)),
    ),
    CinemaPlan(
        Cinema("C002", "Golden Harvest Jing'an", "300 West Nanjing Road, Shanghai"),
        (HallPlan("H1", "Grand Hall", 10, 14),),
        (("STD", 5000), ("VIP", 7500)),
    ),
)
DEMO_FILMS = (
    Film("M-101", "Rivers of Light", 118),
    Film("M-102", "The Clockmaker's Daughter", 104),
    Film("M-103", "Kite Runner Hills", 126),
)
SLOTS = (time(10, 30), time(14, 0), time(19, 30))


def hall_seats(plan: HallPlan) -> tuple[HallSeat, ...]:
    """Rows from the screen back, seats numbered from the left; the last rows are VIP."""
    seats = []
    for r in range(plan.rows):
        label = ROW_LETTERS[r]
        area = "VIP" if r >= plan.rows - plan.premium_rows else "STD"
        for n in range(1, plan.seats_per_row + 1):
            x = n * 10.0 + (20.0 if n > plan.seats_per_row // 2 else 0.0)
            seats.append(HallSeat(f"{label}-{n}", label, str(n), x, 30.0 + r * 12.0, area))
    return tuple(seats)


def halls_of(plan: CinemaPlan) -> list[Hall]:
    return [Hall(plan.cinema.code, h.code, h.name, hall_seats(h)) for h in plan.halls]


@dataclass(frozen=True, slots=True)
class SessionPlan:
    cinema_code: str
    code: str
    hall: HallPlan
    film: Film
    starts_at: datetime
    prices: dict[str, int]

    @property
    def ends_at(self) -> datetime:
        return self.starts_at + timedelta(minutes=self.film.minutes + 12)


def sessions_on(plan: CinemaPlan, day: date) -> list[SessionPlan]:
    """Every hall shows the three films in turn, one per slot, rotating day by day."""
    out = []
    for h_index, hall in enumerate(plan.halls):
        for s_index, slot in enumerate(SLOTS):
            film = DEMO_FILMS[(day.toordinal() + h_index + s_index) % len(DEMO_FILMS)]
            starts = datetime.combine(day, slot, tzinfo=LOCAL).astimezone(UTC)
            out.append(
                SessionPlan(
                    plan.cinema.code,
                    f"{plan.cinema.code}-{hall.code}-{day:%Y%m%d}-{s_index + 1}",
                    hall,
                    film,
                    starts,
                    dict(plan.prices),
                )
            )
    return out
