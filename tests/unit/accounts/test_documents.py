from datetime import date

import pytest
from hypothesis import given
from hypothesis import strategies as st

from admit.accounts.documents import (
    Document,
    DocumentType,
    InvalidDocument,
    add_months,
    check_document,
    cn_id_check_char,
    mask_document,
    mask_name,
    mask_phone,
)

TODAY = date(2026, 11, 22)


def _cn_id(first17: str) -> str:
    return first17 + cn_id_check_char(first17)


def _check(
    doc_type: str, number: str, nationality: str, visa_expires: date | None = None
) -> Document:
    return check_document(
        doc_type=DocumentType(doc_type),
        number=number,
        nationality=nationality,
        today=TODAY,
        visa_expires=visa_expires,
    )


# -- resident ID card (GB 11643-1999) ------------------------------------------------------------


def test_check_char_of_the_standard_example_is_x() -> None:
    assert cn_id_check_char("11010519491231002") == "X"
    assert cn_id_check_char("44010619900307123") == "1"


@pytest.mark.parametrize("first17", ["11010519491231002", "44010619900307123", "82000020261122000"])
def test_a_valid_id_number_is_accepted_with_its_birth_date(first17: str) -> None:
    number = _cn_id(first17)

    doc = _check("cn_id", number, "CN")

    assert doc == Document(
        type=DocumentType.CN_ID,
        number=number,
        nationality="CN",
        birth_date=date(int(first17[6:10]), int(first17[10:12]), int(first17[12:14])),
        visa_expires=None,
    )
    assert doc.verifiable_online is True


def test_lower_case_x_and_spaces_are_normalised() -> None:
    doc = _check("cn_id", " 110105 19491231 002x ", "cn")

    assert (doc.number, doc.nationality) == ("11010519491231002X", "CN")


def test_a_wrong_check_character_is_refused() -> None:
    with pytest.raises(InvalidDocument, match="check character") as raised:
        _check("cn_id", "110105194912310021", "CN")
    assert raised.value.code == "invalid_document"
    assert raised.value.status == 400


@pytest.mark.parametrize(
    ("birth", "problem"),
    [
        ("19990230", "not a date of birth"),
        ("19991301", "not a date of birth"),
        ("20991231", "not a plausible date of birth"),
        ("20261123", "not a plausible date of birth"),
        ("18991231", "not a plausible date of birth"),
    ],
)
def test_impossible_birth_dates_are_refused(birth: str, problem: str) -> None:
    with pytest.raises(InvalidDocument, match=problem):
        _check("cn_id", _cn_id(f"110105{birth}002"), "CN")


@pytest.mark.parametrize(
    ("number", "problem"),
    [
        ("11010519491231002", "18 characters, got 17"),
        ("11010519491231002X1", "18 characters, got 19"),
        ("1101051949123100AX", "17 digits then a digit or X"),
        ("X10105194912310021", "17 digits then a digit or X"),
        ("11010519491231002Y", "17 digits then a digit or X"),
        (_cn_id("01010519491231002"), "010105 is not an area code"),
        (_cn_id("91010519491231002"), "910105 is not an area code"),
    ],
)
def test_malformed_id_numbers_are_refused(number: str, problem: str) -> None:
    with pytest.raises(InvalidDocument, match=problem):
        _check("cn_id", number, "CN")


def test_the_id_card_is_only_for_chinese_citizens() -> None:
    with pytest.raises(InvalidDocument, match="for nationality CN"):
        _check("cn_id", "11010519491231002X", "HK")


@pytest.mark.parametrize(
    "doc_type",
    ["hk_macau_permit", "taiwan_permit", "hk_passport", "macau_passport", "foreign_passport"],
)
def test_chinese_citizens_may_only_use_the_id_card(doc_type: str) -> None:
    with pytest.raises(InvalidDocument, match="Chinese citizens must use the resident identity"):
        _check(doc_type, "E12345678", "CN", visa_expires=date(2030, 1, 1))


def test_cn_id_check_char_wants_17_digits() -> None:
    with pytest.raises(ValueError, match="17 digits"):
        cn_id_check_char("1101051949123100")


# -- permits and passports -----------------------------------------------------------------------


@pytest.mark.parametrize(
    ("doc_type", "number", "nationality"),
    [
        ("hk_macau_permit", "H12345678", "HK"),
        ("hk_macau_permit", "H1234567801", "HK"),
        ("hk_macau_permit", "m12345678", "MO"),
        ("taiwan_permit", "12345678", "TW"),
        ("taiwan_permit", "0123456789", "TW"),
        ("hk_passport", "K12345678", "HK"),
        ("macau_passport", "MA0123456", "MO"),
    ],
)
def test_permits_and_sar_passports_by_nationality(
    doc_type: str, number: str, nationality: str
) -> None:
    doc = _check(doc_type, number, nationality)

    assert doc == Document(DocumentType(doc_type), number.upper(), nationality, None, None)
    assert doc.verifiable_online is False


@pytest.mark.parametrize(
    ("doc_type", "number", "nationality", "problem"),
    [
        ("hk_macau_permit", "H12345678", "TW", "for nationality HK/MO"),
        ("hk_macau_permit", "M12345678", "HK", "issued to MO residents"),
        ("hk_macau_permit", "H1234567", "HK", "'H' or 'M' followed by 8"),
        ("hk_macau_permit", "C12345678", "HK", "'H' or 'M' followed by 8"),
        ("taiwan_permit", "12345678", "HK", "for nationality TW"),
        ("taiwan_permit", "1234567", "TW", "8 digits"),
        ("hk_passport", "K12345678", "MO", "for nationality HK"),
        ("macau_passport", "MA0123456", "HK", "for nationality MO"),
        ("hk_passport", "K1", "HK", "5 to 20 letters or digits"),
        ("foreign_passport", "E12345678", "TW", "residents of TW must use their own"),
        ("foreign_passport", "E12345678", "USA", "ISO 3166 two-letter code"),
    ],
)
def test_wrong_nationality_or_number_is_refused(
    doc_type: str, number: str, nationality: str, problem: str
) -> None:
    with pytest.raises(InvalidDocument, match=problem):
        _check(doc_type, number, nationality, visa_expires=date(2030, 1, 1))


def test_an_unknown_document_type_is_refused() -> None:
    with pytest.raises(InvalidDocument, match="'driving_licence' is not a document type"):
        check_document(
            doc_type="driving_licence",  # type: ignore[arg-type]
            number="X1234567",
            nationality="DE",
            today=TODAY,
        )


# -- foreign passports and the 6-month visa ------------------------------------------------------


def test_a_foreign_passport_with_a_visa_valid_exactly_six_months_is_accepted() -> None:
    doc = _check("foreign_passport", "c01x 00t47", "de", visa_expires=date(2027, 5, 22))

    assert doc == Document(
        DocumentType.FOREIGN_PASSPORT, "C01X00T47", "DE", None, visa_expires=date(2027, 5, 22)
    )


@pytest.mark.parametrize("expires", [date(2027, 5, 21), date(2027, 4, 22), TODAY])
def test_a_visa_valid_less_than_six_months_is_refused(expires: date) -> None:
    with pytest.raises(InvalidDocument, match="valid for 6 months, until 2027-05-22"):
        _check("foreign_passport", "C01X00T47", "DE", visa_expires=expires)


def test_a_foreign_passport_without_a_visa_is_refused() -> None:
    with pytest.raises(InvalidDocument, match="expiry date of its Chinese visa"):
        _check("foreign_passport", "C01X00T47", "DE")


def test_a_visa_date_is_dropped_for_other_documents() -> None:
    assert _check("hk_passport", "K12345678", "HK", visa_expires=TODAY).visa_expires is None


@pytest.mark.parametrize(
    ("day", "expected"),
    [
        (date(2026, 11, 22), date(2027, 5, 22)),
        (date(2026, 8, 31), date(2027, 2, 28)),
        (date(2027, 8, 31), date(2028, 2, 29)),
        (date(2026, 12, 31), date(2027, 6, 30)),
        (date(2026, 6, 30), date(2026, 12, 30)),
    ],
)
def test_six_calendar_months_later(day: date, expected: date) -> None:
    assert add_months(day, 6) == expected


# -- masking -------------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("number", "masked"),
    [
        ("11010519491231002X", "110***********002X"),
        ("H12345678", "H12**5678"),
        ("K1234567", "K12*4567"),
        ("1234567", "1*****7"),
        ("ABC", "A*C"),
        ("AB", "**"),
        ("", ""),
    ],
)
def test_mask_document(number: str, masked: str) -> None:
    assert mask_document(number) == masked


@pytest.mark.parametrize(
    ("name", "masked"),
    [("张三", "张*"), ("欧阳娜娜", "欧***"), ("李", "*"), ("Ann Lee", "A******")],
)
def test_mask_name(name: str, masked: str) -> None:
    assert mask_name(name) == masked


@pytest.mark.parametrize(
    ("phone", "masked"),
    [("13812345678", "138****5678"), ("138 1234 5678", "138****5678"), ("12345", "1***5")],
)
def test_mask_phone(phone: str, masked: str) -> None:
    assert mask_phone(phone) == masked


# -- property: the check character catches every single-digit change ------------------------------

_prefixes = st.builds(
    lambda first, area, born, seq: f"{first}{area}{born:%Y%m%d}{seq:03d}",
    st.integers(1, 8),
    st.integers(0, 99999).map(lambda n: f"{n:05d}"),
    st.dates(min_value=date(1900, 1, 1), max_value=TODAY),
    st.integers(0, 999),
)


@given(first17=_prefixes, position=st.integers(0, 16), shift=st.integers(1, 9))
def test_check_char_makes_the_number_valid_and_catches_any_changed_digit(
    first17: str, position: int, shift: int
) -> None:
    number = _cn_id(first17)
    assert _check("cn_id", number, "CN").number == number

    digit = str((int(first17[position]) + shift) % 10)
    changed = first17[:position] + digit + first17[position + 1 :]

    assert cn_id_check_char(changed) != number[17]
    with pytest.raises(InvalidDocument):
        _check("cn_id", changed + number[17], "CN")
