"""What the benchmarks sell and who buys: buyers with accounts, a password and a signed-in
device, made in bulk straight through the tables (one argon2 hash shared by all: 5,000
registrations over HTTP would measure argon2, not the sale); venues and sessions on sale made
through the catalogue, inventory and sales services in the harness's own process."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from fractions import Fraction

from sqlalchemy import func, insert, select

from admit.accounts.customer_phones import phone_columns
from admit.accounts.customers import TOKEN_LIFETIME
from admit.accounts.models import Customer, CustomerToken
from admit.accounts.passwords import hash_password
from admit.accounts.tokens import new_token
from admit.catalog import events, pricing, seatmaps, venues
from admit.catalog.models import (
    EventCategory,
    GAArea,
    MapLevel,
    MapSection,
    Organiser,
    Seat,
    SeatMap,
    Venue,
)
from admit.catalog.seatmap_generators import cinema_hall, stadium_bowl
from admit.catalog.seatmap_spec import GAAreaSpec, SeatMapSpec
from admit.cli.demo_data import seed_demo
from admit.core.runtime import Runtime
from admit.inventory import plans
from admit.inventory.selection import SeatSelector
from admit.sales import windows
from bench.harness import BENCH_ACTOR

PASSWORD = "Bench password 2026!"
CHUNK = 1000


@dataclass(frozen=True, slots=True)
class Buyer:
    id: int
    login: str
    token: str


@dataclass(frozen=True, slots=True)
class Place:
    """A venue and its seat map, with the organiser that sells there."""

    organiser_id: int
    venue_id: int
    seat_map_id: int


async def create_buyers(rt: Runtime, count: int) -> list[Buyer]:
    """``count`` web customers, each with the password :data:`PASSWORD` and one live token."""
    now = datetime.now(UTC)
    shared_hash = hash_password(PASSWORD)
    buyers: list[Buyer] = []
    async with rt.uow(BENCH_ACTOR) as uow:
        first = int(await uow.session.scalar(select(func.count()).select_from(Customer)) or 0)
        for start in range(0, count, CHUNK):
            phones = [f"138{first + i:08d}" for i in range(start, min(start + CHUNK, count))]
            ids = (
                await uow.session.scalars(
                    insert(Customer).returning(Customer.id, sort_by_parameter_order=True),
                    [
                        {
                            **phone_columns(rt.crypto, p),
                            "password_hash": shared_hash,
                            "password_changed_at": now,
                            "source_channel": "web",
                            "created_at": now,
                        }
                        for p in phones
                    ],
                )
            ).all()
            tokens = [new_token() for _ in ids]
            await uow.session.execute(
                insert(CustomerToken),
                [
                    {
                        "customer_id": cid,
                        "token_hash": digest,
                        "device": "bench",
                        "created_at": now,
                        "expires_at": now + TOKEN_LIFETIME,
                    }
                    for cid, (_, digest) in zip(ids, tokens, strict=True)
                ],
            )
            buyers += [
                Buyer(cid, phone, token)
                for cid, phone, (token, _) in zip(ids, phones, tokens, strict=True)
            ]
    return buyers


async def seed_demo_catalogue(rt: Runtime) -> None:
    """The demo cinema (45 showtimes) and the 20,160-seat stadium (3 sessions), once."""
    async with rt.uow(BENCH_ACTOR) as uow:
        await seed_demo(uow, now=datetime.now(UTC))


async def stadium(rt: Runtime) -> Place:
    """The demo's Harbour Stadium."""
    async with rt.uow(BENCH_ACTOR, readonly=True) as uow:
        org = await uow.session.scalar(select(Organiser.id).where(Organiser.code == "GAMES"))
        venue_id, map_id = (
            await uow.session.execute(
                select(Venue.id, SeatMap.id)
                .join(SeatMap, SeatMap.venue_id == Venue.id)
                .where(Venue.code == "HBR-STAD")
            )
        ).one()
    assert org is not None, "seed the demo catalogue first"
    return Place(org, venue_id, map_id)


async def create_place(rt: Runtime, code: str, spec: SeatMapSpec) -> Place:
    """An organiser, a venue and its seat map, all named ``code``."""
    now = datetime.now(UTC)
    async with rt.uow(BENCH_ACTOR) as uow:
        org = await venues.create_organiser(uow, code=code, name=f"Bench {code}", now=now)
        venue = await venues.create_venue(
            uow,
            code=code,
            name=f"Bench {code}",
            address="127.0.0.1",
            use="benchmarks",
            capacity=spec.capacity,
            now=now,
        )
        seat_map = await seatmaps.import_seatmap(uow, venue_id=venue.id, spec=spec, now=now)
    return Place(org.id, venue.id, seat_map.id)


def field_venue(capacity: int, area: str = "FIELD") -> SeatMapSpec:
    """A festival field: one general-admission area of ``capacity`` (and a small stand)."""
    stand = cinema_hall("Field", rows=2, seats_per_row=10)
    return SeatMapSpec(
        stand.name,
        stand.levels,
        stand.sections,
        stand.seats,
        (GAAreaSpec(area, "Field", capacity, stand.levels[0].code),),
    )


@dataclass(frozen=True, slots=True)
class SaleSetup:
    """A session to put on sale: levels priced per ticket, seats mapped to levels by
    section, GA areas mapped to levels, and the web window's quotas (a number, or a ratio of
    the level's sellable seats)."""

    tag: str
    seat_levels: dict[str, Sequence[str]]
    ga_levels: dict[str, str]
    quotas: dict[str, int | Fraction]
    per_person_limit: int = 6
    payment_minutes: int = 15


def tiers_sale(tag: str, tiers: dict[str, list[str]], quota: int | Fraction) -> SaleSetup:
    """Both stadium tiers on sale (levels A and B) with the web window's quota ``quota`` of each
    (a number, or a share of the tier's seats)."""
    return SaleSetup(
        tag=tag,
        seat_levels={"A": tiers["L1"], "B": tiers["L2"]},
        ga_levels={},
        quotas={"A": quota, "B": quota},
    )


async def open_sale(rt: Runtime, place: Place, setup: SaleSetup) -> int:
    """Schedule a session at ``place`` two days ahead, price it and open its web window from
    an hour ago until tomorrow. Returns the session id."""
    now = datetime.now(UTC)
    starts = now + timedelta(days=2)
    async with rt.uow(BENCH_ACTOR) as uow:
        event = await events.create_event(
            uow,
            organiser_id=place.organiser_id,
            number=f"BENCH-{setup.tag}",
            name=f"Benchmark on-sale {setup.tag}",
            category=EventCategory.SHOW,
            discipline="concert",
            description="A session the benchmark sells.",
            tags=["bench"],
            now=now,
        )
        session = await plans.schedule_session(
            uow,
            plans.NewSession(
                event_id=event.id,
                venue_id=place.venue_id,
                seat_map_id=place.seat_map_id,
                code=f"BENCH-{setup.tag}",
                name=f"Benchmark {setup.tag}",
                starts_at=starts,
                ends_at=starts + timedelta(hours=3),
            ),
            now=now,
        )
        levels = [*setup.seat_levels, *setup.ga_levels.values()]
        await pricing.set_price_levels(
            uow,
            session_id=session.id,
            now=now,
            levels=[
                pricing.LevelInput(code=c, name=f"Level {c}", prices={"adult": 10000 + i * 1000})
                for i, c in enumerate(dict.fromkeys(levels))
            ],
        )
        for code, sections in setup.seat_levels.items():
            await plans.map_price_level(
                uow,
                session_id=session.id,
                level_code=code,
                now=now,
                selector=SeatSelector(sections=tuple(sections)),
            )
        for area, code in setup.ga_levels.items():
            await plans.map_ga_level(
                uow, session_id=session.id, area_code=area, level_code=code, now=now
            )
        await windows.open_window(
            uow,
            session_id=session.id,
            now=now,
            cmd=windows.WindowInput(
                channel="web",
                starts_at=now - timedelta(hours=1),
                ends_at=now + timedelta(days=1),
                per_person_limit=setup.per_person_limit,
                payment_minutes=setup.payment_minutes,
                real_name_required=False,
                quotas=[
                    windows.QuotaInput(code, ratio=q)
                    if isinstance(q, Fraction)
                    else windows.QuotaInput(code, quota=q)
                    for code, q in setup.quotas.items()
                ],
            ),
        )
    return session.id


async def sections_by_level(rt: Runtime, place: Place) -> dict[str, list[str]]:
    """The map's section codes by map level code (e.g. the stadium's L1 and L2 tiers)."""
    async with rt.uow(BENCH_ACTOR, readonly=True) as uow:
        rows = (
            await uow.session.execute(
                select(MapLevel.code, MapSection.code)
                .join(MapSection, MapSection.level_id == MapLevel.id)
                .where(MapSection.seat_map_id == place.seat_map_id)
                .order_by(MapSection.sort)
            )
        ).all()
    out: dict[str, list[str]] = {}
    for level, section in rows:
        out.setdefault(level, []).append(section)
    return out


async def ga_area_codes(rt: Runtime, place: Place) -> list[str]:
    async with rt.uow(BENCH_ACTOR, readonly=True) as uow:
        return list(
            (
                await uow.session.scalars(
                    select(GAArea.code).where(GAArea.seat_map_id == place.seat_map_id)
                )
            ).all()
        )


async def stadium_session(
    rt: Runtime, code: str, seats: int, per_person_limit: int
) -> tuple[Place, int, list[str]]:
    """A fresh stadium bowl with one session selling its first ``seats`` seats at one level
    ("A", every section): the place, the session's id and those seats' keys, in map order."""
    place = await create_place(rt, code, stadium_bowl())
    async with rt.uow(BENCH_ACTOR, readonly=True) as uow:
        keys = list(
            (
                await uow.session.scalars(
                    select(Seat.key)
                    .where(Seat.seat_map_id == place.seat_map_id)
                    .order_by(Seat.ordinal)
                    .limit(seats)
                )
            ).all()
        )
        sections = list(
            (
                await uow.session.scalars(
                    select(MapSection.code).where(MapSection.seat_map_id == place.seat_map_id)
                )
            ).all()
        )
    setup = SaleSetup(
        tag=code,
        seat_levels={"A": sections},
        ga_levels={},
        quotas={"A": len(keys)},
        per_person_limit=per_person_limit,
    )
    return place, await open_sale(rt, place, setup), keys
