"""Screening against the lists in force: the matcher built from the database, and the hits it leaves.

The matcher (services/aml/matching.py) is built once per list generation — the (code, version, file hash)
of every list in force — and shared by the process's threads; a list update changes the generation, and the
next screening rebuilds it.
"""
from __future__ import annotations

import threading
from dataclasses import dataclass
from datetime import date, timedelta
from typing import Iterable

from sqlalchemy import select, update
from sqlmodel import Session

from services import clock
from services.aml.matching import HIT, Match, MatchEntry, Matcher
from services.aml.models import HitStatus, ScreeningHit, Watchlist, WatchlistEntry
from services.customers.models import Customer
from services.security import audit
from services.security.actor import Actor
from services.security.models import Role

# Who the AML domain's own work (screening, monitoring, rating) is audited as.
AML_ACTOR = Actor(kind="system", id=None, name="aml", roles=frozenset({Role.COMPLIANCE.value}))

HIT_SLA = timedelta(hours=24)  # a likely hit is reviewed within a day
POSSIBLE_SLA = timedelta(hours=72)

_lock = threading.Lock()
_cached: tuple[tuple, Matcher] | None = None


def generation(session: Session) -> tuple:
    return tuple(session.execute(select(Watchlist.code, Watchlist.version, Watchlist.source_sha256)
                                 .order_by(Watchlist.code)).all())


def matcher(session: Session) -> Matcher | None:
    """The matcher over every list in force (None when no list is loaded)."""
    global _cached
    gen = generation(session)
    if not gen:
        return None
    cached = _cached
    if cached is not None and cached[0] == gen:
        return cached[1]
    with _lock:
        cached = _cached
        if cached is not None and cached[0] == gen:
            return cached[1]
        codes = {wid: (code, version) for wid, code, version in
                 session.execute(select(Watchlist.id, Watchlist.code, Watchlist.version)).all()}
        entries = [MatchEntry(key=row.id, list_code=codes[row.watchlist_id][0], entry_id=row.entry_id, kind=row.kind,
                              names=tuple((n[0], n[1]) for n in row.names), birth_dates=tuple(row.birth_dates),
                              nationalities=tuple(row.nationalities))
                   for row in session.execute(select(WatchlistEntry).order_by(WatchlistEntry.id)).scalars()]
        built = Matcher(entries)
        _cached = (gen, built)
        return built


def list_versions(session: Session) -> dict[str, int]:
    return dict(session.execute(select(Watchlist.code, Watchlist.version)).all())


# ---------------------------------------------------------------- customers

def customer_nationality(c: Customer) -> str | None:
    """What the customer record says of nationality: a PRC resident ID means Chinese; other documents say
    nothing certain."""
    return "cn" if c.id_type == "resident_id" else None


def customer_kind(c: Customer) -> str:
    return "person" if c.kind == "individual" else "entity"


@dataclass
class Screened:
    customer_id: int
    matches: list[Match]
    new_hits: int


def screen_customer(session: Session, m: Matcher, c: Customer, versions: dict[str, int]) -> Screened:
    """Screen one customer by name (with birth date and nationality) and record what needs review: new hits
    open; an open hit that still matches is refreshed; one that no longer does is withdrawn; a hit a reviewer
    already decided keeps the decision."""
    matches = m.screen(c.name, birth_date=c.birth_date, nationality=customer_nationality(c), kind=customer_kind(c))
    new = record_hits(session, customer_id=c.id, subject_type="customer", subject_name=c.name, matches=matches,
                      versions=versions, transaction_id=None)
    keep = {(x.entry.list_code, x.entry.entry_id) for x in matches}
    stale = [h for h in session.execute(select(ScreeningHit).where(
        ScreeningHit.customer_id == c.id, ScreeningHit.subject_type == "customer",
        ScreeningHit.status == HitStatus.OPEN)).scalars()
        if (h.list_code, h.entry_id) not in keep or h.subject_name != c.name]
    for h in stale:
        h.status, h.reason, h.reviewed_at = HitStatus.WITHDRAWN, "aml.hit_withdrawn", clock.now()
        session.add(h)
    return Screened(c.id, matches, new)


def record_hits(session: Session, *, customer_id: int, subject_type: str, subject_name: str,
                matches: Iterable[Match], versions: dict[str, int], transaction_id: int | None) -> int:
    now = clock.now()
    new = 0
    for match in matches:
        e = match.entry
        existing = session.execute(select(ScreeningHit).where(
            ScreeningHit.customer_id == customer_id, ScreeningHit.subject_type == subject_type,
            ScreeningHit.subject_name == subject_name[:200], ScreeningHit.list_code == e.list_code,
            ScreeningHit.entry_id == e.entry_id)).scalar_one_or_none()
        explanation = match.explanation()
        if existing is None:
            session.add(ScreeningHit(
                customer_id=customer_id, subject_type=subject_type, subject_name=subject_name[:200],
                transaction_id=transaction_id, list_code=e.list_code, list_version=versions.get(e.list_code, 0),
                entry_id=e.entry_id, matched_name=match.matched_name[:500], score=round(match.score, 4),
                verdict=match.verdict, explanation=explanation, status=HitStatus.OPEN, found_at=now,
                due_at=now + (HIT_SLA if match.score >= HIT else POSSIBLE_SLA)))
            new += 1
            audit.record(session, AML_ACTOR, "aml.screening_hit", entity_type="customer", entity_id=customer_id,
                         changes={"subject": subject_type, "list": e.list_code, "entry_id": e.entry_id,
                                  "score": round(match.score, 3), "verdict": match.verdict,
                                  "transaction_id": transaction_id})
        elif existing.status in (HitStatus.OPEN, HitStatus.WITHDRAWN):
            existing.score, existing.verdict, existing.explanation = round(match.score, 4), match.verdict, explanation
            existing.matched_name, existing.list_version = match.matched_name[:500], versions.get(e.list_code, 0)
            if existing.status == HitStatus.WITHDRAWN:
                existing.status, existing.reason, existing.reviewed_at = HitStatus.OPEN, None, None
                existing.found_at, existing.due_at = now, now + (HIT_SLA if match.score >= HIT else POSSIBLE_SLA)
                new += 1
            session.add(existing)
    session.flush()
    return new


def withdraw_all_open(session: Session) -> None:
    """Nothing to screen against any more (never happens through the use cases: lists are replaced, not
    deleted); kept for tests that empty the lists."""
    session.execute(update(ScreeningHit).where(ScreeningHit.status == HitStatus.OPEN)
                    .values(status=HitStatus.WITHDRAWN, reason="aml.hit_withdrawn"))


def birth(value: str | None) -> date | None:
    if not value:
        return None
    try:
        return date.fromisoformat(value.strip())
    except ValueError:
        return None
