"""Batch creation of staff from CSV (U4): every row checked first, all created or none, with a
report line per row. Imported staff get a random initial password to change at first login;
nobody imports grants beyond their own (``staff_hierarchy``)."""

from __future__ import annotations

import csv
import io
import re
import secrets
from dataclasses import dataclass, field
from datetime import datetime
from typing import Literal

from sqlalchemy import select

from admit.accounts.models import StaffUser
from admit.accounts.staff import NewStaff, create_staff
from admit.accounts.staff_hierarchy import missing
from admit.core.crypto import FieldCrypto
from admit.core.errors import InvalidInput
from admit.core.permissions import Grant, Principal, Role, ScopeKind
from admit.core.uow import UnitOfWork

HEADER = ["username", "display_name", "phone", "roles"]
USERNAME = re.compile(r"^[a-z0-9_.-]{3,80}$")
PHONE = re.compile(r"^1[3-9]\d{9}$")


# What became of one row of a staff import.
ImportStatus = Literal["ok", "error", "created"]


@dataclass
class RowReport:
    line: int
    username: str
    status: ImportStatus = "ok"
    problems: list[str] = field(default_factory=list)


@dataclass(frozen=True, slots=True)
class CreatedStaff:
    staff_id: int
    username: str
    phone: str
    initial_password: str


def parse_grants(text: str) -> list[Grant]:
    """``ticket_ops@organiser:3; customer_service`` → grants (role, optional scope:id)."""
    grants = []
    for part in (p.strip() for p in text.split(";")):
        if not part:
            continue
        role, _, scope = part.partition("@")
        kind, _, scope_id = scope.partition(":")
        try:
            grants.append(Grant(Role(role.strip()), ScopeKind(kind or "global"), scope_id or None))
        except ValueError as exc:
            raise InvalidInput(f"unknown role or scope in {part!r}") from exc
    if not grants:
        raise InvalidInput("at least one role")
    return grants


def _check_row(row: dict[str, str], seen: set[str], actor: Principal) -> list[str]:
    problems = []
    name = row.get("username", "").strip()
    if not USERNAME.match(name):
        problems.append("username: 3-80 of a-z, 0-9, _ . -")
    if name in seen:
        problems.append("username repeats an earlier line")
    if not PHONE.match(row.get("phone", "").strip()):
        problems.append("phone: an 11-digit mainland mobile number (for the initial password)")
    try:
        lacking = missing(actor.grants, parse_grants(row.get("roles", "")))
    except InvalidInput as exc:
        problems.append(f"roles: {exc.message}")
    else:
        if lacking:
            problems.append("roles: beyond your own grants: " + ", ".join(lacking))
    seen.add(name)
    return problems


def read_rows(data: bytes) -> list[tuple[int, dict[str, str]]]:
    try:
        text = data.decode("utf-8-sig")
    except UnicodeDecodeError as exc:
        raise InvalidInput("the file is not UTF-8") from exc
    reader = csv.DictReader(io.StringIO(text))
    if reader.fieldnames != HEADER:
        raise InvalidInput(f"line 1: the header must be {','.join(HEADER)}")
    return [(reader.line_num, {k: (v or "") for k, v in row.items() if k}) for row in reader]


async def import_staff(
    uow: UnitOfWork,
    crypto: FieldCrypto,
    *,
    actor: Principal,
    data: bytes,
    now: datetime,
    dry_run: bool = False,
) -> tuple[list[RowReport], list[CreatedStaff]]:
    """Check every row (a grant the ``actor`` does not hold is a row's problem); when all are
    fine (and not a dry run) create them all, phones encrypted (``create_staff``). The created
    staff come back with their phones in clear, for the initial passwords' messages."""
    rows = read_rows(data)
    existing = set((await uow.session.scalars(select(StaffUser.username))).all())
    seen: set[str] = set()
    reports = []
    for line, row in rows:
        report = RowReport(line=line, username=row.get("username", "").strip())
        report.problems = _check_row(row, seen, actor)
        if report.username in existing:
            report.problems.append("username already exists")
        report.status = "error" if report.problems else "ok"
        reports.append(report)
    if dry_run or any(r.problems for r in reports):
        return reports, []
    created = []
    for report, (_, row) in zip(reports, rows, strict=True):
        password = secrets.token_urlsafe(9) + "Aa1!"
        user = await create_staff(
            uow,
            crypto,
            NewStaff(
                username=report.username,
                password=password,
                phone=row["phone"].strip(),
                display_name=row.get("display_name", "").strip(),
                grants=parse_grants(row["roles"]),
            ),
            now=now,
        )
        user.must_change_password = True
        report.status = "created"
        created.append(CreatedStaff(user.id, user.username, row["phone"].strip(), password))
    await uow.session.flush()
    return reports, created
