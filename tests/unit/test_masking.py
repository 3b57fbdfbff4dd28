import pytest
from hypothesis import given
from hypothesis import strategies as st

from services.security.masking import (
    mask_bank_account,
    mask_email,
    mask_generic,
    mask_id_number,
    mask_phone,
)


def test_examples():
    assert mask_id_number("110101199003071234") == "110101********1234"
    assert mask_id_number("11010519491231002X") == "110105********002X"
    assert mask_phone("13856785678") == "138****5678"
    assert mask_phone("+86 138 5678 5678") == "138****5678"
    assert mask_email("zhangsan@example.com") == "zh******@example.com"
    assert mask_bank_account("6222021234567890123") == "6222 **** **** 0123"
    assert mask_bank_account("6222 0212 3456 7890 123") == "6222 **** **** 0123"


@pytest.mark.parametrize("fn", [mask_id_number, mask_phone, mask_email, mask_bank_account])
def test_empty_passthrough(fn):
    assert fn(None) is None
    assert fn("") == ""


@pytest.mark.parametrize(
    "value, expected",
    [
        ("110105491231002", "110**********02"),  # legacy 15-digit
        ("E12345678", "E1*****78"),  # passport: at most half shown
        ("1234", "1**4"),
        ("12", "**"),
        ("1", "*"),
    ],
)
def test_id_other_lengths(value, expected):
    assert mask_id_number(value) == expected


def test_phone_other_formats():
    assert mask_phone("010-12345678") == "01*-*****678"
    assert mask_phone("12345") == "1***5"
    assert mask_phone("n/a") == "**a"


@pytest.mark.parametrize(
    "value, expected",
    [
        ("a@x.cn", "*@x.cn"),
        ("ab@x.cn", "**@x.cn"),
        ("abc@x.cn", "a**@x.cn"),
        ("abcd@x.cn", "ab**@x.cn"),
        ("no-at-sign", "no********"),
        ("@x.cn", "@x***"),
    ],
)
def test_email_short_and_odd(value, expected):
    assert mask_email(value) == expected


def test_bank_account_short():
    assert mask_bank_account("12345678") == "**** 5678"
    assert mask_bank_account("1234567") == "****"


ids = st.text("0123456789X", min_size=18, max_size=18)


@given(ids)
def test_id_middle_never_shown(value):
    masked = mask_id_number(value)
    assert len(masked) == 18
    assert masked[6:14] == "*" * 8
    assert masked[:6] == value[:6] and masked[14:] == value[14:]


@given(st.text(min_size=1, max_size=40).filter(lambda s: len(s.strip()) not in (0, 18)))
def test_id_other_lengths_show_at_most_half(value):
    masked = mask_id_number(value)
    shown = sum(c != "*" for c in masked)
    assert shown <= 10
    assert shown <= len(masked) // 2 + 1


@given(st.from_regex(r"1[3-9][0-9]{9}", fullmatch=True))
def test_phone_middle_never_shown(phone):
    masked = mask_phone(phone)
    assert masked == phone[:3] + "****" + phone[7:]
    assert phone[3:7] not in masked.replace(phone[:3], "", 1).replace(phone[7:], "", 1)


@given(st.from_regex(r"[0-9]{12,19}", fullmatch=True))
def test_bank_account_middle_never_shown(account):
    masked = mask_bank_account(account)
    assert masked == f"{account[:4]} **** **** {account[-4:]}"
    visible = masked.replace(" ", "").replace("*", "")
    assert visible == account[:4] + account[-4:]


@given(st.from_regex(r"[a-z0-9._]{1,30}", fullmatch=True), st.sampled_from(["example.com", "qq.com"]))
def test_email_local_part_mostly_hidden(local, domain):
    masked = mask_email(f"{local}@{domain}")
    m_local, _, m_domain = masked.rpartition("@")
    assert m_domain == domain
    assert len(m_local) == len(local)
    shown = sum(c != "*" for c in m_local)
    assert shown <= min(2, len(local) // 2)
    assert m_local[shown:] == "*" * (len(local) - shown)


@given(st.text(max_size=50), st.integers(0, 10), st.integers(0, 10))
def test_generic_hides_at_least_half(value, head, tail):
    masked = mask_generic(value, head, tail)
    assert len(masked) == len(value)
    hidden = sum(1 for a, b in zip(value, masked) if b == "*" and a != "*")
    revealed = [i for i, (a, b) in enumerate(zip(value, masked)) if b != "*"]
    assert len(revealed) <= len(value) // 2
    assert all(masked[i] == value[i] for i in revealed)
    assert hidden >= 0
