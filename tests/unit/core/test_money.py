import pytest

from admit.core.money import Money


def test_arithmetic_stays_in_minor_units() -> None:
    assert Money(1999) + Money(1) == Money(2000)
    assert Money(5000) - Money(12000) == Money(-7000)
    assert Money(4550) * 3 == Money(13650)
    assert Money(13650).format() == "136.50 CNY"
    assert Money(-7000, "EUR").format() == "-70.00 EUR"


@pytest.mark.parametrize("bad", [10.5, "10", True])
def test_only_integers_are_money(bad: object) -> None:
    with pytest.raises(TypeError):
        Money(bad)  # type: ignore[arg-type]


def test_currencies_do_not_mix() -> None:
    with pytest.raises(ValueError, match="cannot mix"):
        Money(100, "CNY") + Money(100, "USD")
    with pytest.raises(ValueError, match="ISO 4217"):
        Money(100, "yuan")
