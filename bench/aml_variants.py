"""The labelled variant set for the screening benchmark: `python -m bench.aml_variants` (re)writes
bench/aml_variant_set.csv from the shipped watchlists, deterministically (fixed seeds).

Positives are variants of listed persons' names that screening must find (expected list and entry ID):
- reordered: the tokens in another order ("ABU MARZOOK, Mousa Mohammed" -> "Mousa Mohammed Abu Marzook");
- initials: the first given name as its initial ("M. Abu Marzook");
- dropped_middle: a middle name left out;
- transliteration: one token spelt as another romanisation would (Mohammed/Muhammad, oo/u, kh/h, q/k, ...);
- typo: one letter substituted, dropped, doubled or two swapped in one token of five or more letters;
- case_hyphen: other case, hyphens for spaces or the other way;
- chinese: a listed pinyin name (OFAC's "LI, Fangwei") written in Chinese characters whose pinyin it is
  (characters chosen as the commonest ones for each syllable, and kept only when pypinyin reads them back
  as the listed pinyin).
Negatives are names from Faker in nine locales that are not listed: a generated name whose normalised
tokens (or pinyin) equal a listed name's is dropped from the set, nothing else is. Some rows carry a birth
date and nationality (the listed ones for positives, random ones for negatives).
"""
from __future__ import annotations

import csv
import random
import re
import sys
from datetime import date, timedelta
from pathlib import Path

WATCHLISTS = Path(__file__).resolve().parents[1] / "services" / "demo" / "watchlists"
OUT = Path(__file__).resolve().parent / "aml_variant_set.csv"
FIELDS = ["name", "birth_date", "nationality", "expected_list", "expected_entry_id", "variant"]
PER_KIND = 220
NEGATIVES = 1600

TRANSLIT = [("mohammed", "muhammad"), ("mohammad", "muhammed"), ("muhammad", "mohamed"), ("ahmed", "ahmad"),
            ("ahmad", "ahmed"), ("yusuf", "yousef"), ("abdul", "abdel"), ("abdel", "abdul"), ("oo", "u"),
            ("ou", "u"), ("ee", "i"), ("kh", "h"), ("q", "k"), ("dh", "d"), ("ph", "f"), ("iy", "i"),
            ("yev", "yeu"), ("ii", "i"), ("ei", "ey"), ("j", "dj"), ("sh", "ch"), ("w", "v"), ("y", "i")]


def _tokens(name: str) -> list[str]:
    return [t for t in re.split(r"[\s,]+", name) if t]


def _display(name: str) -> str:
    """OFAC writes "SURNAME, Given Names": as a person would write it, given names first."""
    if "," in name:
        family, _, given = name.partition(",")
        return f"{given.strip()} {family.strip().title()}".strip()
    return name


def _typo(rng: random.Random, token: str) -> str:
    i = rng.randrange(1, len(token) - 1)
    op = rng.choice("sdtw")
    letters = "abcdefghijklmnopqrstuvwxyz"
    if op == "s":
        return token[:i] + rng.choice([c for c in letters if c != token[i].lower()]) + token[i + 1:]
    if op == "d":
        return token[:i] + token[i + 1:]
    if op == "t":
        return token[:i] + token[i + 1] + token[i] + token[i + 2:]
    return token[:i] + token[i] + token[i:]


def _variants(rng: random.Random, name: str) -> dict[str, str | None]:
    disp = _display(name)
    toks = _tokens(disp)
    out: dict[str, str | None] = {k: None for k in ("reordered", "initials", "dropped_middle", "transliteration",
                                                      "typo", "case_hyphen")}
    if len(toks) >= 2:
        shuffled = toks[:]
        for _ in range(5):
            rng.shuffle(shuffled)
            if shuffled != toks:
                break
        out["reordered"] = " ".join(shuffled) if shuffled != toks else " ".join(reversed(toks))
        if len(toks[0]) > 2:
            out["initials"] = f"{toks[0][0]}. " + " ".join(toks[1:])
        out["case_hyphen"] = (disp.upper() if rng.random() < 0.5 else disp.lower())
        if len(toks) >= 3:
            out["case_hyphen"] = "-".join(toks[:-1]).lower() + " " + toks[-1].upper()
    if len(toks) >= 3:
        drop = rng.randrange(1, len(toks) - 1)
        out["dropped_middle"] = " ".join(t for i, t in enumerate(toks) if i != drop)
    for i in rng.sample(range(len(toks)), len(toks)):
        low = toks[i].lower()
        rules = [(a, b) for a, b in TRANSLIT if a in low]
        if rules:
            a, b = rng.choice(rules)
            out["transliteration"] = " ".join(low.replace(a, b, 1) if j == i else t for j, t in enumerate(toks))
            break
    long = [i for i, t in enumerate(toks) if len(t) >= 5 and t.isalpha()]
    if long:
        i = rng.choice(long)
        out["typo"] = " ".join(_typo(rng, t) if j == i else t for j, t in enumerate(toks))
    return out


def _syllable_chars() -> dict[str, str]:
    """pinyin syllable -> a character people use in names that reads so (from Faker's zh_CN given names and
    surnames, the commonest first), so that the written names look like names."""
    from faker.providers.person.zh_CN import Provider
    from pypinyin import Style, lazy_pinyin

    out: dict[str, str] = {}
    for word in list(Provider.last_names) + list(Provider.first_names):
        for ch in word:
            reading = lazy_pinyin(ch, style=Style.NORMAL)[0]
            out.setdefault(reading, ch)
    return out


def _split_syllables(word: str, syllables: set[str]) -> list[str] | None:
    word = word.lower()
    if not word:
        return []
    for n in range(min(6, len(word)), 0, -1):
        head = word[:n]
        if head in syllables:
            rest = _split_syllables(word[n:], syllables)
            if rest is not None:
                return [head] + rest
    return None


COMMON_CHARS = {"li": "李", "wang": "王", "zhang": "张", "liu": "刘", "chen": "陈", "yang": "杨", "zhao": "赵",
                "huang": "黄", "zhou": "周", "wu": "吴", "xu": "徐", "sun": "孙", "hu": "胡", "zhu": "朱",
                "gao": "高", "lin": "林", "he": "何", "guo": "郭", "ma": "马", "luo": "罗", "liang": "梁",
                "song": "宋", "zheng": "郑", "xie": "谢", "han": "韩", "tang": "唐", "feng": "冯", "yu": "于",
                "dong": "董", "xiao": "萧", "cheng": "程", "cao": "曹", "yuan": "袁", "deng": "邓", "fu": "傅",
                "shen": "沈", "peng": "彭", "lu": "陆", "jiang": "江", "cai": "蔡", "jia": "贾", "ding": "丁",
                "wei": "伟", "fang": "方", "ming": "明", "hua": "华", "jun": "军", "hong": "红", "qiang": "强",
                "jian": "建", "ping": "平", "xin": "新", "hai": "海", "bo": "波", "yi": "一",
                "kai": "凯", "long": "龙", "tao": "涛", "gang": "刚", "lei": "磊", "dan": "丹", "ning": "宁"}
LOCALES = ["en_US", "en_GB", "de_DE", "fr_FR", "es_ES", "ru_RU", "zh_CN", "ar_AA", "tr_TR"]


def _chinese(entries, rng: random.Random) -> list[dict]:
    from pypinyin import Style, lazy_pinyin

    chars = {**_syllable_chars(), **COMMON_CHARS}
    syllables = set(chars)
    rows = []
    for list_code, e in entries:
        if e.kind != "person":
            continue
        name = e.names[0].name
        if "," not in name:
            continue
        family, _, given = (x.strip() for x in name.partition(","))
        if not family.isalpha() or not given or len(given.split()) > 2:
            continue
        fam = _split_syllables(family, syllables)
        giv = _split_syllables(given.replace(" ", "").replace("-", ""), syllables)
        if fam is None or giv is None or len(fam) != 1 or not 1 <= len(giv) <= 2:
            continue
        if "cn" not in e.nationalities and not any("CHINA" in p.upper() for p in e.programs) \
                and family.upper() not in {k.upper() for k in COMMON_CHARS}:
            continue
        written = "".join(chars[s] for s in fam + giv)
        if lazy_pinyin(written, style=Style.NORMAL) != fam + giv:
            continue
        rows.append({"name": written, "birth_date": "", "nationality": "",
                     "expected_list": list_code, "expected_entry_id": e.entry_id, "variant": "chinese"})
    rng.shuffle(rows)
    return rows[:PER_KIND]


def build() -> list[dict]:
    from services.aml.lists import parse_list

    lists = [("ofac_sdn", parse_list((WATCHLISTS / "ofac_sdn_2024-05-03.csv").read_bytes())),
             ("un_sc", parse_list((WATCHLISTS / "un_consolidated_2018-08-24.xml").read_bytes()))]
    entries = [(code, e) for code, parsed in lists for e in parsed.entries]
    persons = [(code, e) for code, e in entries if e.kind == "person"]
    rng = random.Random(20261130)
    rows: list[dict] = []
    by_kind: dict[str, list[dict]] = {}
    for code, e in rng.sample(persons, len(persons)):
        for kind, variant in _variants(rng, e.names[0].name).items():
            if variant is None or len(by_kind.setdefault(kind, [])) >= PER_KIND:
                continue
            with_facts = rng.random() < 0.4
            by_kind[kind].append({
                "name": variant,
                "birth_date": e.birth_dates[0] if with_facts and e.birth_dates and len(e.birth_dates[0]) == 10 else "",
                "nationality": e.nationalities[0] if with_facts and e.nationalities else "",
                "expected_list": code, "expected_entry_id": e.entry_id, "variant": kind})
        if all(len(by_kind.get(k, [])) >= PER_KIND for k in ("reordered", "initials", "dropped_middle",
                                                            "transliteration", "typo", "case_hyphen")):
            break
    for kind in sorted(by_kind):
        rows += by_kind[kind]
    rows += _chinese(entries, rng)
    rows += _negatives(entries, rng)
    return rows


def _norm_key(name: str) -> str:
    from rigour.names import tokenize_name

    return " ".join(sorted(tokenize_name(name.casefold())))


def _negatives(entries, rng: random.Random) -> list[dict]:
    from faker import Faker

    from services.aml.matching import pinyin_forms

    listed = {_norm_key(n.name) for _, e in entries for n in e.names}
    fake = Faker(LOCALES)
    fake.seed_instance(20261130)
    rows: list[dict] = []
    seen: set[str] = set()
    while len(rows) < NEGATIVES:
        person = fake[rng.choice(LOCALES)]
        if person is fake["zh_CN"]:  # Chinese names: surname first, no space
            name = person.last_name() + person.first_name()
        else:
            name = person.first_name() + " " + person.last_name() if rng.random() < 0.8 else person.name()
        if re.search(r"[\u4e00-\u9fff]", name):
            name = name.replace(" ", "")
        keys = {_norm_key(name)} | {_norm_key(p) for p in pinyin_forms(name)}
        if keys & listed or name in seen:
            continue
        seen.add(name)
        facts = rng.random() < 0.4
        birth = date(1940, 1, 1) + timedelta(days=rng.randrange(0, 60 * 365)) if facts else None
        rows.append({"name": name, "birth_date": birth.isoformat() if birth else "",
                     "nationality": rng.choice(["cn", "us", "de", "fr", "ru", "gb", "es", "tr"]) if facts else "",
                     "expected_list": "", "expected_entry_id": "", "variant": "negative"})
    return rows


def main() -> int:
    rows = build()
    OUT.parent.mkdir(parents=True, exist_ok=True)
    with OUT.open("w", newline="", encoding="utf-8") as fh:
        writer = csv.DictWriter(fh, fieldnames=FIELDS)
        writer.writeheader()
        writer.writerows(rows)
    counts: dict[str, int] = {}
    for r in rows:
        counts[r["variant"]] = counts.get(r["variant"], 0) + 1
    print(f"wrote {len(rows)} rows to {OUT}: {counts}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
