"""Pinyin search keys for customer names, and classification of search-box queries.

``search_keys("张三") == ("zhangsan", "zs")``. The leading character(s) of a person's
name are read as a surname, so polyphonic surnames get their surname reading
(单 shan, 曾 zeng, 解 xie, 尉迟 yuchi ...) rather than pypinyin's most common reading.
pypinyin 0.55 has no surname mode, hence the table below. Readings use Style.NORMAL
(no tones), with ``v`` for ü (吕 -> ``lv``), as Chinese input methods do.

Latin text (``"John Smith"``, ``"ABC资产管理"``) contributes its letters, lower-cased, to the
full key; each Latin word contributes its first letter to the initials, except all-caps
acronyms (``ICBC``), which contribute every letter. Digits and punctuation are dropped.
"""
from __future__ import annotations

import enum
import re
import unicodedata
from functools import lru_cache

from pypinyin import Style, lazy_pinyin

__all__ = [
    "search_keys",
    "QueryKind",
    "classify_query",
    "prepare_query",
    "COMPOUND_SURNAMES",
    "SURNAME_READINGS",
]

# Two-character surnames (复姓). Checked before single-character surnames.
COMPOUND_SURNAMES: dict[str, tuple[str, ...]] = {
    "欧阳": ("ou", "yang"), "司马": ("si", "ma"), "上官": ("shang", "guan"),
    "诸葛": ("zhu", "ge"), "尉迟": ("yu", "chi"), "万俟": ("mo", "qi"),
    "单于": ("chan", "yu"), "长孙": ("zhang", "sun"), "令狐": ("ling", "hu"),
    "皇甫": ("huang", "fu"), "东方": ("dong", "fang"), "夏侯": ("xia", "hou"),
    "慕容": ("mu", "rong"), "公孙": ("gong", "sun"), "司徒": ("si", "tu"),
    "司空": ("si", "kong"), "轩辕": ("xuan", "yuan"), "宇文": ("yu", "wen"),
    "澹台": ("tan", "tai"), "闻人": ("wen", "ren"), "呼延": ("hu", "yan"),
    "赫连": ("he", "lian"), "端木": ("duan", "mu"), "百里": ("bai", "li"),
    "南宫": ("nan", "gong"), "西门": ("xi", "men"), "申屠": ("shen", "tu"),
    "公冶": ("gong", "ye"), "太叔": ("tai", "shu"), "钟离": ("zhong", "li"),
    "仲孙": ("zhong", "sun"), "濮阳": ("pu", "yang"), "淳于": ("chun", "yu"),
    "宗政": ("zong", "zheng"), "羊舌": ("yang", "she"), "拓跋": ("tuo", "ba"),
    "第五": ("di", "wu"), "乐正": ("yue", "zheng"), "公羊": ("gong", "yang"),
    "东郭": ("dong", "guo"), "漆雕": ("qi", "diao"), "亓官": ("qi", "guan"),
    "壤驷": ("rang", "si"), "梁丘": ("liang", "qiu"), "左丘": ("zuo", "qiu"),
    "谷梁": ("gu", "liang"), "巫马": ("wu", "ma"), "公西": ("gong", "xi"),
    "颛孙": ("zhuan", "sun"), "子车": ("zi", "ju"), "段干": ("duan", "gan"),
    "鲜于": ("xian", "yu"), "闾丘": ("lv", "qiu"), "司寇": ("si", "kou"),
    "东门": ("dong", "men"), "公良": ("gong", "liang"), "夹谷": ("jia", "gu"),
    "宰父": ("zai", "fu"), "微生": ("wei", "sheng"), "公户": ("gong", "hu"),
    "呼衍": ("hu", "yan"), "独孤": ("du", "gu"), "贺兰": ("he", "lan"),
    "完颜": ("wan", "yan"), "爱新觉罗": ("ai", "xin", "jue", "luo"),
}

# Single-character surnames whose surname reading differs from pypinyin's default
# (plus a few where the default is right but easily broken by phrase context).
SURNAME_READINGS: dict[str, str] = {
    "单": "shan", "曾": "zeng", "仇": "qiu", "解": "xie", "区": "ou", "查": "zha",
    "朴": "piao", "盖": "ge", "乐": "yue", "覃": "qin", "缪": "miao", "种": "chong",
    "秘": "bi", "员": "yun", "召": "shao", "句": "gou", "隗": "wei", "翟": "zhai",
    "洗": "xian", "冼": "xian", "能": "nai", "佴": "nai", "粘": "nian", "薄": "bo",
    "郇": "xun", "重": "chong", "长": "chang", "都": "du", "卜": "bu", "折": "she",
    "祭": "zhai", "阚": "kan", "蕃": "pi", "藏": "zang", "繁": "po", "黑": "he",
    "尉": "wei", "任": "ren", "纪": "ji", "宁": "ning", "沈": "shen", "柏": "bai",
    "曲": "qu", "莘": "shen", "相": "xiang", "应": "ying", "强": "qiang", "和": "he",
    "朝": "chao", "令": "ling", "褚": "chu", "贲": "ben", "牟": "mou", "逄": "pang",
    "晟": "cheng", "燕": "yan", "过": "guo", "华": "hua", "石": "shi", "叶": "ye",
    "陆": "lu", "于": "yu", "葛": "ge", "吕": "lv", "闾": "lv", "臧": "zang",
    "甄": "zhen", "眭": "sui", "訾": "zi", "谌": "chen", "乜": "nie", "寻": "xun",
    "隽": "juan", "藉": "ji", "谷": "gu", "万": "wan", "车": "che", "殷": "yin",
    "厍": "she", "阿": "a", "家": "jia", "大": "da", "校": "jiao", "术": "shu",
}

_MAX_SURNAME = max(len(k) for k in COMPOUND_SURNAMES)


# Han characters: 〇, Extension A, Unified Ideographs, Compatibility Ideographs, Extensions B-G.
_CJK_CLASS = r"[\u3007\u3400-\u4dbf\u4e00-\u9fff\uf900-\ufaff\U00020000-\U0003134f]"
_HAS_CJK = re.compile(_CJK_CLASS)

# Runs of CJK characters, and Latin words (letters only).
_TOKEN = re.compile(rf"(?P<cjk>{_CJK_CLASS}+)|(?P<latin>[A-Za-z]+)")
_LETTERS = re.compile(r"[a-z]+")


@lru_cache(maxsize=65_536)
def _cjk_syllables(run: str) -> tuple[str, ...]:
    """Toneless readings of a run of Chinese characters (phrase-aware), cached per run."""
    out: list[str] = []
    for syl in lazy_pinyin(run, style=Style.NORMAL, errors=lambda chars: [""] * len(chars)):
        syl = "".join(_LETTERS.findall(syl.lower()))
        if syl:
            out.append(syl)
    return tuple(out)


def _surname_split(run: str) -> tuple[tuple[str, ...], str]:
    """Split the surname off a leading CJK run: (surname syllables, rest of run)."""
    for length in range(min(_MAX_SURNAME, len(run) - 1), 1, -1):
        syl = COMPOUND_SURNAMES.get(run[:length])
        if syl is not None:
            return syl, run[length:]
    reading = SURNAME_READINGS.get(run[0])
    if reading is not None:
        return (reading,), run[1:]
    return _cjk_syllables(run[0]), run[1:]


@lru_cache(maxsize=16_384)
def _search_keys_cached(name: str, surname: bool) -> tuple[str, str]:
    text = unicodedata.normalize("NFKC", name)
    full: list[str] = []
    initials: list[str] = []
    first = True
    for m in _TOKEN.finditer(text):
        run = m.group("cjk")
        if run is not None:
            if first and surname:
                head, rest = _surname_split(run)
                syllables = head + (_cjk_syllables(rest) if rest else ())
            else:
                syllables = _cjk_syllables(run)
            full.extend(syllables)
            initials.extend(s[0] for s in syllables)
        else:
            word = m.group("latin")
            full.append(word.lower())
            if len(word) > 1 and word.isupper():
                initials.append(word.lower())  # acronym: ICBC -> icbc
            else:
                initials.append(word[0].lower())
        first = False
    return "".join(full), "".join(initials)


def search_keys(name: str, *, surname: bool = True) -> tuple[str, str]:
    """(full pinyin, initials), both lower-case letters only.

    ``surname=True`` (persons) reads the leading Chinese character(s) as a surname;
    pass ``surname=False`` for institutions (乐视 -> ``leshi``, not ``yueshi``).
    Results are cached per name; character runs are cached separately.
    """
    if not name:
        return "", ""
    return _search_keys_cached(name, surname)


# --------------------------------------------------------------------------------------
# Query classification for the customer search box
# --------------------------------------------------------------------------------------


class QueryKind(str, enum.Enum):
    DIGITS4 = "digits4"  # exactly 4 digits: last 4 of phone or of ID number
    ID_LAST4 = "id_last4"  # 3 digits + X: last 4 of an ID number ending in X
    FULL_ID = "full_id"  # 17 digits + digit/X: whole ID number (exact, blind index)
    FULL_PHONE = "full_phone"  # 11 digits, optional +86/0086/86 prefix (exact, blind index)
    PINYIN = "pinyin"  # latin letters only: pinyin prefix or initials prefix
    NAME = "name"  # contains Chinese characters: name prefix
    OTHER = "other"


_SEPARATORS = re.compile(r"[\s\-]+")
_RE_DIGITS4 = re.compile(r"\d{4}")
_RE_ID_LAST4 = re.compile(r"\d{3}X")
_RE_FULL_ID = re.compile(r"\d{17}[\dX]")
_RE_PHONE = re.compile(r"(?:\+86|0086|86)?(\d{11})")
_RE_LATIN = re.compile(r"[a-z]+")


def prepare_query(q: str | None) -> tuple[QueryKind, str]:
    """Classify a search-box query and return the term to search with.

    The term is normalised for its kind: digits without separators (upper-case X),
    the 11 phone digits without country prefix, lower-case letters without spaces for
    PINYIN ("Zhang San" -> "zhangsan"), and the trimmed text for NAME and OTHER.
    FULL_ID is decided by shape only; the caller validates (normalize_id_number) before
    computing a blind index.
    """
    if not q:
        return QueryKind.OTHER, ""
    text = unicodedata.normalize("NFKC", q).strip()
    if not text:
        return QueryKind.OTHER, ""
    if _HAS_CJK.search(text):
        return QueryKind.NAME, text
    compact = _SEPARATORS.sub("", text)
    upper = compact.upper()
    if _RE_DIGITS4.fullmatch(compact):
        return QueryKind.DIGITS4, compact
    if _RE_ID_LAST4.fullmatch(upper):
        return QueryKind.ID_LAST4, upper
    if _RE_FULL_ID.fullmatch(upper):
        return QueryKind.FULL_ID, upper
    m = _RE_PHONE.fullmatch(compact)
    if m:
        return QueryKind.FULL_PHONE, m.group(1)
    lower = compact.lower().replace("ü", "v")
    if _RE_LATIN.fullmatch(lower):
        return QueryKind.PINYIN, lower
    return QueryKind.OTHER, text


def classify_query(q: str | None) -> QueryKind:
    """The :class:`QueryKind` of a search-box query (see :func:`prepare_query`)."""
    return prepare_query(q)[0]
