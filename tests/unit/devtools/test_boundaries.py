"""The import-boundary checker sees each kind of breach it names, and the product has none."""

from __future__ import annotations

from pathlib import Path

from admit.devtools.boundaries import breaches


def _package(tmp_path: Path, files: dict[str, str]) -> Path:
    root = tmp_path / "admit"
    for rel, text in files.items():
        path = root / rel
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_text(text)
    return root


def test_the_product_has_no_breach() -> None:
    assert breaches() == []


def test_a_product_module_importing_test_code_is_a_breach(tmp_path: Path) -> None:
    root = _package(
        tmp_path,
        {
            "messaging/sms.py": "from tests.fakes.sms import RecordingSmsGateway\n",
            "core/clock.py": "import pytest\n",
            "core/money.py": "import decimal\n",
        },
    )
    found = breaches(root)
    assert found == [
        "core/clock.py:1: the product imports test code (pytest)",
        "messaging/sms.py:1: the product imports test code (tests.fakes.sms)",
    ]


def test_a_slice_importing_downstream_and_a_pure_module_doing_io_are_breaches(
    tmp_path: Path,
) -> None:
    root = _package(
        tmp_path,
        {
            "catalog/venues.py": "from admit.sales import orders\n",
            "core/money.py": "import sqlalchemy\n",
        },
    )
    found = breaches(root)
    assert any(f.startswith("catalog/venues.py:1: slice 'catalog'") for f in found)
    assert "core/money.py:1: pure module imports sqlalchemy" in found
