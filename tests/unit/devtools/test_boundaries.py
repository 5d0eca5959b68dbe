"""The import-boundary checker sees each kind of breach it names, in every import form, on a
small package of its own; the product has none; and docs/architecture.md shows the table the
checker enforces."""

from __future__ import annotations

from pathlib import Path

import pytest

from admit.devtools.architecture_doc import DOC, embedded, render, rewrite
from admit.devtools.boundaries import breaches
from admit.devtools.slices import BOUNDARIES, Boundaries, Slice

TABLE = Boundaries(
    slices=(
        Slice("core", "the kernel"),
        Slice("catalog", "the catalogue", imports=("core",)),
        Slice("finance", "the ledger", imports=("core", "catalog")),
        Slice("sales", "the sale", imports=("core", "catalog"), reads=("catalog",)),
        Slice("http", "the plumbing", imports=("core",)),
        Slice("web", "the pages", imports=("core", "http", "catalog")),
        Slice("tables.py", "every table", imports=("core",), reads=("catalog",)),
        Slice("app.py", "the application", anything=True),
        Slice("__init__.py", "the version"),
    ),
    pure=("core/money.py", "catalog/rules.py"),
    impure_imports=("sqlalchemy", "admit.core.db", "admit.http"),
)

# Every form of import the checker resolves, each one allowed where it stands.
CLEAN = {
    "__init__.py": '__version__ = "0"\n',
    "core/__init__.py": "",
    "core/money.py": "import decimal\n",
    "core/db.py": "import sqlalchemy\n",
    "catalog/__init__.py": "",
    "catalog/models.py": "from admit.core.db import Base\n",
    "catalog/rules.py": "from admit.core.money import Money\nfrom admit.catalog import spec\n",
    "catalog/spec.py": "from admit.core import money\n",
    "catalog/api.py": "from admit.http import deps\nfrom admit.catalog.rules import check\n",
    "finance/__init__.py": "",
    "finance/bills.py": "import admit.catalog.rules\nfrom admit.catalog import rules\n",
    "sales/__init__.py": "",
    "sales/orders.py": (
        "from admit.catalog import models\n"
        "from admit.catalog.models import Event\n"
        "import admit.catalog.models\n"
        "from admit import catalog\n"
    ),
    "http/__init__.py": "",
    "http/deps.py": "from fastapi import Depends\nfrom admit.core.db import Base\n",
    "web/__init__.py": "",
    "web/pages.py": "from admit.http.deps import Depends\nfrom admit.catalog import api\n",
    "tables.py": "from admit.catalog import models\nfrom admit.core.db import Base\n",
    "app.py": "import admit\nfrom admit import __version__, sales, web\nimport admit.web.pages\n",
}


def _package(tmp_path: Path, files: dict[str, str]) -> Path:
    root = tmp_path / "admit"
    for rel, text in {**CLEAN, **files}.items():
        path = root / rel
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_text(text)
    return root


def test_a_clean_package_has_no_breach(tmp_path: Path) -> None:
    assert breaches(_package(tmp_path, {}), TABLE) == []


BREACHES = {
    "a slice imports a package named in one part": (
        {"catalog/venues.py": "import json\nfrom admit import sales\n"},
        ["catalog/venues.py:2: 'catalog' may not import admit.sales "
         "('sales' is not among its dependencies)"],
    ),
    "a slice imports the package itself": (
        {"catalog/venues.py": "import admit\n"},
        ["catalog/venues.py:1: 'catalog' may not import admit "
         "('__init__.py' is not among its dependencies)"],
    ),
    "a slice that is not an entry point imports the HTTP plumbing": (
        {"catalog/venues.py": "from admit.http import deps\n"},
        ["catalog/venues.py:1: 'catalog' may not import admit.http.deps "
         "('http' is not among its dependencies)"],
    ),
    "relative imports": (
        {"sales/holds.py": "from . import orders\nfrom .orders import Event\n"},
        ["sales/holds.py:1: relative import (write it from admit.…)",
         "sales/holds.py:2: relative import (write it from admit.…)"],
    ),
    "a relative import into a slice that is not upstream": (
        {"catalog/venues.py": "from ..sales import orders\n"},
        ["catalog/venues.py:1: relative import (write it from admit.…)",
         "catalog/venues.py:1: 'catalog' may not import admit.sales.orders "
         "('sales' is not among its dependencies)"],
    ),
    "the pages import a slice they may not": (
        {"web/checkout.py": "from admit.sales.orders import Event\n"},
        ["web/checkout.py:1: 'web' may not import admit.sales.orders "
         "('sales' is not among its dependencies)"],
    ),
    "an impure import two steps away from a pure module": (
        {"catalog/spec.py": "from admit.catalog import grid\n",
         "catalog/grid.py": "from sqlalchemy import select\n"},
        ["catalog/rules.py:2: pure module imports catalog/spec.py which imports "
         "catalog/grid.py which imports sqlalchemy"],
    ),
    "a pure module imports an impure one of the package, and taints those importing it": (
        {"core/money.py": "from admit.core import db\n"},
        ["core/money.py:1: pure module imports admit.core.db",
         "catalog/rules.py:1: pure module imports core/money.py which imports admit.core.db",
         "catalog/rules.py:2: pure module imports catalog/spec.py which imports core/money.py "
         "which imports admit.core.db"],
    ),
    "a pure module's package imports an impure module": (
        {"catalog/__init__.py": "from admit.catalog.models import Base\n"},
        ["catalog/rules.py: pure module's package catalog/__init__.py imports "
         "catalog/models.py which imports admit.core.db"],
    ),
    "a pure module listed but gone": (
        {},
        ["catalog/search.py: listed as a pure module but not in the package"],
    ),
    "new top-level modules with no entry": (
        {"jobs.py": "", "reports/daily.py": "from admit.core import money\n"},
        ["jobs.py: new top-level module 'jobs.py' has no entry in admit/devtools/slices.py",
         "reports: new top-level module 'reports' has no entry in admit/devtools/slices.py"],
    ),
    "a slice uses another's tables without reading rights": (
        {"finance/ledger.py": "from admit.catalog import models\n"
                              "from admit.catalog.models import Event\n"
                              "import admit.catalog.venue_models\n",
         "catalog/venue_models.py": ""},
        ["finance/ledger.py:1: 'finance' may not use 'catalog''s tables (admit.catalog.models)",
         "finance/ledger.py:2: 'finance' may not use 'catalog''s tables (admit.catalog.models)",
         "finance/ledger.py:3: 'finance' may not use 'catalog''s tables "
         "(admit.catalog.venue_models)"],
    ),
    "reading rights lend the tables only": (
        {"tables.py": "from admit.catalog import rules\n"},
        ["tables.py:1: 'tables.py' may not import admit.catalog.rules "
         "('catalog' is not among its dependencies)"],
    ),
    "modules import each other": (
        {"sales/holds.py": "from admit.sales import orders\n",
         "sales/orders.py": "def place():\n    from admit.sales.holds import hold\n"},
        ["sales/holds.py: import cycle: sales/holds.py -> sales/orders.py -> sales/holds.py"],
    ),
    "the product imports test code": (
        {"sales/fakes.py": "from tests.fakes.sms import Recorder\nimport pytest\n"},
        ["sales/fakes.py:1: the product imports test code (tests.fakes.sms)",
         "sales/fakes.py:2: the product imports test code (pytest)"],
    ),
}  # fmt: skip


@pytest.mark.parametrize(("files", "expected"), BREACHES.values(), ids=BREACHES.keys())
def test_each_kind_of_breach_is_reported(
    tmp_path: Path, files: dict[str, str], expected: list[str]
) -> None:
    table = TABLE
    if "catalog/search.py" in expected[0]:
        table = Boundaries(TABLE.slices, (*TABLE.pure, "catalog/search.py"), TABLE.impure_imports)
    assert sorted(breaches(_package(tmp_path, files), table)) == sorted(expected)


def test_the_product_has_no_breach() -> None:
    assert breaches() == []


def test_the_table_names_only_its_own_entries() -> None:
    for entry in BOUNDARIES.slices:
        assert set(entry.imports) | set(entry.reads) <= BOUNDARIES.names - {entry.name}
    assert len(BOUNDARIES.names) == len(BOUNDARIES.slices)


def test_a_table_that_allows_a_cycle_is_refused(tmp_path: Path) -> None:
    slices = tuple(
        Slice("core", "the kernel", imports=("sales",)) if s.name == "core" else s
        for s in TABLE.slices
    )
    found = breaches(_package(tmp_path, {}), Boundaries(slices, TABLE.pure, TABLE.impure_imports))
    assert len(found) == 1
    assert found[0].startswith("slices.py: the table allows a cycle: ")
    assert {"core", "sales"} <= set(found[0].split(": ")[-1].split(" -> "))


def test_the_architecture_doc_shows_the_enforced_table() -> None:
    assert embedded(DOC.read_text()) == render(), (
        "docs/architecture.md: run python -m admit.devtools.boundaries --docs"
    )


def test_the_docs_flag_rewrites_the_generated_part_only(tmp_path: Path) -> None:
    doc = tmp_path / "architecture.md"
    doc.write_text("# Before\n\n<!-- boundaries:begin -->\nold\n<!-- boundaries:end -->\n\nAfter\n")
    assert rewrite(doc, TABLE)
    text = doc.read_text()
    assert embedded(text) == render(TABLE)
    assert text.startswith("# Before\n\n<!-- boundaries:begin -->\n| module |")
    assert text.endswith("\n<!-- boundaries:end -->\n\nAfter\n")
    assert not rewrite(doc, TABLE)
