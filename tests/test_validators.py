"""Tests for app.validators (no Flask app or database needed)."""

from __future__ import annotations

from datetime import date, timedelta

import pytest
from wtforms import Form, StringField
from wtforms.validators import ValidationError

from app.validators import (
    MobileValidator,
    ResidentIdValidator,
    USCCValidator,
    age_on,
    birth_date_from_resident_id,
    gender_from_resident_id,
    is_valid_mobile,
    is_valid_resident_id,
    is_valid_uscc,
    mask_mobile,
    mask_resident_id,
    mobile_error,
    normalize_mobile,
    normalize_resident_id,
    normalize_uscc,
    resident_id_error,
    uscc_error,
)

# --- independent reference implementations (used to build/verify samples) -------------

_ID_WEIGHTS = (7, 9, 10, 5, 8, 4, 2, 1, 6, 3, 7, 9, 10, 5, 8, 4, 2)
_USCC_ALPHABET = "0123456789ABCDEFGHJKLMNPQRTUWXY"
_USCC_WEIGHTS = (1, 3, 9, 27, 19, 26, 16, 17, 20, 29, 25, 13, 8, 24, 10, 30, 28)


def make_id(first17: str) -> str:
    """Append the ISO 7064 MOD 11-2 check character."""
    total = sum(int(c) * w for c, w in zip(first17, _ID_WEIGHTS, strict=True))
    return first17 + "10X98765432"[total % 11]


def make_uscc(first17: str) -> str:
    total = sum(_USCC_ALPHABET.index(c) * w for c, w in zip(first17, _USCC_WEIGHTS, strict=True))
    return first17 + _USCC_ALPHABET[(31 - total % 31) % 31]


def fullwidth(text: str) -> str:
    """Full-width form (U+FF01..U+FF5E, U+3000 for space) of printable ASCII text."""
    return "".join("\u3000" if c == " " else chr(ord(c) + 0xFEE0) for c in text)


def wrong_last(code: str, alphabet: str) -> str:
    """Same code with a different (hence wrong) check character."""
    return code[:-1] + next(c for c in alphabet if c != code[-1])


# Published sample (GB 11643-1999 appendix): female, born 1949-12-31.
ID_PUBLISHED = "11010519491231002X"
# Computed samples.
ID_MALE_1990 = make_id("44078119900101123")  # 17th digit 3 -> male
ID_FEMALE_2000 = make_id("11010120000229002")  # leap-day birthday, 17th digit 2 -> female
ID_1900 = make_id("11010519000101001")

USCC_PUBLISHED = "91350100M000100Y43"
USCC_COMPUTED = make_uscc("9111000060003734" + "1")


def test_reference_samples_are_what_we_think():
    assert ID_PUBLISHED == make_id(ID_PUBLISHED[:17])
    assert ID_MALE_1990 == "440781199001011238"
    assert USCC_PUBLISHED == make_uscc(USCC_PUBLISHED[:17])
    assert USCC_COMPUTED == "91110000600037341L"


# --- resident ID ------------------------------------------------------------------------


@pytest.mark.parametrize(
    "raw",
    [ID_PUBLISHED, ID_MALE_1990, ID_FEMALE_2000, ID_1900, "110101199003074477"],
)
def test_valid_resident_ids(raw):
    assert resident_id_error(raw) is None
    assert is_valid_resident_id(raw)


@pytest.mark.parametrize(
    "raw, expected",
    [
        ("  11010519491231002x ", ID_PUBLISHED),
        ("110105 19491231 002x", ID_PUBLISHED),
        (fullwidth("11010519491231002x"), ID_PUBLISHED),  # full-width IME input
        (None, ""),
    ],
)
def test_normalize_resident_id(raw, expected):
    assert normalize_resident_id(raw) == expected


def test_lowercase_x_is_valid():
    assert is_valid_resident_id("11010519491231002x")


@pytest.mark.parametrize(
    "raw, fragment",
    [
        ("", "18 characters"),
        ("11010519491231002", "18 characters"),  # 17
        ("11010519491231002XX", "18 characters"),  # 19
        ("110105491231002", "18 characters"),  # legacy 15-digit
        ("1101051949123100XX", "only digits"),  # X not last
        ("11010519491231002A", "only digits"),
        ("A1010519491231002X", "only digits"),
        ("110105-1949123100X", "only digits"),
        (make_id("11010520230230001"), "not a valid date"),  # Feb 30
        (make_id("11010519901301001"), "not a valid date"),  # month 13
        (make_id("11010519900100001"), "not a valid date"),  # day 0
        (make_id("11010519010229001"), "not a valid date"),  # 1901 not leap
        (make_id("44052418800101001"), "1900 or later"),
        (make_id("11010520990101001"), "future"),
        (wrong_last(ID_PUBLISHED, "0123456789X"), "check digit"),
        (wrong_last(ID_MALE_1990, "0123456789X"), "check digit"),
        ("110105194912310020", "check digit"),
    ],
)
def test_invalid_resident_ids(raw, fragment):
    error = resident_id_error(raw)
    assert error is not None
    assert fragment in str(error)  # no app context -> renders the English msgid
    assert not is_valid_resident_id(raw)


def test_feb_29_in_leap_year_is_valid():
    assert is_valid_resident_id(make_id("11010519960229001"))


def test_birth_date_tomorrow_is_future_today_is_fine():
    today = date(2024, 6, 15)
    born_today = make_id("110105" + today.strftime("%Y%m%d") + "001")
    born_tomorrow = make_id("110105" + (today + timedelta(days=1)).strftime("%Y%m%d") + "001")
    assert resident_id_error(born_today, today=today) is None
    assert "future" in str(resident_id_error(born_tomorrow, today=today))


def test_birth_date_tomorrow_relative_to_real_today():
    tomorrow = date.today() + timedelta(days=1)
    assert not is_valid_resident_id(make_id("110105" + tomorrow.strftime("%Y%m%d") + "001"))


def test_birth_date_from_resident_id():
    assert birth_date_from_resident_id(ID_PUBLISHED) == date(1949, 12, 31)
    assert birth_date_from_resident_id(" 11010519491231002x ") == date(1949, 12, 31)
    assert birth_date_from_resident_id(ID_FEMALE_2000) == date(2000, 2, 29)


@pytest.mark.parametrize("fn", [birth_date_from_resident_id, gender_from_resident_id])
@pytest.mark.parametrize("raw", ["", "123", wrong_last(ID_PUBLISHED, "0123456789X")])
def test_derived_values_reject_invalid_ids(fn, raw):
    with pytest.raises(ValueError):
        fn(raw)


@pytest.mark.parametrize(
    "on, expected",
    [
        (date(1949, 12, 31), 0),
        (date(1950, 12, 30), 0),  # day before 1st birthday
        (date(1950, 12, 31), 1),  # 1st birthday
        (date(2019, 12, 30), 69),  # day before birthday
        (date(2019, 12, 31), 70),  # birthday
        (date(2020, 1, 1), 70),
    ],
)
def test_age_on(on, expected):
    assert age_on(ID_PUBLISHED, on) == expected


@pytest.mark.parametrize(
    "on, expected",
    [
        (date(2018, 2, 28), 17),  # non-leap year: not yet 18 on Feb 28
        (date(2018, 3, 1), 18),
        (date(2020, 2, 28), 19),
        (date(2020, 2, 29), 20),
    ],
)
def test_age_on_leap_day_birthday(on, expected):
    assert age_on(ID_FEMALE_2000, on) == expected


def test_age_on_before_birth_raises():
    with pytest.raises(ValueError):
        age_on(ID_PUBLISHED, date(1949, 12, 30))


@pytest.mark.parametrize(
    "raw, expected",
    [
        (ID_PUBLISHED, "F"),  # 17th digit 2
        (ID_MALE_1990, "M"),  # 17th digit 3
        (ID_FEMALE_2000, "F"),
        ("110101199003074477", "M"),  # 17th digit 7
    ],
)
def test_gender(raw, expected):
    assert gender_from_resident_id(raw) == expected


@pytest.mark.parametrize(
    "raw, expected",
    [
        ("440781199001011234", "440781********1234"),  # masking does not validate
        (ID_PUBLISHED, "110105********002X"),
        (" 11010519491231002x ", "110105********002X"),
        ("110105491231002", "110105*****1002"),  # legacy 15-digit
        ("1234567890", "**********"),
        ("", ""),
        (None, ""),
    ],
)
def test_mask_resident_id(raw, expected):
    assert mask_resident_id(raw) == expected


# --- unified social credit code ---------------------------------------------------------


@pytest.mark.parametrize(
    "raw",
    [
        USCC_PUBLISHED,
        USCC_COMPUTED,
        "91440300708461136T",
        " 91350100m000100y43 ",
        "9135 0100 M000 100Y 43",
        make_uscc("Y2110000ABCDEFGHJ"),
    ],
)
def test_valid_uscc(raw):
    assert uscc_error(raw) is None
    assert is_valid_uscc(raw)


def test_normalize_uscc():
    assert normalize_uscc(" 9135 0100m000100y43\t") == USCC_PUBLISHED
    assert normalize_uscc(None) == ""


@pytest.mark.parametrize(
    "raw, fragment",
    [
        ("", "18 characters"),
        ("91350100M000100Y4", "18 characters"),
        ("91350100M000100Y433", "18 characters"),
        ("91350100I000100Y43", "other than I, O, S, V and Z"),
        ("91350100O000100Y43", "other than I, O, S, V and Z"),
        ("91350100Z000100Y43", "other than I, O, S, V and Z"),
        ("91350100S000100Y43", "other than I, O, S, V and Z"),
        ("91350100V000100Y43", "other than I, O, S, V and Z"),
        ("91350100M000100Y4O", "other than I, O, S, V and Z"),
        ("91350100-000100Y43", "other than I, O, S, V and Z"),
        (wrong_last(USCC_PUBLISHED, _USCC_ALPHABET), "check character"),
        (wrong_last(USCC_COMPUTED, _USCC_ALPHABET), "check character"),
        ("91350100M000100Y44", "check character"),
        ("91350100M000101Y43", "check character"),  # single-digit typo
        ("91530100M000100Y43", "check character"),  # transposition
    ],
)
def test_invalid_uscc(raw, fragment):
    error = uscc_error(raw)
    assert error is not None
    assert fragment in str(error)
    assert not is_valid_uscc(raw)


# --- mobile -----------------------------------------------------------------------------


@pytest.mark.parametrize(
    "raw, expected",
    [
        ("13812341234", "13812341234"),
        (" 138 1234 1234 ", "13812341234"),
        ("138-1234-1234", "13812341234"),
        ("+86 138 1234 1234", "13812341234"),
        ("+86-138-1234-1234", "13812341234"),
        ("+8613812341234", "13812341234"),
        ("8613812341234", "13812341234"),
        ("86 13812341234", "13812341234"),
        ("008613812341234", "13812341234"),
        (fullwidth("138 1234 1234"), "13812341234"),
        ("861234567", "861234567"),  # bare 86 only stripped when 11 digits remain
        (None, ""),
    ],
)
def test_normalize_mobile(raw, expected):
    assert normalize_mobile(raw) == expected


@pytest.mark.parametrize(
    "raw",
    ["13812341234", "19912345678", "15000000000", "+86 138 1234 1234", "86-186-0000-1111"],
)
def test_valid_mobile(raw):
    assert mobile_error(raw) is None
    assert is_valid_mobile(raw)


@pytest.mark.parametrize(
    "raw, fragment",
    [
        ("", "only digits"),
        ("1381234123a", "only digits"),
        ("138.1234.1234", "only digits"),
        ("+1 415 555 0100", "only digits"),
        ("1381234123", "11 digits"),
        ("138123412345", "11 digits"),
        ("12812341234", "not a valid"),
        ("10012345678", "not a valid"),
        ("23812341234", "not a valid"),
        ("02012345678", "not a valid"),
    ],
)
def test_invalid_mobile(raw, fragment):
    error = mobile_error(raw)
    assert error is not None
    assert fragment in str(error)
    assert not is_valid_mobile(raw)


@pytest.mark.parametrize(
    "raw, expected",
    [
        ("13812341234", "138****1234"),
        ("+86 138-1234-1234", "138****1234"),
        ("1234567", "*******"),
        ("", ""),
        (None, ""),
    ],
)
def test_mask_mobile(raw, expected):
    assert mask_mobile(raw) == expected


# --- WTForms validators -----------------------------------------------------------------


class _Form(Form):
    resident_id = StringField(validators=[ResidentIdValidator()])
    uscc = StringField(validators=[USCCValidator()])
    mobile = StringField(validators=[MobileValidator()])


def _form(**data):
    return _Form(data={"resident_id": "", "uscc": "", "mobile": "", **data})


def test_form_empty_fields_are_skipped():
    form = _form()
    assert form.validate(), form.errors


def test_form_normalizes_valid_data_in_place():
    form = _form(
        resident_id=" 110105 19491231 002x ",
        uscc="91350100m000100y43 ",
        mobile="+86 138-1234-1234",
    )
    assert form.validate(), form.errors
    assert form.resident_id.data == ID_PUBLISHED
    assert form.uscc.data == USCC_PUBLISHED
    assert form.mobile.data == "13812341234"


def test_form_reports_errors_and_keeps_raw_data():
    form = _form(resident_id="11010519491231002 ", uscc="91350100I000100Y43", mobile="12345")
    assert not form.validate()
    assert set(form.errors) == {"resident_id", "uscc", "mobile"}
    assert "18 characters" in str(form.errors["resident_id"][0])
    assert form.resident_id.data == "11010519491231002 "  # unchanged when invalid


class _Field:
    def __init__(self, data):
        self.data = data


@pytest.mark.parametrize("validator", [ResidentIdValidator(), USCCValidator(), MobileValidator()])
@pytest.mark.parametrize("data", [None, "", "   "])
def test_validator_call_skips_empty(validator, data):
    field = _Field(data)
    validator(None, field)
    assert field.data == data


@pytest.mark.parametrize(
    "validator, bad",
    [
        (ResidentIdValidator(), wrong_last(ID_PUBLISHED, "0123456789X")),
        (USCCValidator(), wrong_last(USCC_PUBLISHED, _USCC_ALPHABET)),
        (MobileValidator(), "12812341234"),
    ],
)
def test_validator_call_raises_validation_error(validator, bad):
    with pytest.raises(ValidationError):
        validator(None, _Field(bad))


def test_validator_custom_message():
    with pytest.raises(ValidationError, match="custom"):
        MobileValidator(message="custom")(None, _Field("123"))


def test_messages_render_inside_babel_app_context():
    flask = pytest.importorskip("flask")
    flask_babel = pytest.importorskip("flask_babel")
    app = flask.Flask(__name__)
    flask_babel.Babel(app)
    with app.test_request_context():
        assert str(resident_id_error("123")) == "The ID number must be 18 characters."
        assert str(mobile_error("12812341234")).startswith("The mobile number")
