"""Session manifests (V4, INV7): what a device downloads before the doors open — every ticket
it may admit (seat, section, level, kind, masked holder, the last characters of the holder's
document number), the revocation list, the policy, the gates and the organisers' public keys —
versioned, with updates since a version. Nothing in it lets a device search for a document
number offline (no digest of it, no salt): see ``validation.id_tail``.

The manifest is kept as rows (``checkin_manifest_entry``) refreshed from the tickets before
each download: only rows that changed get the new version, so an update carries only them."""

from __future__ import annotations

import base64
import hashlib
import json
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any

from sqlalchemy import ColumnElement, func, insert, or_, select, update
from sqlalchemy.dialects.postgresql import insert as pg_insert
from sqlalchemy.dialects.sqlite import insert as sqlite_insert
from sqlalchemy.orm import aliased

from admit.accounts.documents import mask_name
from admit.accounts.identity_models import Identity
from admit.catalog.models import (
    Event,
    GAArea,
    MapLevel,
    MapSection,
    ProductSession,
    Seat,
    Session,
)
from admit.checkin import validation
from admit.checkin.gates import admission_window, get_policy, venue_gates
from admit.checkin.models import Manifest, ManifestEntry
from admit.core.crypto import FieldCrypto
from admit.core.lookups import get_or_404
from admit.core.uow import UnitOfWork
from admit.ticketing import issue
from admit.ticketing.models import RetiredCode, Ticket

REFRESH_EVERY = timedelta(seconds=5)
COLUMNS = ("code", "seat", "section", "level", "kind", "holder", "id_tail")
_FIELDS = ("seat", "section", "level", "kind", "holder", "id_tail", "revoked")


@dataclass(frozen=True, slots=True)
class Listed:
    """A ticket as the manifest lists it (the fields of a ``ManifestEntry``)."""

    code: str
    seat: str
    section: str | None
    level: str | None
    kind: str
    holder: str | None
    id_tail: str | None
    revoked: str | None

    def values(self) -> tuple[Any, ...]:
        return tuple(getattr(self, name) for name in _FIELDS)


def admits_to(session_id: int) -> ColumnElement[bool]:
    """The tickets a session's gates admit: its own, and the tickets of passes covering it
    (one ticket, ``session_id`` its pass's first session, listed in every covered session's
    manifest; each device admits it once, as any ticket)."""
    passes = select(ProductSession.product_id).where(ProductSession.session_id == session_id)
    return or_(Ticket.session_id == session_id, Ticket.product_id.in_(passes))


async def session_tickets(
    uow: UnitOfWork, crypto: FieldCrypto | None, session: Session
) -> list[Listed]:
    """Every ticket of the session with its section and level from the seat map; a ticket
    whose status is not ``valid`` (refunded, void) is listed as revoked, and so is every code
    a ticket was reissued from (a thermal reprint: ``reissued``). Without ``crypto`` no
    document numbers are read (for counting)."""
    seat_level, area_level = aliased(MapLevel), aliased(MapLevel)
    rows = (
        await uow.session.execute(
            select(
                Ticket.code,
                Ticket.label,
                Ticket.ticket_type,
                Ticket.holder_name,
                Ticket.holder_key,
                Ticket.status,
                MapSection.code,
                seat_level.code,
                GAArea.code,
                area_level.code,
            )
            .outerjoin(
                Seat, (Seat.seat_map_id == session.seat_map_id) & (Seat.key == Ticket.seat_key)
            )
            .outerjoin(MapSection, MapSection.id == Seat.section_id)
            .outerjoin(seat_level, seat_level.id == MapSection.level_id)
            .outerjoin(
                GAArea,
                (GAArea.seat_map_id == session.seat_map_id) & (GAArea.code == Ticket.area_code),
            )
            .outerjoin(area_level, area_level.id == GAArea.level_id)
            .where(admits_to(session.id))
            .order_by(Ticket.code)
        )
    ).all()
    keys = {r[4] for r in rows if r[4]}
    tails = await _id_tails(uow, crypto, keys) if crypto else {}
    retired = await uow.session.execute(
        select(RetiredCode.code, Ticket.label, Ticket.ticket_type)
        .join(Ticket, Ticket.id == RetiredCode.ticket_id)
        .where(admits_to(session.id))
    )
    return [
        Listed(code, label, None, None, kind, None, None, "reissued")
        for code, label, kind in retired.all()
    ] + [
        Listed(
            code=code,
            seat=label,
            section=section or area,
            level=level or alevel,
            kind=kind,
            holder=mask_name(holder) if holder else None,
            id_tail=tails.get(key) if key else None,
            revoked=None if status == "valid" else status,
        )
        for code, label, kind, holder, key, status, section, level, area, alevel in rows
    ]


async def _id_tails(uow: UnitOfWork, crypto: FieldCrypto, keys: set[str]) -> dict[str, str]:
    """The last characters of each holder's document number (devices compare a typed
    number's with them; the rest of the number never leaves the server)."""
    if not keys:
        return {}
    found = await uow.session.execute(
        select(Identity.lookup, Identity.number_enc).where(Identity.lookup.in_(sorted(keys)))
    )
    return {key: validation.id_tail(crypto.decrypt(enc)) for key, enc in found.all()}


async def _header(uow: UnitOfWork, session_id: int, now: datetime) -> Manifest:
    """The manifest row, locked (one refresh at a time per session), made on first use."""
    manifest = await uow.session.scalar(
        select(Manifest)
        .where(Manifest.session_id == session_id)
        .with_for_update()
        .execution_options(populate_existing=True)  # as the lock found it, not as first read
    )
    if manifest is None:
        stmt = _insert(uow).values(session_id=session_id, version=0, refreshed_at=now)
        await uow.session.execute(stmt.on_conflict_do_nothing())
        manifest = await uow.session.scalar(
            select(Manifest)
            .where(Manifest.session_id == session_id)
            .with_for_update()
            .execution_options(populate_existing=True)
        )
    assert manifest is not None
    return manifest


def _insert(uow: UnitOfWork) -> Any:
    return (pg_insert if uow.dialect == "postgresql" else sqlite_insert)(Manifest)


async def refresh(uow: UnitOfWork, crypto: FieldCrypto, *, session_id: int, now: datetime) -> int:
    """Bring the session's manifest up to date with its tickets, policy, gates and keys;
    the version rises only when something changed. Returns the version."""
    session = await get_or_404(uow, Session, session_id, "session")
    manifest, _ = await _refresh(uow, crypto, session, now)
    return manifest.version


async def _refresh(
    uow: UnitOfWork, crypto: FieldCrypto, session: Session, now: datetime
) -> tuple[Manifest, dict[str, Any]]:
    """The refreshed header and the settings part of the document. A cheap fingerprint (the
    settings; the session's ticket count, newest ticket and revoked count) is checked first:
    when it has not moved and the last full refresh is less than ``REFRESH_EVERY`` old, the
    rows are served as they are — a stadium's devices syncing every 30 s must not each
    re-read every ticket, yet a ticket sold or refunded a second ago reaches the next device
    that syncs. Other changes (a holder's name) arrive within ``REFRESH_EVERY``."""
    session_id = session.id
    settings, digest = await _fingerprint(uow, session)
    recent = await uow.session.get(Manifest, session_id)
    if (
        recent is not None
        and recent.version
        and recent.digest == digest
        and now - recent.refreshed_at < REFRESH_EVERY
    ):
        return recent, settings
    manifest = await _header(uow, session_id, now)
    settings, digest = await _fingerprint(uow, session)  # again, as of the lock
    listed = await session_tickets(uow, crypto, session)
    rows = await uow.session.execute(
        select(
            ManifestEntry.code, ManifestEntry.id, *(getattr(ManifestEntry, f) for f in _FIELDS)
        ).where(ManifestEntry.session_id == session_id)
    )
    have = {row[0]: (row[1], tuple(row[2:])) for row in rows.all()}
    fresh = [t for t in listed if t.code not in have]
    changed = [t for t in listed if t.code in have and have[t.code][1] != t.values()]
    manifest.refreshed_at = now
    if not fresh and not changed and digest == manifest.digest:
        await uow.session.flush()
        return manifest, settings
    version = manifest.version + 1
    if fresh:
        await uow.session.execute(
            insert(ManifestEntry),
            [
                {"session_id": session_id, "code": t.code, "version": version, **_row(t)}
                for t in fresh
            ],
        )
    if changed:  # one executemany UPDATE by primary key (a mass refund changes thousands)
        await uow.session.execute(
            update(ManifestEntry),
            [{"id": have[t.code][0], "version": version, **_row(t)} for t in changed],
        )
    manifest.version, manifest.digest = version, digest
    await uow.session.flush()
    return manifest, settings


async def _fingerprint(uow: UnitOfWork, session: Session) -> tuple[dict[str, Any], str]:
    """The settings part of the document and a digest of it with the tickets' counts."""
    settings = await _settings(uow, session)
    count, newest, revoked = (
        await uow.session.execute(
            select(
                func.count(),
                func.max(Ticket.id),
                func.count().filter(Ticket.status != "valid"),
            ).where(admits_to(session.id))
        )
    ).one()
    retired = await uow.session.scalar(
        select(func.count())
        .select_from(RetiredCode)
        .join(Ticket, Ticket.id == RetiredCode.ticket_id)
        .where(admits_to(session.id))
    )
    material = {**settings, "tickets": [count, newest, revoked, retired]}
    return settings, hashlib.sha256(json.dumps(material, sort_keys=True).encode()).hexdigest()


def _row(t: Listed) -> dict[str, Any]:
    return dict(zip(_FIELDS, t.values(), strict=True))


async def _settings(uow: UnitOfWork, session: Session) -> dict[str, Any]:
    policy = await get_policy(uow, session.id)
    opens, closes = admission_window(policy, session)
    gates = await venue_gates(uow, session.venue_id)
    by_id = {g.id: g.code for g in gates}
    organiser = await uow.session.scalar(
        select(Event.organiser_id).where(Event.id == session.event_id)
    )
    keys = await issue.public_keys(uow, organiser_id=organiser)
    return {
        "admit_from": opens.isoformat(),
        "admit_until": closes.isoformat(),
        "policy": {
            "reentry": policy.reentry,
            "identity_check": policy.identity_check,
            "rules": policy.rules,
        },
        "gates": [
            {"code": g.code, "name": g.name, "kind": g.kind, "parent": by_id.get(g.parent_id or 0)}
            for g in gates
            if g.active
        ],
        "keys": {k.kid: base64.urlsafe_b64encode(k.public_key).decode().rstrip("=") for k in keys},
    }


async def document(
    uow: UnitOfWork, crypto: FieldCrypto, *, session_id: int, since: int | None, now: datetime
) -> dict[str, Any]:
    """The manifest as devices take it (refreshed first): everything when ``since`` is
    None or not a version this manifest had, else only the tickets changed after it."""
    session = await get_or_404(uow, Session, session_id, "session")
    manifest, settings = await _refresh(uow, crypto, session, now)
    version = manifest.version
    full = since is None or not 0 <= since <= version
    columns = [getattr(ManifestEntry, c) for c in COLUMNS]  # rows, not ORM objects: 20,000 of them
    query = select(*columns, ManifestEntry.revoked).where(ManifestEntry.session_id == session_id)
    if not full:
        query = query.where(ManifestEntry.version > since)
    entries = (await uow.session.execute(query.order_by(ManifestEntry.code))).all()
    return {
        "format": validation.FORMAT,
        "session": {
            "id": session.id,
            "code": session.code,
            "name": session.name,
            "venue_id": session.venue_id,
            "starts_at": session.starts_at.isoformat(),
            "ends_at": session.ends_at.isoformat(),
        },
        "version": version,
        "full": full,
        "since": None if full else since,
        **settings,
        "columns": list(COLUMNS),
        "tickets": [list(e[:-1]) for e in entries if not e[-1]],
        "revoked": {e[0]: e[-1] for e in entries if e[-1]},
    }
