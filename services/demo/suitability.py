"""Demo data for suitability: every product with an issuer and both regimes covering R1-R5, an assessment
behind every assessed customer (the demo `rm` has customers at every level C1-C5, each valid and expired),
professional investors with their evidence, sales at every stage (waiting for a signature, for a recording,
a recording waiting for compliance, in review, cooling off, effective, cancelled, rejected), an open
questionnaire link with answers given so far and its code in the outbox, and the expiry reminders.

Sales go through the real use cases in the seed's transaction (the signed disclosures are real PDFs, signed
with the demo firm certificate), with the clock set back where a sale must have happened days ago.
"""
from __future__ import annotations

import random
from datetime import date, datetime, time, timedelta
from typing import Any

from sqlalchemy import insert, select, update
from sqlmodel import Session

from services import clock, documents
from services.customers.models import Customer, Document
from services.demo.unit_of_work import SeedUnitOfWork
from services.portfolio.models import Product
from services.security.auth import actor_for_user
from services.security.models import User
from services.suitability import jobs, links, recordings, sales, scoring
from services.suitability.definitions import CriteriaDefinition, QuestionnaireDefinition
from services.suitability.models import (InvestorClassification, InvestorCriteria, Questionnaire, QuestionnaireLink,
                                         RiskAssessment, VersionStatus)
from services.suitability.rules import age_on

ISSUERS = {"DP": "本行", "MM": "华夏基金管理有限公司", "WM": "本行理财子公司", "BD": "财政部 / 中债登", "FD": "易方达基金管理有限公司",
           "EQ": "上海证券交易所 / 深圳证券交易所", "PE": "中金资本运营有限公司", "IN": "中国人寿保险股份有限公司"}
# So that both regimes hold products at every level R1-R5 (bank wealth management has no R4 product otherwise).
EXTRA_PRODUCTS = [("WM0R40", "权益增强理财(一年期)", "Equity Plus 1-Year Wealth", "wealth", "R4", 365),
                  ("WM0R41", "量化对冲理财", "Quantitative Hedge Wealth", "wealth", "R4", 540)]
MP4_HEAD = b"\x00\x00\x00\x20ftypisom\x00\x00\x02\x00isomiso2avc1mp41"


def _signature(rng: random.Random) -> dict[str, Any]:
    """A finger signature as the pad sends it: a few strokes and the image."""
    import base64
    import struct
    import zlib

    strokes, t = [], 1_700_000_000_000
    for s in range(3):
        points = []
        for i in range(14):
            t += 16
            points.append({"x": 30 + s * 90 + i * 5, "y": 60 + rng.randint(-18, 18), "time": t,
                           "pressure": 0.5})
        strokes.append({"penColor": "black", "points": points})
    w, h = 320, 120
    raw = b"".join(b"\x00" + bytes([0 if abs(y - 60 - (x % 37) + 18) < 2 else 255 for x in range(w)]) for y in range(h))

    def chunk(kind: bytes, data: bytes) -> bytes:
        return struct.pack(">I", len(data)) + kind + data + struct.pack(">I", zlib.crc32(kind + data) & 0xFFFFFFFF)

    png = (b"\x89PNG\r\n\x1a\n" + chunk(b"IHDR", struct.pack(">IIBBBBB", w, h, 8, 0, 0, 0, 0))
           + chunk(b"IDAT", zlib.compress(raw)) + chunk(b"IEND", b""))
    return {"strokes": strokes, "image": "data:image/png;base64," + base64.b64encode(png).decode("ascii")}


def _answers_for(defn: QuestionnaireDefinition, level: str, age: int | None, rng: random.Random) -> dict[str, str]:
    """Answers whose score gives `level`: each question answered near the band's share of its points, with some
    noise, until the score lands in the band (a knock-out or the age cap can make a level unreachable: then
    the closest found)."""
    band = next(b for b in defn.bands if b.level == level)
    best, best_gap = None, None
    for _ in range(200):
        share = rng.uniform(band.min_score, band.max_score) / max(defn.max_score, 1)
        answers = {}
        for q in defn.questions:
            most = max(o.points for o in q.options) or 1
            weights = [1.0 / (0.05 + abs(o.points / most - share)) for o in q.options]
            answers[q.key] = rng.choices(q.options, weights=weights)[0].key
        outcome = scoring.score(defn, answers, age=age)
        if outcome.level == level:
            return answers
        gap = abs(int(outcome.level[1]) - int(level[1]))
        if best_gap is None or gap < best_gap:
            best, best_gap = answers, gap
    return best


def _products(session: Session) -> int:
    for prefix, issuer in ISSUERS.items():
        session.execute(update(Product).where(Product.code.startswith(prefix), Product.issuer.is_(None))
                        .values(issuer=issuer))
    have = set(session.execute(select(Product.code)).scalars())
    rows = [{"code": c, "name": n, "name_en": ne, "product_type": t, "risk_level": r, "term_days": d, "currency": "CNY",
             "is_active": True, "is_premium": False, "issuer": ISSUERS["WM"]}
            for c, n, ne, t, r, d in EXTRA_PRODUCTS if c not in have]
    if rows:
        session.execute(insert(Product), rows)
    return len(rows)


def _assessments(session: Session, rng: random.Random, today: date, rm_id: int) -> int:
    questionnaires = {q.audience: q for q in session.execute(
        select(Questionnaire).where(Questionnaire.status == VersionStatus.ACTIVE)).scalars()}
    definitions = {a: QuestionnaireDefinition.model_validate(q.definition) for a, q in questionnaires.items()}
    customers = session.execute(select(Customer.id, Customer.kind, Customer.birth_date, Customer.risk_level,
                                       Customer.risk_valid_until, Customer.owner_id)
                                .where(Customer.risk_level.is_not(None)).order_by(Customer.id)).all()
    # The demo rm's first ten individuals: C1..C5, each once valid and once expired.
    planned: dict[int, tuple[str, date]] = {}
    own = [c for c in customers if c.owner_id == rm_id and c.kind == "individual"
           and (c.birth_date is None or age_on(c.birth_date, today) < 65)][:10]
    for i, c in enumerate(own):
        level = f"C{i % 5 + 1}"
        until = today + timedelta(days=40 + 60 * (i % 5)) if i < 5 else today - timedelta(days=15 + 30 * (i % 5))
        planned[c.id] = (level, until)
    rows, changed = [], []
    for c in customers:
        level, until = planned.get(c.id, (c.risk_level, c.risk_valid_until))
        defn = definitions[c.kind]
        age = age_on(c.birth_date, today) if c.kind == "individual" and c.birth_date else None
        answers = _answers_for(defn, level, age, rng)
        outcome = scoring.score(defn, answers, age=age)
        questionnaire = questionnaires[c.kind]
        assessed_day = links.add_months(until, -questionnaire.validity_months)
        assessed_at = datetime.combine(assessed_day, time(10, rng.randrange(60)), clock.zone()).astimezone(clock.UTC)
        rows.append({"customer_id": c.id, "questionnaire_id": questionnaire.id, "answers": answers,
                     "score": outcome.score, "level": outcome.level, "score_level": outcome.score_level,
                     "caps": [x.as_dict() for x in outcome.caps], "assessed_at": assessed_at, "valid_until": until,
                     "channel": "branch", "link_id": None, "signature_id": None, "recorded_by": str(c.owner_id)})
        if outcome.level != c.risk_level or until != c.risk_valid_until:
            changed.append({"id": c.id, "risk_level": outcome.level, "risk_valid_until": until})
    for i in range(0, len(rows), 2000):
        session.execute(insert(RiskAssessment), rows[i:i + 2000])
    if changed:
        session.execute(update(Customer), changed)
    return len(rows)


def _professionals(session: Session, today: date, rm_id: int, now: datetime) -> int:
    criteria = {c.audience: c for c in session.execute(
        select(InvestorCriteria).where(InvestorCriteria.status == VersionStatus.ACTIVE)).scalars()}
    picks = session.execute(select(Customer.id, Customer.kind).where(Customer.owner_id == rm_id)
                            .order_by(Customer.id.desc()).limit(2)).all()
    picks += session.execute(select(Customer.id, Customer.kind).where(Customer.kind == "institution")
                             .order_by(Customer.id).limit(1)).all()
    made = 0
    for customer_id, kind in picks:
        c = criteria[kind]
        defn = CriteriaDefinition.model_validate(c.definition)
        met = [g.any_of[0] for g in defn.groups]
        evidence: dict[str, list[int]] = {}
        for key in dict.fromkeys(met):
            text = f"%PDF-1.4\n% FinCRM demo evidence: {key} for customer {customer_id}\n%%EOF\n".encode()
            digest = documents.write_blob(text)
            doc = Document(customer_id=customer_id, kind="other", filename=f"证明材料-{key}.pdf",
                           content_type="application/pdf", sha256=digest, size=len(text), uploaded_by="demo",
                           uploaded_at=now)
            session.add(doc)
            session.flush()
            evidence[key] = [doc.id]
        session.add(InvestorClassification(customer_id=customer_id, criteria_id=c.id, met=sorted(set(met)),
                                           evidence=evidence, status="approved", decided_by="compliance",
                                           decided_at=now, valid_until=links.add_months(today, c.validity_months),
                                           note="演示数据：材料齐全 Demo: evidence on file"))
        made += 1
    session.flush()
    return made


def _sales(session: Session, rng: random.Random, rm, compliance, anchor: datetime) -> int:
    uow = SeedUnitOfWork(session)
    today = clock.local_date(anchor)
    # One customer per valid level, under 65 (no age rule adds steps), not a professional investor.
    professionals = set(session.execute(select(InvestorClassification.customer_id)).scalars())
    valid: dict[str, int] = {}
    for cid, level, birth in session.execute(
            select(Customer.id, Customer.risk_level, Customer.birth_date).where(
                Customer.owner_id == rm.id, Customer.kind == "individual", Customer.risk_valid_until >= today)
            .order_by(Customer.id)).all():
        if cid not in professionals and (birth is None or age_on(birth, today) < 65):
            valid.setdefault(level, cid)
    checklist = {i.key: True for i in recordings.checklist_items(session, None)}
    made = 0

    def propose(customer_id, code, amount, locale="zh_CN"):
        return sales.propose_sale(uow=uow, actor=rm, customer_id=customer_id, product_code=code, amount=amount,
                                  locale=locale)

    def sign(sale, **kw):
        return sales.sign_sale(uow=uow, actor=rm, sale_id=sale.id, version=sale.version, signature=_signature(rng),
                               ip="10.0.0.8", **kw)

    def record(sale):
        data = MP4_HEAD + bytes(rng.randrange(256) for _ in range(2048))
        rec = recordings.start_upload(uow=uow, actor=rm, sale_id=sale.id, filename="双录-现场.mp4", size=len(data))
        recordings.append_chunk(uow=uow, actor=rm, recording_id=rec.id, offset=0, data=data)
        return recordings.finish_upload(uow=uow, actor=rm, recording_id=rec.id)

    c5, c4, c3, c2 = valid.get("C5"), valid.get("C4"), valid.get("C3"), valid.get("C2")
    if c4:
        propose(c4, "FD0301", "200000.00")  # waiting for the customer's signature
        made += 1
    if c5:
        sign(propose(c5, "FD0401", "500000.00"))  # R4: waiting for its recording
        s = sign(propose(c5, "FD0502", "300000.00", locale="en"))  # R5: its recording waits for compliance
        record(s)
        made += 2
    def recorded_and_approved(sale):
        """Where the rules ask for a recording: uploaded and approved by compliance (the sale moves on)."""
        if sale.status == "recording_pending":
            rec = record(sale)
            recordings.review_recording(uow=uow, actor=compliance, recording_id=rec.id, checklist=checklist,
                                        approve=True)
        return sales.get_sale(uow=uow, actor=compliance, sale_id=sale.id)

    if c3:
        # Above C3 (a signed warning; R4 needs a recording): left in compliance review.
        recorded_and_approved(sign(propose(c3, "FD0402", "100000.00"), warning_acknowledged=True))
        made += 1
    if c2:
        s = recorded_and_approved(sign(propose(c2, "FD0201", "80000.00"), warning_acknowledged=True))
        if s.status == "review_pending":  # R3 above C2: compliance rejects it
            sales.review_sale(uow=uow, actor=compliance, sale_id=s.id, version=s.version, approve=False,
                              note="客户不能说明购买理由，风险揭示不充分，退回")
        made += 1
    for level in ("C3", "C4", "C5"):  # deposits: no recording, straight into cooling-off
        if level in valid:
            sign(propose(valid[level], "DP1Y001", "50000.00"))
            made += 1
            break
    if c5:
        with clock.fixed(anchor - timedelta(days=3)):  # signed days ago: the cooling-off period is over
            sign(propose(c5, "DP3Y001", "1000000.00"))
        sales.complete_cooling_off(uow)
        s = sign(propose(c5, "DP7D001", "20000.00"))
        sales.cancel_sale(uow=uow, actor=rm, sale_id=s.id, version=s.version, reason="客户在冷静期内致电撤销")
        made += 2
    return made


def _open_link(session: Session, rm, rng: random.Random) -> int:
    """One customer in the middle of the questionnaire: a link, identity confirmed (the code in the
    outbox), four questions answered."""
    uow = SeedUnitOfWork(session)
    from services.customers.pii import stored_id_number

    target = session.execute(select(Customer).where(Customer.owner_id == rm.id, Customer.kind == "individual",
                                                    Customer.phone_enc.is_not(None))
                             .order_by(Customer.id.desc()).offset(3).limit(1)).scalars().first()
    if target is None:
        return 0
    issued = links.issue_link(uow=uow, actor=rm, customer_id=target.id)
    challenge = links.confirm_identity(uow=uow, token=issued.token, name=target.name,
                                       id_last6=stored_id_number(target)[-6:], ip="10.0.0.9")
    link = session.get(QuestionnaireLink, issued.link_id)
    q = session.get(Questionnaire, link.questionnaire_id)
    defn = QuestionnaireDefinition.model_validate(q.definition)
    link.draft = {question.key: rng.choice(question.options).key for question in defn.questions[:4]}
    link.draft_version = 4
    session.add(link)
    session.flush()
    return 1 if challenge else 0


def seed(session: Session, *, rng: random.Random, anchor: datetime) -> dict[str, int]:
    today = clock.local_date(anchor)
    users = {u.username: u for u in session.execute(select(User).where(User.username.in_(["rm", "compliance"])))
             .scalars()}
    if "rm" not in users:
        return {}
    rm, compliance = actor_for_user(users["rm"]), actor_for_user(users["compliance"])
    counts = {"suitability_products_added": _products(session)}
    session.flush()
    counts["risk_assessments"] = _assessments(session, rng, today, rm.id)
    counts["professional_investors"] = _professionals(session, today, rm.id, anchor)
    counts["sales"] = _sales(session, rng, rm, compliance, anchor)
    counts["questionnaire_links"] = _open_link(session, rm, rng)
    counts["assessment_reminders"] = jobs.remind_expiring(SeedUnitOfWork(session))
    return counts
