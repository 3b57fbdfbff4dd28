"""Screening matches names across forms and explains itself; birth date and nationality move the score."""
from __future__ import annotations

from datetime import date

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from services.aml.matching import HIT, POSSIBLE, Matcher, MatchEntry, pinyin_forms

ENTRIES = [
    MatchEntry(1, "ofac_sdn", "3754", "person", (("ABU MARZOOK, Mousa Mohammed", "primary"), ("ABU-'UMAR", "strong")),
               ("1951-02-09",), ("eg",)),
    MatchEntry(2, "ofac_sdn", "11447", "person", (("LI, Fangwei", "primary"), ("LI, Karl", "strong")), ("1965",), ()),
    MatchEntry(3, "un_sc", "6908568", "person", (("KIM SOK CHOL", "primary"),), ("1955-05-08",), ("kp",)),
    MatchEntry(4, "ofac_sdn", "306", "entity", (("BANCO NACIONAL DE CUBA", "primary"), ("BNC", "strong")), (), ()),
    MatchEntry(5, "internal", "I-2", "person", (("王建国", "primary"),), (), ("cn",)),
    MatchEntry(6, "ofac_sdn", "9999", "vessel", (("HUA FU", "primary"),), (), ()),
    MatchEntry(7, "ofac_sdn", "1234", "person", (("MUELLER-LUEDENSCHEIDT, Hans Juergen", "primary"),), (), ("de",)),
]
M = Matcher(ENTRIES)


def best(name, **kw):
    found = M.screen(name, **kw)
    return (found[0].entry.entry_id, found[0].verdict) if found else None


@pytest.mark.parametrize("name, entry", [
    ("Mousa Mohammed Abu Marzook", "3754"),  # reordered
    ("Musa Mohamed Abu Marzuk", "3754"),  # transliteration
    ("Mousa Abu Marzook", "3754"),  # dropped middle name
    ("M. Mohammed Abu Marzook", "3754"),  # an initial
    ("mousa mohammed abu-marzook", "3754"),  # case and hyphens
    ("Mousa Mohammed Abu Marzok", "3754"),  # a typo
    ("李方伟", "11447"),  # Chinese characters against the pinyin listing
    ("Li Fang Wei", "11447"),  # spacing
    ("Sok Chol Kim", "3754" if False else "6908568"),
    ("Banco Nacional de Cuba S.A.", "306"),
    ("Wang Jianguo", "I-2"),  # pinyin against a listing in characters
    ("Hans Jürgen Müller Lüdenscheidt", "1234"),  # diacritics and transliteration of umlauts
])
def test_variants_of_listed_names_are_found(name, entry):
    found = best(name)
    assert found is not None and found[0] == entry and found[1] in ("hit", "possible")


@pytest.mark.parametrize("name", ["John Smith", "Maria Garcia", "陈静", "Mohammed", "Cuba", "Kim"])
def test_other_names_are_clear(name):
    assert best(name) is None


def test_a_hit_explains_which_name_which_parts_and_the_facts():
    (m,) = M.screen("Musa Mohamed Abu Marzuk", birth_date=date(1951, 2, 9), nationality="eg")
    e = m.explanation()
    assert e["matched_name"] == "ABU MARZOOK, Mousa Mohammed" and e["name_quality"] == "primary"
    assert {(p["query"], p["listed"], p["how"]) for p in e["pairs"]} >= {("abu", "abu", "exact"),
                                                                        ("musa", "mousa", "phonetic")}
    effects = {a["factor"]: a["effect"] for a in e["adjustments"]}
    assert effects == {"birth_date": 0.06, "nationality": 0.03} and e["score"] > e["name_score"]


def test_birth_date_and_nationality_move_the_score():
    plain = M.screen("Kim Sok Chol")[0].score
    same = M.screen("Kim Sok Chol", birth_date=date(1955, 5, 8), nationality="kp")[0].score
    other = M.screen("Kim Sok Chol", birth_date=date(1990, 1, 1), nationality="cn")
    assert same >= plain and (not other or other[0].score < plain - 0.2)


def test_a_customer_is_compared_with_its_own_kind_only():
    assert M.screen("Fu Hua") and M.screen("傅华") and not M.screen("傅华", kind="person")
    assert not M.screen("Banco Nacional de Cuba", kind="person")
    assert M.screen("Banco Nacional de Cuba", kind="institution")


def test_pinyin_forms():
    assert pinyin_forms("李方伟") == ["li fangwei", "li fang wei"]
    assert pinyin_forms("单雄信")[0].startswith("shan ")  # the surname reading
    assert pinyin_forms("欧阳修")[0] == "ouyang xiu"
    assert pinyin_forms("John") == []


@settings(max_examples=200, deadline=None)
@given(st.text(max_size=60))
def test_any_name_gives_scores_between_0_and_1_and_verdicts_that_follow_them(name):
    for m in M.screen(name, threshold=0.0):
        assert 0.0 <= m.score <= 1.0
        assert m.verdict == ("hit" if m.score >= HIT else "possible" if m.score >= POSSIBLE else "clear")


@settings(max_examples=60, deadline=None)
@given(st.sampled_from([n for e in ENTRIES if e.kind == "person" for n, q in e.names if q == "primary"]),
       st.randoms(use_true_random=False))
def test_a_listed_person_name_in_any_order_and_case_is_a_hit(name, rnd):
    tokens = name.replace(",", " ").split()
    rnd.shuffle(tokens)
    query = " ".join(t.lower() if rnd.random() < 0.5 else t.upper() for t in tokens)
    found = M.screen(query)
    assert found and found[0].score >= HIT
