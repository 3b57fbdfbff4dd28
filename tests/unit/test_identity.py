from datetime import date, timedelta

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from services import clock
from services.validation import InvalidValue
from services.validation.identity import (
    USCC_CHARSET,
    id_check_digit,
    id_number_birth_date,
    id_number_gender,
    make_id_number,
    normalize_id_number,
    normalize_phone,
    normalize_uscc,
    uscc_check_char,
)

regions = st.from_regex(r"[1-9][0-9]{5}", fullmatch=True)
births = st.dates(min_value=date(1900, 1, 1), max_value=date.today())
seqs = st.integers(min_value=0, max_value=999)


# -- ID numbers ----------------------------------------------------------------------------

@pytest.mark.parametrize(
    "raw, expected",
    [
        ("11010519491231002X", "11010519491231002X"),
        ("11010519491231002x", "11010519491231002X"),
        (" 110105 19491231 002x ", "11010519491231002X"),
        ("１１０１０５１９４９１２３１００２ｘ", "11010519491231002X"),  # full-width
    ],
)
def test_known_valid_ids(raw, expected):
    assert normalize_id_number(raw) == expected


@pytest.mark.parametrize(
    "raw, code",
    [
        ("11010519491231002", "id_number.format"),  # 17 chars
        ("110105491231002", "id_number.format"),  # legacy 15-digit
        ("01010519491231002X", "id_number.format"),  # region starts with 0
        ("1101051949123100X2", "id_number.format"),  # X not last
        ("11010519491231002Y", "id_number.format"),
        ("", "id_number.format"),
        ("110105194902300021", "id_number.birth_date"),  # Feb 30
        ("110105189912310021", "id_number.birth_date"),  # before 1900
        ("110105199913310021", "id_number.birth_date"),  # month 13
        ("110105194912310021", "id_number.checksum"),
    ],
)
def test_invalid_ids(raw, code):
    with pytest.raises(InvalidValue) as exc:
        normalize_id_number(raw)
    assert exc.value.code == code
    assert exc.value.field == "id_number"
    assert isinstance(exc.value, ValueError)


def test_future_birth_date_rejected():
    # The business day (services.clock, Asia/Shanghai by default), not the machine's: from 16:00 UTC the two differ.
    tomorrow = clock.today() + timedelta(days=1)
    first17 = f"110105{tomorrow:%Y%m%d}002"
    with pytest.raises(InvalidValue) as exc:
        normalize_id_number(first17 + id_check_digit(first17))
    assert exc.value.code == "id_number.birth_date"
    # with an explicit "today" the same number is fine
    assert normalize_id_number(first17 + id_check_digit(first17), today=tomorrow)


def test_birth_date_and_gender():
    assert id_number_birth_date("11010519491231002X") == date(1949, 12, 31)
    assert id_number_gender("11010519491231002X") == "female"  # 17th digit 2
    male = make_id_number("310101", date(1990, 3, 7), 123)
    assert id_number_gender(male) == "male"


def test_make_id_number_rejects_bad_inputs():
    for region in ("012345", "12345", "1234567", "12a456"):
        with pytest.raises(InvalidValue):
            make_id_number(region, date(1990, 1, 1), 1)
    with pytest.raises(InvalidValue):
        make_id_number("110105", date(1990, 1, 1), 1000)
    with pytest.raises(InvalidValue):
        make_id_number("110105", date(1899, 12, 31), 1)


@given(regions, births, seqs)
def test_make_id_number_always_valid(region, birth, seq):
    n = make_id_number(region, birth, seq)
    assert len(n) == 18
    assert normalize_id_number(n) == n
    assert normalize_id_number(n.lower()) == n
    assert id_number_birth_date(n) == birth
    assert id_number_gender(n) == ("male" if seq % 2 else "female")


@settings(max_examples=300)
@given(regions, births, seqs, st.integers(0, 17), st.integers(1, 10))
def test_single_character_change_is_detected(region, birth, seq, pos, delta):
    n = make_id_number(region, birth, seq)
    alphabet = "0123456789X" if pos == 17 else "0123456789"
    i = alphabet.index(n[pos])
    changed = alphabet[(i + delta) % len(alphabet)]
    if changed == n[pos]:  # delta == len(alphabet) for the digit positions
        return
    bad = n[:pos] + changed + n[pos + 1:]
    with pytest.raises(InvalidValue):
        normalize_id_number(bad)


@given(st.text(max_size=25))
def test_id_normalizer_only_raises_invalid_value(s):
    try:
        out = normalize_id_number(s)
    except InvalidValue as e:
        assert e.code.startswith("id_number.")
    else:
        assert normalize_id_number(out) == out


# -- Phones ------------------------------------------------------------------------------

@pytest.mark.parametrize(
    "raw",
    ["+86 138 0013 8000", "86-13800138000", "13800138000", "0086 13800138000",
     "138-0013-8000", "+86 (138) 0013.8000", "１３８００１３８０００"],
)
def test_phone_formats(raw):
    assert normalize_phone(raw) == "13800138000"


@pytest.mark.parametrize(
    "raw",
    ["", "12800138000", "1380013800", "138001380000", "010-12345678", "+1 415 555 0100",
     "86 12800138000", "abc", "1380013800O"],
)
def test_phone_invalid(raw):
    with pytest.raises(InvalidValue) as exc:
        normalize_phone(raw)
    assert exc.value.code == "phone.format"
    assert exc.value.field == "phone"


phones = st.from_regex(r"1[3-9][0-9]{9}", fullmatch=True)


@given(phones, st.sampled_from(["", "+86", "86", "0086", "+86 ", "86-"]), st.booleans())
def test_phone_normalization_idempotent(phone, prefix, spaced):
    raw = prefix + (f"{phone[:3]} {phone[3:7]} {phone[7:]}" if spaced else phone)
    once = normalize_phone(raw)
    assert once == phone
    assert normalize_phone(once) == once


@given(st.text(max_size=20))
def test_phone_normalizer_idempotent_on_any_text(s):
    try:
        once = normalize_phone(s)
    except InvalidValue:
        return
    assert normalize_phone(once) == once


# -- USCC ----------------------------------------------------------------------------------

@pytest.mark.parametrize(
    "code",
    ["91350100M000100Y43", "91110000600037341L", "91440300708461136T", "91110108551385082Q"],
)
def test_known_uscc(code):
    assert normalize_uscc(code) == code
    assert normalize_uscc(code.lower()) == code
    assert uscc_check_char(code[:17]) == code[17]


@pytest.mark.parametrize(
    "raw, code",
    [
        ("91350100M000100Y4", "uscc.format"),  # 17 chars
        ("91350100M000100Y43X", "uscc.format"),
        ("91350100M000I00Y43", "uscc.format"),  # I is not in the charset
        ("9135010OM000100Y43", "uscc.format"),  # region code must be digits
        ("91350100M000100Y44", "uscc.checksum"),
    ],
)
def test_invalid_uscc(raw, code):
    with pytest.raises(InvalidValue) as exc:
        normalize_uscc(raw)
    assert exc.value.code == code
    assert exc.value.field == "uscc"


usccs_first17 = st.tuples(
    st.text(USCC_CHARSET, min_size=2, max_size=2),
    st.from_regex(r"[0-9]{6}", fullmatch=True),
    st.text(USCC_CHARSET, min_size=9, max_size=9),
).map("".join)


@given(usccs_first17)
def test_uscc_round_trip(first17):
    code = first17 + uscc_check_char(first17)
    assert normalize_uscc(code) == code
    assert normalize_uscc(" " + code.lower() + " ") == code


@given(usccs_first17, st.integers(0, 17), st.integers(1, 30))
def test_uscc_single_change_detected(first17, pos, delta):
    code = first17 + uscc_check_char(first17)
    alphabet = "0123456789" if 2 <= pos <= 7 else USCC_CHARSET
    i = alphabet.index(code[pos])
    changed = alphabet[(i + delta) % len(alphabet)]
    if changed == code[pos]:
        return
    with pytest.raises(InvalidValue) as exc:
        normalize_uscc(code[:pos] + changed + code[pos + 1:])
    assert exc.value.code == "uscc.checksum"
