import re

import pytest
from hypothesis import given
from hypothesis import strategies as st

from pypinyin.pinyin_dict import pinyin_dict

from services.customers.pinyin import (
    COMPOUND_SURNAMES,
    QueryKind,
    classify_query,
    prepare_query,
    search_keys,
)


@pytest.mark.parametrize(
    "name, full, initials",
    [
        ("张三", "zhangsan", "zs"),
        ("李四", "lisi", "ls"),
        ("王小明", "wangxiaoming", "wxm"),
        ("吕布", "lvbu", "lb"),
        # polyphonic surnames read as surnames
        ("单田芳", "shantianfang", "stf"),
        ("曾国藩", "zengguofan", "zgf"),
        ("仇英", "qiuying", "qy"),
        ("解缙", "xiejin", "xj"),
        ("区家麟", "oujialin", "ojl"),
        ("查良镛", "zhaliangyong", "zly"),
        ("朴槿惠", "piaojinhui", "pjh"),
        ("盖聂", "genie", "gn"),
        ("乐嘉", "yuejia", "yj"),
        ("覃海", "qinhai", "qh"),
        ("缪一", "miaoyi", "my"),
        ("翟天临", "zhaitianlin", "ztl"),
        ("任我行", "renwoxing", "rwx"),
        # compound surnames
        ("尉迟恭", "yuchigong", "ycg"),
        ("欧阳娜娜", "ouyangnana", "oynn"),
        ("万俟卨", "moqixie", "mqx"),
        ("长孙无忌", "zhangsunwuji", "zswj"),
        ("诸葛亮", "zhugeliang", "zgl"),
        ("单于明", "chanyuming", "cym"),
        # non-Chinese and mixed
        ("John Smith", "johnsmith", "js"),
        ("  Mary-Jane O'Neil ", "maryjaneoneil", "mjon"),
        ("ABC资产管理有限公司", "abczichanguanliyouxiangongsi", "abczcglyxgs"),
        ("阿依古丽·买买提", "ayigulimaimaiti", "ayglmmt"),
        ("张三123", "zhangsan", "zs"),
        ("ＺＨＡＮＧ", "zhang", "zhang"),  # full-width acronym
        ("", "", ""),
        ("123", "", ""),
    ],
)
def test_search_keys(name, full, initials):
    assert search_keys(name) == (full, initials)


def test_surname_only_applies_at_the_start():
    # 单 in a given name keeps the ordinary reading
    assert search_keys("王单")[0] == "wangdan"
    # institutions: no surname reading
    assert search_keys("乐视网", surname=False) == ("leshiwang", "lsw")
    assert search_keys("乐视网") == ("yueshiwang", "ysw")


def test_compound_surname_table_is_consistent():
    for surname, syllables in COMPOUND_SURNAMES.items():
        assert len(surname) == len(syllables)
        assert search_keys(surname + "明")[0] == "".join(syllables) + "ming"


cjk = st.characters(min_codepoint=0x4E00, max_codepoint=0x9FFF)
# CJK URO up to U+9FA5; pypinyin has readings for all but a handful of them
uro = st.characters(min_codepoint=0x4E00, max_codepoint=0x9FA5).filter(lambda c: ord(c) in pinyin_dict)


@given(st.text(alphabet=st.one_of(cjk, st.characters()), max_size=12))
def test_keys_are_lowercase_letters(name):
    full, initials = search_keys(name)
    assert re.fullmatch(r"[a-z]*", full)
    assert re.fullmatch(r"[a-z]*", initials)
    assert len(initials) <= len(full)


@given(st.text(alphabet=uro, min_size=1, max_size=6))
def test_chinese_initials_are_syllable_heads(name):
    full, initials = search_keys(name)
    assert len(initials) == len(name)  # one syllable per character in this range
    assert full.startswith(initials[0])


@pytest.mark.parametrize(
    "q, kind, term",
    [
        ("5678", QueryKind.DIGITS4, "5678"),
        (" 5678 ", QueryKind.DIGITS4, "5678"),
        ("123X", QueryKind.ID_LAST4, "123X"),
        ("123x", QueryKind.ID_LAST4, "123X"),
        ("11010519491231002X", QueryKind.FULL_ID, "11010519491231002X"),
        ("110105 19491231 002x", QueryKind.FULL_ID, "11010519491231002X"),
        ("110101199003071234", QueryKind.FULL_ID, "110101199003071234"),
        ("13800138000", QueryKind.FULL_PHONE, "13800138000"),
        ("138 0013 8000", QueryKind.FULL_PHONE, "13800138000"),
        ("+86 138-0013-8000", QueryKind.FULL_PHONE, "13800138000"),
        ("zhang", QueryKind.PINYIN, "zhang"),
        ("ZS", QueryKind.PINYIN, "zs"),
        ("zhang san", QueryKind.PINYIN, "zhangsan"),
        ("lü", QueryKind.PINYIN, "lv"),
        ("张", QueryKind.NAME, "张"),
        ("张san", QueryKind.NAME, "张san"),
        (" 欧阳 ", QueryKind.NAME, "欧阳"),
        ("", QueryKind.OTHER, ""),
        ("   ", QueryKind.OTHER, ""),
        (None, QueryKind.OTHER, ""),
        ("123", QueryKind.OTHER, "123"),
        ("12345", QueryKind.OTHER, "12345"),
        ("12X4", QueryKind.OTHER, "12X4"),
        ("zhang3", QueryKind.OTHER, "zhang3"),
        ("a@b.com", QueryKind.OTHER, "a@b.com"),
        ("1101051949123100X2", QueryKind.OTHER, "1101051949123100X2"),
    ],
)
def test_prepare_query(q, kind, term):
    assert prepare_query(q) == (kind, term)
    assert classify_query(q) is kind


@given(st.from_regex(r"[0-9]{4}", fullmatch=True))
def test_any_four_digits(q):
    assert classify_query(q) is QueryKind.DIGITS4


@given(st.from_regex(r"[a-zA-Z]{1,20}", fullmatch=True))
def test_letters_are_pinyin(q):
    assert prepare_query(q) == (QueryKind.PINYIN, q.lower())


@given(st.text(max_size=30))
def test_classify_total(q):
    kind, term = prepare_query(q)
    assert isinstance(kind, QueryKind)
    assert isinstance(term, str)


def test_pinyin_query_matches_keys():
    full, initials = search_keys("曾国藩")
    for q in ("zeng", "zengguo", "zg", "ZGF"):
        kind, term = prepare_query(q)
        assert kind is QueryKind.PINYIN
        assert full.startswith(term) or initials.startswith(term)
