"""Demo partner cinemas: their showtimes come from the cinema box-office simulator (C1).

When the demo serves the simulator itself (no ``ADMIT_CINEMA_URL``), it is not listening yet
while the demo data is loaded, so the import talks to a simulator instance in memory: its
programme is deterministic, so the one the server mounts lists the same showtimes under the
same codes. Run on every start, it adds the showtimes that are new; the worker keeps them
current afterwards."""

from __future__ import annotations

from collections.abc import Callable

import httpx

from admit.core.runtime import Runtime
from admit.partners.box_office import BoxOfficeError, BoxOffices
from admit.partners.cinema_client import HttpBoxOffice
from admit.partners.settings import CinemaSettings
from admit.partners.sync_jobs import sync_partners
from admit.sims.cinema import CinemaSimConfig, create_cinema_app

DEMO_DAYS = 2


def _office(rt: Runtime) -> HttpBoxOffice:
    c = CinemaSettings()
    if c.url:
        return HttpBoxOffice(c.url, c.app_code, c.secret, system=c.system, clock=rt.clock)
    sim = create_cinema_app(CinemaSimConfig(apps={c.app_code: c.secret}), clock=rt.clock)
    return HttpBoxOffice(
        "http://cinema.sim",
        c.app_code,
        c.secret,
        system=c.system,
        transport=httpx.ASGITransport(app=sim),
        clock=rt.clock,
    )


async def seed_partners(rt: Runtime, say: Callable[[str], None] = lambda _m: None) -> int:
    """Import the partner cinemas' showtimes of the next days; returns how many are new.
    A cinema system that does not answer leaves the demo without them (said, not raised)."""
    if BoxOffices not in rt.adapters:
        rt.register(BoxOffices, BoxOffices(_office(rt)))
    try:
        results = await sync_partners(rt, days=DEMO_DAYS)
    except BoxOfficeError as exc:
        say(f"partner cinemas not imported: {exc.message}")
        return 0
    return sum(len(r.new_sessions) for r in results.values())
