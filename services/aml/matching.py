"""Name screening: which watchlist entries a name (with its birth date and nationality) may be, and why.

Built on the field's own libraries: OpenSanctions' `rigour` analyses names (prefixes such as "Dr." dropped,
tokens latinised and case-folded, diacritics removed, metaphone keys), lines person names up whatever their
order (`align_person_name_order`) and aligns the parts by a typo- and transliteration-aware edit distance
(`compare_parts`); `rapidfuzz` ranks the candidates cheaply before that, and rescues typos the budgeted
alignment refuses; `pypinyin` reads Chinese names as pinyin, with the surname readings the customer search
uses (单 shan, 曾 zeng).

How a name is scored, so that every hit explains itself:
- each part weighs by how rare it is on the lists (inverse document frequency): sharing "Mohammed" says
  little, sharing "Marzook" says much;
- paired parts count with their similarity (exact 1.0, fuzzy as `compare_parts` or Jaro-Winkler says,
  same metaphone 0.9, an initial against the name it starts 0.85);
- a part of the screened name that the listed name lacks counts fully against it; a part of the listed
  name that the screened name lacks (a dropped middle name) counts for a third;
- then the birth date and the nationality move the score, for persons: an exact birth date +0.06, the
  same year +0.03, years apart -0.15; the same nationality +0.03, another one -0.08.

The index is built once per list generation (`Matcher(entries)`) and is read-only afterwards, so one
matcher may serve every thread.
"""
from __future__ import annotations

import heapq
import math
import re
import unicodedata
from dataclasses import dataclass, field
from datetime import date
from functools import lru_cache
from typing import Iterable, Sequence

import numpy as np
from pypinyin import Style, lazy_pinyin
from rapidfuzz import fuzz, process
from rapidfuzz.distance import JaroWinkler
from rigour.names import (NamePartTag, NameTypeTag, align_person_name_order, analyze_names, compare_parts,
                          remove_org_types)

from services.customers.pinyin import COMPOUND_SURNAMES, SURNAME_READINGS

HIT = 0.90
POSSIBLE = 0.75
RESULT_EXTRA_WEIGHT = 1 / 3  # a listed part the screened name lacks (dropped middle name)
WEAK_ALIAS_FACTOR = 0.92  # low-quality aliases (UN "Low", OFAC f.k.a.) count a little less
PRESCORE_MIN = 0.35
TYPO_MIN = 0.88  # Jaro-Winkler similarity from which two unpaired parts count as a typo of each other
KEY_MIN = 1.2  # shared-key share plus rapidfuzz's token-set ratio: below this a candidate is not worth aligning
CANDIDATES = 10  # names scored in detail per query form, after the cheap ranking
SOUND_KEY_MAX = 20  # a part spelt exactly so by more listed names than this looks for no sound-alikes
FREQUENT_POSTINGS = 400  # keys this common are used for candidates only when nothing rarer is shared

_CJK = re.compile(r"[\u3400-\u9fff\uf900-\ufaff]")


MAX_BOOST = 0.09  # the most birth date and nationality add (0.06 + 0.03)
SORT_MIN = 45  # rapidfuzz token-sort ratio under which a candidate is not aligned (it keeps every labelled variant)
LEGAL_WEIGHT = 0.05
_NEUTRAL = frozenset({NamePartTag.LEGAL, NamePartTag.STOP})
KIND_MATCHES = {"person": ("person",), "entity": ("entity",), "institution": ("entity",)}


def verdict(score: float) -> str:
    return "hit" if score >= HIT else "possible" if score >= POSSIBLE else "clear"


@dataclass(frozen=True)
class MatchEntry:
    """What the matcher needs of a watchlist entry (services/aml/models.WatchlistEntry, or a parsed file)."""

    key: int  # the caller's id for it (database id, or an index)
    list_code: str
    entry_id: str
    kind: str
    names: tuple[tuple[str, str], ...]  # (name, quality): primary | strong | weak
    birth_dates: tuple[str, ...] = ()
    nationalities: tuple[str, ...] = ()


@dataclass
class PartPair:
    query: str
    listed: str
    score: float
    how: str  # exact | fuzzy | phonetic | initial | typo | missing | extra

    def as_dict(self) -> dict:
        return {"query": self.query, "listed": self.listed, "score": round(self.score, 3), "how": self.how}


@dataclass
class Match:
    entry: MatchEntry
    score: float
    name_score: float
    matched_name: str
    name_quality: str
    query_form: str  # the form of the screened name that matched (its pinyin for a Chinese name)
    listed_form: str = ""  # the form of the listed name that matched, when not as written (its pinyin)
    pairs: list[PartPair] = field(default_factory=list)
    adjustments: list[dict] = field(default_factory=list)

    @property
    def verdict(self) -> str:
        return verdict(self.score)

    def explanation(self) -> dict:
        return {"matched_name": self.matched_name, "name_quality": self.name_quality,
                "query_form": self.query_form, "listed_form": self.listed_form or self.matched_name, "name_score": round(self.name_score, 3),
                "pairs": [p.as_dict() for p in self.pairs], "adjustments": self.adjustments,
                "score": round(self.score, 3), "verdict": self.verdict}


@dataclass(slots=True)
class _Name:
    entry: int
    text: str  # as the list writes it
    form: str  # what was indexed: the text, or its pinyin
    quality: str
    parts: tuple
    norm: str
    person: bool
    family_first: bool  # written "FAMILY, Given" (OFAC): the order is known


def _tag(kind: str | None) -> NameTypeTag:
    if kind == "person":
        return NameTypeTag.PER
    if kind in ("entity", "institution"):
        return NameTypeTag.ORG
    if kind in ("vessel", "aircraft"):
        return NameTypeTag.OBJ
    return NameTypeTag.PER


def _analyze(text: str, kind: str | None, query: bool) -> list:
    return [n for n in analyze_names(_tag(kind), [text], infer_initials=query, consolidate=False,
                                     symbols=False) if n.parts]


def pinyin_forms(text: str) -> list[str]:
    """A Chinese name as pinyin: "李方伟" -> ["li fangwei", "li fang wei"] (surname first, then the given
    name joined and syllable by syllable); names mixing scripts keep their Latin words."""
    chars = "".join(ch for ch in unicodedata.normalize("NFKC", text) if not ch.isspace())
    if not _CJK.search(chars):
        return []
    cjk = "".join(ch for ch in chars if _CJK.match(ch))
    surname: list[str] = []
    rest = cjk
    for compound, reading in COMPOUND_SURNAMES.items():
        if cjk.startswith(compound):
            surname, rest = list(reading), cjk[len(compound):]
            break
    else:
        if cjk and len(cjk) >= 2:
            first = cjk[0]
            surname = [SURNAME_READINGS.get(first) or lazy_pinyin(first, style=Style.NORMAL, v_to_u=False)[0]]
            rest = cjk[1:]
    given = [s for s in lazy_pinyin(rest, style=Style.NORMAL) if s.isalpha()]
    sur = "".join(surname)
    forms = []
    if sur and given:
        forms.append(f"{sur} {''.join(given)}")
        forms.append(" ".join([sur, *given]))
    elif given:
        forms.append(" ".join(given))
    latin = " ".join(w for w in re.split(r"[\s\u3400-\u9fff]+", text) if w and w.isascii())
    return [f"{f} {latin}".strip() for f in forms]


class Matcher:
    """An in-memory index over watchlist names; `screen()` answers the best entries for one name."""

    def __init__(self, entries: Iterable[MatchEntry]):
        self.entries: list[MatchEntry] = list(entries)
        self.names: list[_Name] = []
        self.postings: dict[str, list[int]] = {}
        for ei, entry in enumerate(self.entries):
            for text, quality in entry.names:
                # A listed name in Chinese characters is also indexed as its pinyin; an entity's also without its
                # legal form ("CIMEX, S.A." as "CIMEX").
                forms = [text] + pinyin_forms(text)
                if entry.kind == "entity":
                    forms += _without_legal_form(text)
                for form in forms:
                    for name in _analyze(form, entry.kind, query=False):
                        parts = tuple(name.parts)
                        # One short Latin token ("SL", "BNC") would match too much by itself.
                        if len(parts) == 1 and len(parts[0].comparable) <= 3 and parts[0].comparable.isascii():
                            continue
                        self.names.append(_Name(ei, text, form, quality, parts,
                                                " ".join(p.comparable for p in parts), entry.kind == "person",
                                                "," in form))
        for ni, name in enumerate(self.names):
            for key in {k for p in name.parts for k in _keys(p)}:
                self.postings.setdefault(key, []).append(ni)
        total = max(len(self.names), 1)
        self._log_total = math.log(total + 1)
        self.df: dict[str, int] = {}
        for name in self.names:
            for comparable in {p.comparable for p in name.parts}:
                self.df[comparable] = self.df.get(comparable, 0) + 1
        self._arrays: dict[str, np.ndarray] = {k: np.asarray(v, dtype=np.int32) for k, v in self.postings.items()}
        self._entry_of = np.asarray([n.entry for n in self.names], dtype=np.int32)
        # Weights computed once: of each listed part, and of each index key (by its postings).
        self._weights: dict[str, float] = {c: self._idf(df) for c, df in self.df.items()}
        self._key_weights: dict[str, float] = {
            k: self._idf(len(p)) * (0.8 if k.startswith("#") else 1.0) for k, p in self.postings.items()}

    def __len__(self) -> int:
        return len(self.entries)

    # ------------------------------------------------------------ weights

    def weight(self, comparable: str) -> float:
        """How much a part says about identity: rare on the lists -> near 1, common -> near 0.15."""
        return self._weights.get(comparable, 1.0)  # a part no list has says the most

    def _idf(self, df: int) -> float:
        idf = math.log((len(self.names) + 1) / (df + 1)) / self._log_total
        return 0.15 + 0.85 * max(0.0, min(1.0, idf))

    # ------------------------------------------------------------ screening

    def screen(self, name: str, *, birth_date: date | None = None, nationality: str | None = None,
               kind: str | None = None, limit: int = 5, threshold: float = POSSIBLE) -> list[Match]:
        """The best entries for `name` scoring at least `threshold`, best first, one per entry. `kind`: person
        or entity (a customer) is compared with listed persons or entities only (not vessels, nor the other
        kind); None (a name from a file, a counterparty) with every entry."""
        wanted = KIND_MATCHES.get(kind) if kind else None
        floor = threshold - MAX_BOOST  # a name scoring under this cannot reach the threshold
        name = (name or "").strip()
        if not name:
            return []
        forms = [(name, False)] + [(p, True) for p in pinyin_forms(name)]
        if kind != "person":
            forms += [(f, False) for f in _without_legal_form(name)]
        best: dict[int, Match] = {}
        for form, pinyin in forms:
            for qname in _analyze(form, kind, query=True):
                for ni in self._candidates(qname):
                    cand = self.names[ni]
                    if wanted is not None and self.entries[cand.entry].kind not in wanted:
                        continue
                    match = self._score(form, qname, cand, pinyin, floor)
                    if match is None:
                        continue
                    self._adjust(match, birth_date, nationality)
                    current = best.get(cand.entry)
                    if current is None or match.score > current.score:
                        best[cand.entry] = match
        out = sorted((m for m in best.values() if m.score >= threshold), key=lambda m: (-m.score, m.entry.key))
        return out[:limit]

    def _candidates(self, qname) -> list[int]:
        keys: set[str] = set()
        for p in qname.parts:
            exact, *sound = _keys(p) or ("",)
            keys.add(exact)
            # The metaphone key finds other spellings (Musa/Mousa); a part the lists often spell exactly so
            # needs no help, and its sound-alikes would only crowd the candidates.
            if sound and len(self.postings.get(exact, ())) <= SOUND_KEY_MAX:
                keys.update(sound)
        keys.discard("")
        if not keys:
            return []
        postings = [(k, self.postings.get(k, ())) for k in keys]
        rare = [(k, p) for k, p in postings if 0 < len(p) <= FREQUENT_POSTINGS]
        use = rare if rare else [(k, p) for k, p in postings if p]
        if not use:
            return []
        weights = self._weights
        total = sum(weights.get(p.comparable, 1.0) for p in qname.parts) or 1.0
        # Shared-key weight per listed name, summed at C speed.
        arrays = [self._arrays[k] for k, _ in use]
        index = np.concatenate(arrays) if len(arrays) > 1 else arrays[0]
        wts = np.repeat(np.asarray([self._key_weights[k] for k, _ in use]), [len(a) for a in arrays])
        scores = np.bincount(index, weights=wts, minlength=len(self.names))
        ranked = np.flatnonzero(scores >= PRESCORE_MIN * 0.5 * total)
        if not len(ranked):
            return []
        if len(ranked) > 4 * CANDIDATES:
            top = ranked[np.argpartition(-scores[ranked], 4 * CANDIDATES)[:4 * CANDIDATES]]
            if scores[top].min() >= scores[top].max() - 1e-9:
                # Shared keys cannot tell these apart (only a common name such as "Muhammad" is shared):
                # let rapidfuzz rank them all.
                qnorm = " ".join(p.comparable for p in qname.parts)
                names = self.names
                top = np.asarray([key for _, _, key in process.extract(
                    qnorm, {int(ni): names[ni].norm for ni in ranked}, scorer=fuzz.token_sort_ratio,
                    limit=4 * CANDIDATES)], dtype=np.int64)
            ranked = top
        qnorm = " ".join(p.comparable for p in qname.parts)
        names = self.names
        # One name per entry (an entry's many aliases must not crowd out other entries), ranked by the shared
        # keys and rapidfuzz's token-set ratio; below KEY_MIN a candidate is not worth aligning part by part
        # (with few candidates all are), nor one whose whole form is far from the query's (token-sort under
        # SORT_MIN). Among one entry's names the closest in full (token-sort) is the one to align. Direct calls:
        # for a few dozen candidates they cost less than setting up a cdist.
        many = len(ranked) > CANDIDATES
        set_ratio, sort_ratio = fuzz.token_set_ratio, fuzz.token_sort_ratio
        best: dict[int, tuple[float, int]] = {}
        for ni, shared in zip(ranked.tolist(), (scores[ranked] / total).tolist()):
            norm = names[ni].norm
            closeness = sort_ratio(qnorm, norm)
            if closeness < SORT_MIN:
                continue
            key = shared + set_ratio(qnorm, norm) / 100.0
            if many and key < KEY_MIN:
                continue
            key += closeness / 1000.0
            entry = names[ni].entry
            if entry not in best or key > best[entry][0]:
                best[entry] = (key, ni)
        ranked = [ni for _, ni in heapq.nlargest(CANDIDATES, best.values())]
        return ranked

    def _score(self, form: str, qname, cand: _Name, pinyin: bool = False, floor: float = 0.0) -> Match | None:
        qparts = list(qname.parts)
        rparts = list(cand.parts)
        # Person names are lined up whatever their order, except a Chinese name read as pinyin (surname first)
        # against a listing that says which part is the family name: 程云 (cheng yun) is not YUN, Cheng.
        if cand.person and not (pinyin and cand.family_first):
            qparts, rparts = align_person_name_order(qparts, rparts)
        alignments = compare_parts(qparts, rparts)
        weights = self._weights
        pairs: list[PartPair] = []
        q_extra, r_extra = [], []
        matched = weight_pairs = 0.0
        for al in alignments:
            if al.qps and al.rps:
                s = al.score
                how = "exact" if al.qstr == al.rstr else "fuzzy"
                # Same metaphone: a transliteration (Mousa/Musa). Not for short parts, nor for pinyin, which
                # is a phonetic spelling already (jun and jian are different names with one metaphone).
                if s < 0.9 and not pinyin and all(q.metaphone and len(q.comparable) >= 4 for q in al.qps) and \
                        [q.metaphone for q in al.qps] == [r.metaphone for r in al.rps]:
                    s, how = 0.9, "phonetic"
                if s <= 0.0:
                    q_extra += list(al.qps)
                    r_extra += list(al.rps)
                    continue
                w = max(sum([weights.get(p.comparable, 1.0) for p in al.rps]),
                        sum([weights.get(p.comparable, 1.0) for p in al.qps])) / max(len(al.rps), len(al.qps))
                matched += s * w
                weight_pairs += w
                pairs.append(PartPair(al.qstr, al.rstr, s, how))
            elif al.qps:
                q_extra += list(al.qps)
            else:
                r_extra += list(al.rps)
        # Rescue what the budgeted alignment left unpaired: equal parts it lined up elsewhere (a repeated
        # "al"), initials, then typos.
        for q in list(q_extra):
            qc = q.comparable
            best_r, best_s, best_how = None, 0.0, ""
            for r in r_extra:
                rc = r.comparable
                if qc == rc:
                    s, how = 1.0, "exact"
                elif len(qc) == 1 and rc.startswith(qc):
                    s, how = 0.85, "initial"
                elif len(rc) == 1 and qc.startswith(rc):
                    s, how = 0.85, "initial"
                elif len(qc) >= 3 and len(rc) >= 3 and abs(len(qc) - len(rc)) <= 1 and not pinyin:
                    s, how = JaroWinkler.normalized_similarity(qc, rc), "typo"
                    if s < TYPO_MIN:
                        continue
                else:
                    continue
                if s > best_s:
                    best_r, best_s, best_how = r, s, how
                    if s == 1.0:
                        break
            if best_r is not None:
                q_extra.remove(q)
                r_extra.remove(best_r)
                w = weights.get(best_r.comparable, 1.0)
                if best_how == "initial":
                    w = min(w, 0.5)
                matched += best_s * w
                weight_pairs += w
                pairs.append(PartPair(qc, best_r.comparable, best_s, best_how))
        if not pairs:
            return None
        # A legal form or a stop word on one side only ("S.A.", "Ltd", "de") says almost nothing.
        penalty_q = sum([LEGAL_WEIGHT if p.tag in _NEUTRAL else weights.get(p.comparable, 1.0) for p in q_extra])
        penalty_r = RESULT_EXTRA_WEIGHT * sum([LEGAL_WEIGHT if p.tag in _NEUTRAL else weights.get(p.comparable, 1.0)
                                               for p in r_extra])
        score = matched / (weight_pairs + penalty_q + penalty_r)
        if cand.quality == "weak":
            score *= WEAK_ALIAS_FACTOR
        if score < floor:
            return None
        pairs += [PartPair(p.comparable, "", 0.0, "extra") for p in q_extra]
        pairs += [PartPair("", p.comparable, 0.0, "missing") for p in r_extra]
        entry = self.entries[cand.entry]
        return Match(entry=entry, score=score, name_score=score, matched_name=cand.text, name_quality=cand.quality,
                     query_form=form, listed_form=cand.form, pairs=pairs)

    @staticmethod
    def _adjust(match: Match, birth_date: date | None, nationality: str | None) -> None:
        entry = match.entry
        if entry.kind != "person":
            return
        if birth_date is not None and entry.birth_dates:
            effect, how = _birth_date_effect(birth_date, entry.birth_dates)
            match.adjustments.append({"factor": "birth_date", "effect": effect, "how": how,
                                      "query": birth_date.isoformat(), "listed": list(entry.birth_dates)[:6]})
            match.score += effect
        if nationality and entry.nationalities:
            same = nationality.lower() in entry.nationalities
            effect = 0.03 if same else -0.08
            match.adjustments.append({"factor": "nationality", "effect": effect, "how": "same" if same else "other",
                                      "query": nationality.lower(), "listed": list(entry.nationalities)})
            match.score += effect
        match.score = max(0.0, min(1.0, match.score))


def _birth_date_effect(birth: date, listed: Sequence[str]) -> tuple[float, str]:
    iso, year = birth.isoformat(), birth.year
    if iso in listed:
        return 0.06, "exact"
    if any(len(d) == 7 and iso.startswith(d) for d in listed):
        return 0.04, "month"
    years = [int(d[:4]) for d in listed]
    if any(len(d) == 4 and int(d) == year for d in listed):
        return 0.03, "year"
    if any(abs(y - year) <= 1 for y in years):
        return 0.0, "near"
    return -0.15, "different"


def _without_legal_form(text: str) -> list[str]:
    stripped = remove_org_types(text).strip(" ,.")
    return [stripped] if stripped and stripped != text.strip() else []


@lru_cache(maxsize=65536)
def _part_keys(comparable: str, metaphone: str | None) -> tuple[str, ...]:
    keys = []
    if len(comparable) >= 2:
        keys.append(comparable)
    if metaphone and len(metaphone) >= 2:
        keys.append("#" + metaphone)
    return tuple(keys)


def _keys(part) -> tuple[str, ...]:
    return _part_keys(part.comparable, part.metaphone)
