"""Delivery addresses' pure rules: what an address may hold, how it is normalised, how a
refusal names the field, how staff see the street masked; mainland mobile numbers."""

from __future__ import annotations

import dataclasses

import pytest

from admit.accounts.address_rules import (
    AddressFields,
    InvalidAddress,
    check_address,
    mask_street,
)
from admit.accounts.mobile_numbers import normalise_mobile

GIVEN = AddressFields(
    province=" 浙江省 ",
    city="杭州市",
    district="西湖区",
    street="文三路  90号\t7幢",
    recipient="Mary  Smith",
    phone="+86 135-1234-5678",
    postal_code=" 310012 ",
    label="  ",
)


def test_an_address_is_normalised() -> None:
    assert check_address(GIVEN) == AddressFields(
        province="浙江省",
        city="杭州市",
        district="西湖区",
        street="文三路 90号 7幢",
        recipient="Mary Smith",
        phone="13512345678",
        postal_code="310012",
        label=None,
    )


@pytest.mark.parametrize(
    ("field", "value", "said"),
    [
        ("province", "\u3000 ", "province: must not be blank"),
        ("city", "市" * 41, "city: at most 40 characters"),
        ("district", "西湖\u202e区", "district: no control or invisible format characters"),
        ("street", "", "street address: must not be blank"),
        ("recipient", "=cmd", "recipient's name: a name has letters"),
        ("phone", "1351234567８", "recipient's mobile number: a mainland mobile number"),
        ("phone", "10012345678", "recipient's mobile number: a mainland mobile number"),
        ("postal_code", "31001", "postal code: a postal code is 6 digits"),
        ("label", "l" * 31, "label: at most 30 characters"),
    ],
)
def test_a_wrong_field_is_named(field: str, value: str, said: str) -> None:
    with pytest.raises(InvalidAddress) as refused:
        check_address(dataclasses.replace(GIVEN, **{field: value}))
    assert refused.value.message.startswith(said), refused.value.message
    assert refused.value.details == {"field": field}


def test_the_street_is_masked_to_a_fixed_length() -> None:
    assert mask_street("中关村大街27号") == "中关****"
    assert mask_street("1 Long Road, Flat 2") == "1 ****"
    assert mask_street("2号") == "****"


@pytest.mark.parametrize(
    ("written", "number"),
    [
        ("13512345678", "13512345678"),
        ("+8613512345678", "13512345678"),
        ("86 135 1234 5678", "13512345678"),
        ("135-1234-5678", "13512345678"),
        ("12512345678", None),
        ("1351234567", None),
        ("١٣٥١٢٣٤٥٦٧٨", None),
    ],
)
def test_mobile_numbers(written: str, number: str | None) -> None:
    assert normalise_mobile(written) == number
