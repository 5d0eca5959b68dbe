"""Demo catalogue: a cinema with showtimes and a 20,000-seat stadium with matches and a concert,
for the days ahead. Idempotent: a database that already has the demo organisers is left alone."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from datetime import datetime, time, timedelta
from fractions import Fraction
from zoneinfo import ZoneInfo

from sqlalchemy import select

from admit.catalog import events, passes, pricing, seatmaps, venues
from admit.catalog.models import EventCategory, Organiser, SeatMode
from admit.catalog.seatmap_generators import cinema_hall, stadium_bowl
from admit.cli.demo_content import seed_content
from admit.core.uow import UnitOfWork
from admit.inventory import plans
from admit.inventory.selection import SeatSelector
from admit.sales import windows

LOCAL = ZoneInfo("Asia/Shanghai")
Progress = Callable[[str], None]

FILMS = [
    ("F-2026-001", "The Long Night Train", "drama", ["drama", "thriller"]),
    ("F-2026-002", "Paper Dragons", "animation", ["family", "animation"]),
    ("F-2026-003", "Orbit of Ice", "science fiction", ["sci-fi", "imax"]),
]
SHOWTIMES = [time(13, 30), time(16, 0), time(19, 30)]
MATCHES = [
    ("G-FB-01", "Football: Group A — Harbour City v Northern Lights", "football"),
    ("G-AT-01", "Athletics: Evening Finals", "athletics"),
    ("G-RG-01", "Rugby Sevens: Semi-finals", "rugby sevens"),
]
# Sold with a verified name on every ticket (RN1), so the website's holder step can be tried.
REAL_NAME_MATCH = "G-RG-01"


@dataclass(frozen=True, slots=True)
class DemoSummary:
    created: bool
    sessions: int


def _at(day: datetime, at: time) -> datetime:
    return datetime.combine(day.date(), at, tzinfo=LOCAL).astimezone(day.tzinfo)


async def seed_demo(
    uow: UnitOfWork, *, now: datetime, days: int = 5, progress: Progress | None = None
) -> DemoSummary:
    say = progress or (lambda _msg: None)
    if await uow.session.scalar(select(Organiser.id).where(Organiser.code == "STARCINE")):
        return DemoSummary(created=False, sessions=0)
    say("cinema")
    cinema_sessions = await _seed_cinema(uow, now=now, days=days)
    say("stadium")
    stadium_sessions = await _seed_stadium(uow, now=now, days=days, say=say)
    await seed_content(uow, now=now)
    return DemoSummary(created=True, sessions=cinema_sessions + stadium_sessions)


async def _seed_cinema(uow: UnitOfWork, *, now: datetime, days: int) -> int:
    org = await venues.create_organiser(uow, code="STARCINE", name="Star Cinemas", now=now)
    venue = await venues.create_venue(
        uow,
        code="STAR-PD",
        name="Star Cinema Pudong",
        address="88 Century Avenue, Shanghai",
        use="cinema",
        capacity=204,
        now=now,
    )
    hall = await seatmaps.import_seatmap(
        uow, venue_id=venue.id, spec=cinema_hall("Hall 1"), now=now
    )
    count = 0
    for number, name, discipline, tags in FILMS:
        event = await events.create_event(
            uow,
            organiser_id=org.id,
            number=number,
            name=name,
            category=EventCategory.CINEMA,
            discipline=discipline,
            tags=tags,
            description=f"{name} — now showing.",
            now=now,
        )
        for day in range(days):
            for slot, at in enumerate(SHOWTIMES[count % 3 :] or SHOWTIMES):
                starts = _at(now + timedelta(days=day + 1), at)
                session = await plans.schedule_session(
                    uow,
                    plans.NewSession(
                        event_id=event.id,
                        venue_id=venue.id,
                        seat_map_id=hall.id,
                        code=f"{number}-{day}-{slot}",
                        name=f"{name} {starts.astimezone(LOCAL):%a %H:%M}",
                        starts_at=starts,
                        ends_at=starts + timedelta(minutes=130),
                    ),
                    now=now,
                )
                await _price_cinema(uow, session.id, now)
                await _on_sale(uow, session.id, ("STD", "PRM"), now, starts)
                count += 1
    return count


async def _on_sale(
    uow: UnitOfWork,
    session_id: int,
    levels: tuple[str, ...],
    now: datetime,
    starts: datetime,
    *,
    real_name: bool = False,
) -> None:
    """On sale on the website and the mobile app from now until the session starts."""
    for channel in ("web", "mobile"):
        await windows.open_window(
            uow,
            session_id=session_id,
            now=now,
            cmd=windows.WindowInput(
                channel=channel,
                starts_at=now - timedelta(hours=1),
                ends_at=starts,
                per_person_limit=6,
                payment_minutes=15,
                real_name_required=real_name,
                quotas=[windows.QuotaInput(level, ratio=Fraction(1, 2)) for level in levels],
            ),
        )


async def _price_cinema(uow: UnitOfWork, session_id: int, now: datetime) -> None:
    await pricing.set_price_levels(
        uow,
        session_id=session_id,
        now=now,
        levels=[
            pricing.LevelInput(
                code="STD",
                name="Standard",
                color="#2563eb",
                prices={"adult": 6000, "child": 4000, "concession": 4500},
            ),
            pricing.LevelInput(
                code="PRM",
                name="Premium (rows H–M)",
                color="#db2777",
                prices={"adult": 8000, "child": 6000},
            ),
        ],
    )
    await plans.map_price_level(
        uow,
        session_id=session_id,
        level_code="STD",
        now=now,
        selector=SeatSelector(sections=("HALL",)),
    )
    await plans.map_price_level(
        uow,
        session_id=session_id,
        level_code="PRM",
        now=now,
        selector=SeatSelector(
            seats=tuple(f"L1-HALL-{r}-{n}" for r in "HJKLM" for n in range(1, 18))
        ),
    )


async def _seed_stadium(uow: UnitOfWork, *, now: datetime, days: int, say: Progress) -> int:
    org = await venues.create_organiser(
        uow, code="GAMES", name="Harbour Games Organising Committee", now=now
    )
    spec = stadium_bowl("Harbour Stadium")
    venue = await venues.create_venue(
        uow,
        code="HBR-STAD",
        name="Harbour Stadium",
        address="1 Olympic Road, Harbour City",
        use="football, athletics, ceremonies, concerts",
        capacity=spec.capacity,
        now=now,
    )
    bowl = await seatmaps.import_seatmap(uow, venue_id=venue.id, spec=spec, now=now)
    lower = tuple(s.code for s in spec.sections if s.level == "L1")
    upper = tuple(s.code for s in spec.sections if s.level != "L1")
    session_ids: list[int] = []
    for i, (number, name, discipline) in enumerate(MATCHES):
        event = await events.create_event(
            uow,
            organiser_id=org.id,
            number=number,
            name=name,
            category=EventCategory.SPORT,
            discipline=discipline,
            tags=["games", discipline],
            now=now,
            description=f"{name} at Harbour Stadium.",
        )
        starts = _at(now + timedelta(days=1 + i % max(days, 1)), time(19, 0))
        say(f"stadium session {number}")
        session = await plans.schedule_session(
            uow,
            plans.NewSession(
                event_id=event.id,
                venue_id=venue.id,
                seat_map_id=bowl.id,
                code=f"{number}-S1",
                name=name,
                starts_at=starts,
                ends_at=starts + timedelta(hours=3),
            ),
            now=now,
        )
        await pricing.set_price_levels(
            uow,
            session_id=session.id,
            now=now,
            levels=[
                pricing.LevelInput(
                    code="A",
                    name="Lower tier",
                    color="#dc2626",
                    prices={"adult": 48000, "child": 24000},
                ),
                pricing.LevelInput(
                    code="B",
                    name="Upper tier",
                    color="#16a34a",
                    prices={"adult": 28000, "child": 14000},
                ),
            ],
        )
        await plans.map_price_level(
            uow,
            session_id=session.id,
            level_code="A",
            now=now,
            selector=SeatSelector(sections=lower),
        )
        await plans.map_price_level(
            uow,
            session_id=session.id,
            level_code="B",
            now=now,
            selector=SeatSelector(sections=upper),
        )
        await _on_sale(
            uow, session.id, ("A", "B"), now, starts, real_name=number == REAL_NAME_MATCH
        )
        session_ids.append(session.id)
    await passes.create_pass(
        uow,
        organiser_id=org.id,
        code="GAMES-DAYPASS",
        name="Games pass: all stadium sessions",
        session_ids=session_ids,
        seat_mode=SeatMode.NONE,
        fixed_seat_key=None,
        price=90000,
        level_prices={},
        currency="CNY",
        now=now,
    )
    return len(session_ids)
