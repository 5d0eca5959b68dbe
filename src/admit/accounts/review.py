"""The offline review of documents that cannot be checked online (RN3, RN5): the queue, an
unmasked export for the offline check (audited) and the import of its results."""

from __future__ import annotations

import csv
import io
from datetime import datetime

from sqlalchemy import select

from admit.accounts.identities import decide
from admit.accounts.identity_models import Identity
from admit.core import audit, csv_export
from admit.core.crypto import FieldCrypto
from admit.core.errors import AdmitError, InvalidInput
from admit.core.uow import UnitOfWork

EXPORT_HEADER = ["identity_id", "doc_type", "number", "name", "nationality", "visa_expires"]
IMPORT_HEADER = ["identity_id", "decision", "reason"]


async def queue(uow: UnitOfWork, *, status: str, limit: int) -> list[Identity]:
    rows = await uow.session.scalars(
        select(Identity)
        .where(Identity.method == "offline", Identity.status == status)
        .order_by(Identity.created_at, Identity.id)
        .limit(limit)
    )
    return list(rows.all())


async def export_pending(uow: UnitOfWork, crypto: FieldCrypto, *, now: datetime) -> str:
    pending = await queue(uow, status="pending", limit=100_000)
    out = io.StringIO()
    writer = csv_export.writer(out)
    writer.writerow(EXPORT_HEADER)
    for i in pending:
        writer.writerow(
            [
                i.id,
                i.doc_type,
                crypto.decrypt(i.number_enc),
                crypto.decrypt(i.name_enc),
                i.nationality,
                i.visa_expires.isoformat() if i.visa_expires else "",
            ]
        )
    await audit.record(
        uow,
        action="personal_data.exported",
        entity_type="identity",
        entity_id="pending",
        now=now,
        data={"identities": [i.id for i in pending]},
    )
    return out.getvalue()


def _rows(data: bytes) -> list[tuple[int, dict[str, str]]]:
    try:
        reader = csv.DictReader(io.StringIO(data.decode("utf-8-sig")))
    except UnicodeDecodeError as exc:
        raise InvalidInput("the file is not UTF-8") from exc
    if reader.fieldnames != IMPORT_HEADER:
        raise InvalidInput(f"line 1: the header must be {','.join(IMPORT_HEADER)}")
    return [(reader.line_num, row) for row in reader]


async def import_results(uow: UnitOfWork, *, data: bytes, now: datetime) -> int:
    """Apply every decision or none: a bad row aborts the import naming its line."""
    rows = _rows(data)
    for line, row in rows:
        decision = (row.get("decision") or "").strip()
        if decision not in ("approve", "reject") or not (row.get("identity_id") or "").isdigit():
            raise InvalidInput(
                f"line {line}: identity_id must be a number and decision approve or reject"
            )
        try:
            await decide(
                uow,
                identity_id=int(row["identity_id"]),
                approve=decision == "approve",
                reason=row.get("reason") or "",
                now=now,
            )
        except AdmitError as exc:
            raise InvalidInput(f"line {line}: {exc.message}") from exc
    return len(rows)
