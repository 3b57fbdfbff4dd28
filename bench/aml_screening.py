"""Name screening: throughput (names per second, one core) against the full OFAC SDN list with its aliases
plus the UN consolidated list, with recall and precision on the shipped labelled variant set
(bench/aml_variant_set.csv, built by bench/aml_variants.py), against two baselines in the same run:

- a plain rapidfuzz scan: every name compared with every listed name (token-sort ratio, C speed), a match
  from 85 on (`process.extractOne` with a score cutoff);
- OpenSanctions' own matcher, nomenklatura's LogicV2 (the `bench` extra; skipped with a note when absent),
  scoring the same candidates our index proposes (it is a pairwise scorer, not a search), a match from 0.7
  (yente's default threshold).

A positive row counts as found when its expected entry is among the names' hits (verdict hit or possible);
a row with any hit that is not its expected entry counts as a false positive. Throughput is CPU time of this
process (the machine is shared: wall clock counts other people's work) and also printed as wall clock.
FINCRM_BENCH_AML_NAMES limits the rows (the smoke test's few).
"""
from __future__ import annotations

import csv
import os
import time
from datetime import date
from pathlib import Path

from bench.report import emit, note

HERE = Path(__file__).resolve().parent
VARIANTS = HERE / "aml_variant_set.csv"
LISTS = HERE.parent / "services" / "demo" / "watchlists"
RAPIDFUZZ_CUTOFF = 85
NOMENKLATURA_THRESHOLD = 0.7


def _entries():
    from services.aml.lists import parse_list
    from services.aml.matching import MatchEntry

    out = []
    for code, name in (("ofac_sdn", "ofac_sdn_2024-05-03.csv"), ("un_sc", "un_consolidated_2018-08-24.xml")):
        for e in parse_list((LISTS / name).read_bytes()).entries:
            out.append(MatchEntry(len(out), code, e.entry_id, e.kind, tuple((n.name, n.quality) for n in e.names),
                                  tuple(e.birth_dates), tuple(e.nationalities)))
    return out


def _rows() -> list[dict]:
    rows = list(csv.DictReader(VARIANTS.open(encoding="utf-8")))
    limit = int(os.environ.get("FINCRM_BENCH_AML_NAMES") or 0)
    if limit and limit < len(rows):
        rows = rows[:: len(rows) // limit][:limit]  # every kind of variant, and negatives
    return rows


def _quality(rows: list[dict], found: list[set[tuple[str, str]]]) -> dict:
    tp = fp = fn = 0
    by_variant: dict[str, list[int]] = {}
    for r, hits in zip(rows, found):
        expected = (r["expected_list"], r["expected_entry_id"])
        if r["expected_entry_id"]:
            ok = expected in hits
            tp += ok
            fn += not ok
            fp += bool(hits) and not ok
            by_variant.setdefault(r["variant"], [0, 0])
            by_variant[r["variant"]][0] += ok
            by_variant[r["variant"]][1] += 1
        elif hits:
            fp += 1
    return {"recall": round(tp / max(tp + fn, 1), 4), "precision": round(tp / max(tp + fp, 1), 4),
            "true_positives": tp, "false_positives": fp, "missed": fn,
            "recall_by_variant": {k: round(a / b, 3) for k, (a, b) in sorted(by_variant.items())}}


def _timed(fn, rows):
    c0, t0 = time.process_time(), time.perf_counter()
    found = [fn(r) for r in rows]
    return found, time.process_time() - c0, time.perf_counter() - t0


def run() -> None:
    from services.aml.matching import Matcher

    rows = _rows()
    entries = _entries()
    t0 = time.perf_counter()
    matcher = Matcher(entries)
    build_s = time.perf_counter() - t0
    note(f"aml_screening: {len(entries)} entries, {len(matcher.names)} names indexed in {build_s:.1f} s; "
         f"{len(rows)} labelled names")

    def ours(r):
        birth = date.fromisoformat(r["birth_date"]) if r["birth_date"] else None
        return {(m.entry.list_code, m.entry.entry_id)
                for m in matcher.screen(r["name"], birth_date=birth, nationality=r["nationality"] or None)}

    ours(rows[0])  # warm caches (territories, pinyin dictionaries)
    found, cpu, wall = _timed(ours, rows)
    quality = _quality(rows, found)

    # Baseline 1: a plain rapidfuzz scan of every listed name.
    from rapidfuzz import fuzz, process, utils

    names = [n for e in entries for n, _ in e.names]
    owner = [(e.list_code, e.entry_id) for e in entries for _ in e.names]
    processed = [utils.default_process(n) for n in names]

    def scan(r):
        best = process.extractOne(utils.default_process(r["name"]), processed, scorer=fuzz.token_sort_ratio,
                                  score_cutoff=RAPIDFUZZ_CUTOFF, processor=None)
        return {owner[best[2]]} if best else set()

    scan_rows = rows[::4]  # a full scan is slow: every fourth name is enough to time it
    scan_found, scan_cpu, scan_wall = _timed(scan, scan_rows)
    scan_quality = _quality(scan_rows, scan_found)
    ours_on_same = _quality(scan_rows, found[::4])

    emit("aml_screening", names=len(rows), list_entries=len(entries), list_names=len(matcher.names),
         index_build_s=round(build_s, 2),
         names_per_second=round(len(rows) / cpu, 1), names_per_second_wall=round(len(rows) / wall, 1),
         **quality,
         baseline="plain rapidfuzz scan (token-sort ratio over every listed name, cutoff 85) on every fourth "
                  f"name ({len(scan_rows)})",
         baseline_names_per_second=round(len(scan_rows) / scan_cpu, 1),
         baseline_recall=scan_quality["recall"], baseline_precision=scan_quality["precision"],
         ours_on_baseline_rows={"recall": ours_on_same["recall"], "precision": ours_on_same["precision"]},
         ratio=round((len(rows) / cpu) / (len(scan_rows) / scan_cpu), 1),
         target={"names_per_second": 5000, "recall": 0.98, "precision": 0.90})
    _nomenklatura(rows, entries, matcher, found)


def _nomenklatura(rows, entries, matcher, ours_found) -> None:
    try:
        from followthemoney import model
        from nomenklatura.matching import LogicV2, ScoringConfig
    except ImportError:
        note("aml_screening_nomenklatura: nomenklatura is not installed (pip install -e '.[bench]'; make bench does)")
        emit("aml_screening_nomenklatura", skipped="nomenklatura not installed (the bench extra)")
        return
    from services.aml.matching import _analyze, pinyin_forms

    config = ScoringConfig.defaults()
    proxies: dict[int, object] = {}

    def proxy(i):
        if i not in proxies:
            e = entries[i]
            p = model.make_entity("Person" if e.kind == "person" else "Organization" if e.kind == "entity"
                                  else "LegalEntity")
            p.id = f"{e.list_code}-{e.entry_id}"
            for n, quality in e.names:
                p.add("name" if quality != "weak" else "weakAlias", n)
            if e.kind == "person":
                for d in e.birth_dates:
                    p.add("birthDate", d)
                for c in e.nationalities:
                    p.add("nationality", c)
            proxies[i] = p
        return proxies[i]

    serial = iter(range(1, 10**9))

    def theirs(r):
        q = model.make_entity("Person")
        q.id = f"query-{next(serial)}"  # nomenklatura caches what it derives from an entity by its id
        q.add("name", r["name"])
        for f in pinyin_forms(r["name"]):
            q.add("alias", f)
        if r["birth_date"]:
            q.add("birthDate", r["birth_date"])
        if r["nationality"]:
            q.add("nationality", r["nationality"])
        candidates = set()
        for form in [r["name"]] + pinyin_forms(r["name"]):
            for qname in _analyze(form, None, query=True):
                candidates |= {matcher.names[ni].entry for ni in matcher._candidates(qname)}
        hits = set()
        for i in candidates:
            if LogicV2.compare(q, proxy(i), config).score >= NOMENKLATURA_THRESHOLD:
                hits.add((entries[i].list_code, entries[i].entry_id))
        return hits

    sample = rows[::3]  # pairwise scoring is slow: every third name
    theirs(sample[0])
    found, cpu, wall = _timed(theirs, sample)
    quality = _quality(sample, found)
    same = _quality(sample, ours_found[::3])
    emit("aml_screening_nomenklatura", names=len(sample), matcher="nomenklatura LogicV2 over the candidates our "
         "index proposes, threshold 0.7", names_per_second=round(len(sample) / cpu, 1),
         recall=quality["recall"], precision=quality["precision"], recall_by_variant=quality["recall_by_variant"],
         baseline="ours on the same names", baseline_recall=same["recall"], baseline_precision=same["precision"],
         ratio_recall=round(quality["recall"] / max(same["recall"], 1e-9), 3))
