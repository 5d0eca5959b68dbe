"""Import boundaries: pure rule modules do no I/O, slices depend only downstream, and the
product imports no test code (test doubles live under ``tests/``).

Each slice may import the slices listed for it in ``ALLOWED``; it may import another slice's
``models`` (its tables) only where ``TABLE_READS`` allows, for joins in reads and in
INSERT … SELECT from upstream data. ``python -m admit.devtools.boundaries`` exits 1 on any
breach."""

from __future__ import annotations

import ast
import sys
from collections.abc import Iterator
from pathlib import Path

PACKAGE = Path(__file__).resolve().parents[1]

ALLOWED: dict[str, set[str]] = {
    "core": set(),
    "accounts": {"core", "messaging"},
    "messaging": {"core"},
    "wiring": {"core", "accounts", "messaging", "sims", "payments", "partners", "sales"},
    "sims": {"core", "messaging", "accounts", "payments", "partners"},
    "catalog": {"core"},
    "inventory": {"core", "catalog"},
    "payments": {"core"},
    "ticketing": {"core", "catalog"},
    "finance": {"core", "payments"},
    "sales": {
        "core",
        "catalog",
        "inventory",
        "accounts",
        "messaging",
        "payments",
        "ticketing",
        "finance",
        "waiting",
    },
    "waiting": {"core", "catalog"},
    "checkin": {"core", "catalog", "ticketing", "accounts"},
    "partners": {"core", "catalog", "inventory", "payments", "messaging", "accounts", "sales"},
    "content": {"core", "catalog"},
    "http": {"core", "accounts"},
    "devtools": {"core", "migrations", "tables"},
}
TABLE_READS: dict[str, set[str]] = {
    "inventory": {"catalog"},
    "ticketing": {"catalog"},
    "finance": {"payments"},
    "sales": {"catalog", "inventory", "accounts", "payments", "ticketing", "finance", "waiting"},
    "checkin": {"catalog", "ticketing", "accounts"},
    "partners": {"catalog", "inventory", "sales", "payments"},
    "content": {"catalog"},
}
# A slice's HTTP modules (api.py, *_api.py, web.py) may also use the HTTP plumbing
# and the permission names.
ENTRYPOINT_SUFFIXES = ("api.py", "web.py")
ENTRYPOINT_IMPORTS = ("admit.http", "admit.core.permissions")

PURE_MODULES = {
    "core/money.py",
    "core/clock.py",
    "core/errors.py",
    "core/audit_context.py",
    "accounts/documents.py",
    "accounts/password_rules.py",
    "accounts/person_names.py",
    "accounts/staff_hierarchy.py",
    "core/permissions.py",
    "messaging/sms_rules.py",
    "catalog/rules.py",
    "catalog/search.py",
    "catalog/seatmap_spec.py",
    "catalog/seatmap_format.py",
    "catalog/seatmap_validate.py",
    "catalog/seatmap_generators.py",
    "inventory/rules.py",
    "inventory/best_available.py",
    "ticketing/qr_payload.py",
    "checkin/validation.py",
    "checkin/replay.py",
    "payments/gateway.py",
    "payments/bank_notice.py",
    "partners/box_office.py",
    "partners/recon_rules.py",
    "web/refusals.py",
    "web/messages.py",
    "web/sale_status.py",
    "web/categories.py",
    "content/rules.py",
    "waiting/rules.py",
}
IMPURE_IMPORTS = (
    "sqlalchemy",
    "fastapi",
    "starlette",
    "httpx",
    "asyncpg",
    "aiosqlite",
    "redis",
    "admit.core.config",
    "admit.core.db",
    "admit.core.uow",
    "admit.http",
    "socket",
    "requests",
)


def _imports(path: Path) -> Iterator[tuple[int, str]]:
    tree = ast.parse(path.read_text(), filename=str(path))
    for node in ast.walk(tree):
        if isinstance(node, ast.Import):
            for alias in node.names:
                yield node.lineno, alias.name
        elif isinstance(node, ast.ImportFrom) and node.module and node.level == 0:
            yield node.lineno, node.module


def _slice_breaches(rel: str, path: Path) -> Iterator[str]:
    own = rel.split("/")[0]
    allowed = ALLOWED.get(own)
    if allowed is None:
        return
    for line, name in _imports(path):
        parts = name.split(".")
        if parts[0] != "admit" or len(parts) < 2 or parts[1] == own:
            continue
        other = parts[1]
        if path.name.endswith(ENTRYPOINT_SUFFIXES) and name.startswith(ENTRYPOINT_IMPORTS):
            continue
        if other not in allowed:
            yield f"{rel}:{line}: slice {own!r} may not import {name} ({other!r} is not upstream)"
        elif len(parts) > 2 and parts[2] == "models" and other not in TABLE_READS.get(own, ()):
            yield f"{rel}:{line}: slice {own!r} may not use {other!r}'s tables ({name})"


def _purity_breaches(rel: str, path: Path) -> Iterator[str]:
    if rel not in PURE_MODULES:
        return
    for line, name in _imports(path):
        if name.startswith(IMPURE_IMPORTS):
            yield f"{rel}:{line}: pure module imports {name}"


# The product ships no test doubles or test machinery: they live under tests/.
TEST_ONLY_IMPORTS = ("tests", "pytest", "hypothesis", "_pytest")


def _test_only_breaches(rel: str, path: Path) -> Iterator[str]:
    for line, name in _imports(path):
        if name.split(".")[0] in TEST_ONLY_IMPORTS:
            yield f"{rel}:{line}: the product imports test code ({name})"


def breaches(root: Path = PACKAGE) -> list[str]:
    found: list[str] = []
    for path in sorted(root.rglob("*.py")):
        rel = path.relative_to(root).as_posix()
        found.extend(_slice_breaches(rel, path))
        found.extend(_purity_breaches(rel, path))
        found.extend(_test_only_breaches(rel, path))
    return found


def main() -> int:
    found = breaches()
    for line in found:
        print(line)  # noqa: T201
    print(f"import boundaries: {len(found)} breach(es)")  # noqa: T201
    return 1 if found else 0


if __name__ == "__main__":
    sys.exit(main())
