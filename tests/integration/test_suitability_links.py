"""The customer's door to a questionnaire, in services: a signed, single-use, 72-hour link; name and ID check;
a one-time code through the pluggable sender (default: the outbox staff see); a short-lived questionnaire
session; answers kept as they are given; a signed submission that writes the risk level through the
sanctioned writer. Tampered and expired links, wrong identities and codes, answers out of range, a missing
signature and a replayed submission are refused with a clear error, record nothing half-way, and are audited."""
from __future__ import annotations

import re
from datetime import date, timedelta

import pytest
from sqlalchemy import func, select

from services import clock
from services.customers.events import RiskLevelChanged
from services.customers.models import Customer
from services.db import UnitOfWork
from services.errors import ConcurrentModification, NotPermitted, OutOfScope, ValidationFailed
from services.events import bus
from services.suitability import links, otp
from services.suitability.models import (CustomerMessage, QuestionnaireLink, RiskAssessment, Signature)
from suitability_helpers import audit_rows, born, rows, signature

ID_LAST6 = lambda c_id_number: c_id_number[-6:]  # noqa: E731


@pytest.fixture
def customer(new_customer, connection):
    """An individual of 40 with a phone (rm_a1's), and their full ID number."""
    from conftest import valid_id

    number = valid_id(77)
    c = new_customer(name="王小明", id_number=number, phone="13800138077")
    return c, number


def _issue(uow_factory, actor, customer_id, **kw):
    with uow_factory() as uow:
        out = links.issue_link(uow=uow, actor=actor, customer_id=customer_id, **kw)
        uow.commit()
    return out


def _identify(uow_factory, token, name, last6, ip="203.0.113.5"):
    """The route's pattern: commit whatever the outcome (failures are counted)."""
    with uow_factory() as uow:
        try:
            out = links.confirm_identity(uow=uow, token=token, name=name, id_last6=last6, ip=ip)
        except (links.IdentityNotConfirmed, links.IdentityThrottled) as exc:
            uow.commit()
            return exc
        uow.commit()
        return out


def _code_from_outbox(connection, customer_id) -> str:
    body = connection.execute(select(CustomerMessage.body).where(CustomerMessage.customer_id == customer_id)
                              .order_by(CustomerMessage.id.desc())).scalars().first()
    return re.search(r"(\d{6})", body).group(1)


def _verify(uow_factory, token, challenge, code, ip="203.0.113.5"):
    with uow_factory() as uow:
        try:
            out = links.verify_code(uow=uow, token=token, challenge_secret=challenge, code=code, ip=ip)
        except (links.CodeNotAccepted, links.CodeExpired, links.IdentityThrottled) as exc:
            uow.commit()
            return exc
        uow.commit()
        return out


def _session(uow_factory, connection, c, number, actor):
    link = _issue(uow_factory, actor, c.id)
    ch = _identify(uow_factory, link.token, c.name, ID_LAST6(number))
    assert isinstance(ch, links.Challenge), ch
    return link, _verify(uow_factory, link.token, ch.secret, _code_from_outbox(connection, c.id))


def _answer_all(uow_factory, session_token, pick=-1) -> int:
    from services.suitability import defaults

    version = 0
    for q in defaults.INDIVIDUAL_QUESTIONNAIRE["definition"]["questions"]:
        with uow_factory() as uow:
            version = links.save_answer(uow=uow, session_token=session_token, question=q["key"],
                                        answer=q["options"][pick]["key"])
            uow.commit()
    return version


def test_the_whole_online_flow_sets_the_risk_level_through_the_sanctioned_writer(uow_factory, actors, customer,
                                                                                connection):
    c, number = customer
    link = _issue(uow_factory, actors["rm_a1"], c.id)
    assert link.url.startswith("http") and "/q/" in link.url and link.token in link.url
    assert link.qr_svg_data_uri.startswith("data:image/svg+xml")
    assert abs((link.expires_at - clock.now()) - timedelta(hours=72)) < timedelta(minutes=1)
    ch = _identify(uow_factory, link.token, "王小明", ID_LAST6(number).lower())  # case does not matter
    assert isinstance(ch, links.Challenge) and ch.sent_to == "138****8077"
    outbox = rows(connection, CustomerMessage)
    assert len(outbox) == 1 and outbox[0].sender == "outbox" and outbox[0].recipient_masked == "138****8077"
    session_token = _verify(uow_factory, link.token, ch.secret, _code_from_outbox(connection, c.id))
    assert isinstance(session_token, str)
    version = _answer_all(uow_factory, session_token)
    with uow_factory() as uow:
        preview = links.preview(uow=uow, session_token=session_token)
    assert preview.level == "C5" and "Aggressive" in preview.explanation_en
    seen = []
    bus.subscribe(RiskLevelChanged, lambda s, e: seen.append(e))
    try:
        with uow_factory() as uow:
            result = links.submit(uow=uow, session_token=session_token, draft_version=version, signature=signature())
            uow.commit()
    finally:
        bus._handlers[RiskLevelChanged].pop()
    assert result.level == "C5" and seen and seen[0].new_level == "C5"
    row = connection.execute(select(Customer.risk_level, Customer.risk_valid_until).where(Customer.id == c.id)).one()
    assert row.risk_level == "C5" and row.risk_valid_until == links.add_months(clock.today(), 12)
    (a,) = rows(connection, RiskAssessment)
    assert a.level == "C5" and a.channel == "online" and a.signature_id is not None
    (sig,) = rows(connection, Signature)
    assert sig.strokes[0]["points"][0][:2] == [10.0, 20.0] and len(sig.image_sha256) == 64
    assert audit_rows(connection, "assessment.complete")[-1].entity_id == str(c.id)
    risk = audit_rows(connection, "customer.risk_level")[-1]
    assert risk.actor_name == "suitability" and risk.actor_kind == "system"


def test_a_replayed_submission_is_refused_and_audited(uow_factory, actors, customer, connection):
    c, number = customer
    link, session_token = _session(uow_factory, connection, c, number, actors["rm_a1"])
    version = _answer_all(uow_factory, session_token, pick=0)
    with uow_factory() as uow:
        links.submit(uow=uow, session_token=session_token, draft_version=version, signature=signature())
        uow.commit()
    before = connection.execute(select(func.count()).select_from(RiskAssessment)).scalar_one()
    with pytest.raises(links.QuestionnaireSessionInvalid), uow_factory() as uow:
        links.submit(uow=uow, session_token=session_token, draft_version=version, signature=signature())
    assert connection.execute(select(func.count()).select_from(RiskAssessment)).scalar_one() == before == 1
    refused = audit_rows(connection, "access.refused")[-1]
    assert "questionnaire.session_invalid" in refused.changes and "ended" in refused.changes
    with pytest.raises(links.LinkInvalid), uow_factory() as uow:  # the link is used up
        links.link_is_open(uow=uow, token=link.token)


def test_tampered_expired_and_superseded_links_reveal_nothing(uow_factory, actors, customer, connection):
    c, number = customer
    link = _issue(uow_factory, actors["rm_a1"], c.id)
    tampered = link.token[:-2] + ("AA" if link.token[-2:] != "AA" else "BB")
    for token in (tampered, "x" * 40, "", None, 123, link.token + "x"):
        with pytest.raises(links.LinkInvalid) as e, uow_factory() as uow:
            links.confirm_identity(uow=uow, token=token, name=c.name, id_last6=ID_LAST6(number))
        assert e.value.message("en").startswith("This link is no longer valid")
    assert "tampered" in audit_rows(connection, "access.refused")[-1].changes
    with clock.fixed(clock.now() + timedelta(hours=72, seconds=1)):
        with pytest.raises(links.LinkInvalid), uow_factory() as uow:
            links.link_is_open(uow=uow, token=link.token)
    assert "expired" in audit_rows(connection, "access.refused")[-1].changes
    newer = _issue(uow_factory, actors["rm_a1"], c.id)
    with pytest.raises(links.LinkInvalid), uow_factory() as uow:
        links.link_is_open(uow=uow, token=link.token)
    with uow_factory() as uow:
        assert links.link_is_open(uow=uow, token=newer.token)


def test_wrong_identities_are_counted_audited_and_lock_the_link(uow_factory, actors, customer, connection):
    c, number = customer
    link = _issue(uow_factory, actors["rm_a1"], c.id)
    for attempt in range(links.MAX_IDENTITY_FAILURES):
        out = _identify(uow_factory, link.token, c.name, "000000", ip=f"198.51.100.{attempt}")
        assert isinstance(out, links.IdentityNotConfirmed)
    assert len(audit_rows(connection, "questionnaire.identity_failed")) == links.MAX_IDENTITY_FAILURES
    assert connection.execute(select(QuestionnaireLink.status).where(QuestionnaireLink.id == link.link_id)
                              ).scalar() == "locked"
    with pytest.raises(links.LinkInvalid), uow_factory() as uow:  # even the right answer no longer opens it
        links.confirm_identity(uow=uow, token=link.token, name=c.name, id_last6=ID_LAST6(number))
    assert connection.execute(select(func.count()).select_from(CustomerMessage)).scalar_one() == 0
    fresh = _issue(uow_factory, actors["rm_a1"], c.id)
    for bad in (("", "123456"), ("王小明", "12345"), ("王小明", "１２３４５６"), ("王\u202e小明", "123456"),
                ("x" * 101, "123456"), (None, None)):
        with pytest.raises(ValidationFailed), uow_factory() as uow:
            links.confirm_identity(uow=uow, token=fresh.token, name=bad[0], id_last6=bad[1])


def test_an_address_guessing_across_links_is_throttled(uow_factory, actors, customer, connection):
    """One machine trying link after link: the per-address limit (FINCRM_LOCKOUT_SOURCE_THRESHOLD) stops it,
    even though no single link reached its own lock."""
    from services.settings import get_settings

    c, number = customer
    outcomes = []
    for _ in range(get_settings().lockout_source_threshold + 1):
        link = _issue(uow_factory, actors["rm_a1"], c.id)
        outcomes.append(_identify(uow_factory, link.token, "陌生人", "999999", ip="192.0.2.9"))
    assert all(isinstance(o, links.IdentityNotConfirmed) for o in outcomes[:-1])
    assert isinstance(outcomes[-1], links.IdentityThrottled)
    assert "minutes" in outcomes[-1].message("en")
    # the customer, from their own phone's address, still gets in
    assert isinstance(_identify(uow_factory, link.token, c.name, ID_LAST6(number), ip="203.0.113.50"), links.Challenge)


def test_codes_are_single_use_limited_and_bound_to_the_browser(uow_factory, actors, customer, connection):
    c, number = customer
    link = _issue(uow_factory, actors["rm_a1"], c.id)
    ch = _identify(uow_factory, link.token, c.name, ID_LAST6(number))
    code = _code_from_outbox(connection, c.id)
    wrong = "000000" if code != "000000" else "111111"
    assert isinstance(_verify(uow_factory, link.token, "not-the-browser-secret-" + "x" * 20, code), links.CodeExpired)
    assert isinstance(_verify(uow_factory, link.token, ch.secret, wrong, ip="198.51.100.77"), links.CodeNotAccepted)
    token = _verify(uow_factory, link.token, ch.secret, code)
    assert isinstance(token, str)
    assert isinstance(_verify(uow_factory, link.token, ch.secret, code), links.CodeExpired)  # used
    ch2 = _identify(uow_factory, link.token, c.name, ID_LAST6(number))
    with clock.fixed(clock.now() + timedelta(minutes=links.CODE_MINUTES, seconds=1)):
        assert isinstance(_verify(uow_factory, link.token, ch2.secret, _code_from_outbox(connection, c.id)),
                          links.CodeExpired)


def test_answers_out_of_range_and_a_missing_signature_record_nothing(uow_factory, actors, customer, connection):
    c, number = customer
    link, session_token = _session(uow_factory, connection, c, number, actors["rm_a1"])
    for question, answer in (("age", "z"), ("age", ["a"]), ("nope", "a"), ("age", None), (["age"], "a")):
        with pytest.raises(ValidationFailed), uow_factory() as uow:
            links.save_answer(uow=uow, session_token=session_token, question=question, answer=answer)
    with uow_factory() as uow:
        version = links.save_answer(uow=uow, session_token=session_token, question="age", answer="b")
        uow.commit()
    with pytest.raises(ValidationFailed) as e, uow_factory() as uow:  # not every question answered
        links.submit(uow=uow, session_token=session_token, draft_version=version, signature=signature())
    assert {x.code for x in e.value.errors} == {"questionnaire.unanswered"}
    version = _answer_all(uow_factory, session_token)
    for bad in (None, {}, {"strokes": [], "image": signature()["image"]}, {"strokes": signature()["strokes"]},
                {**signature(), "image": "data:image/png;base64,AAAA"},
                {**signature(), "image": "data:image/svg+xml;base64,PHN2Zz4="},
                {**signature(), "extra": 1}, {"strokes": [{"points": [{"x": "1", "y": 2}]}], "image": ""}):
        with pytest.raises(ValidationFailed) as e, uow_factory() as uow:
            links.submit(uow=uow, session_token=session_token, draft_version=version, signature=bad)
        assert e.value.errors[0].field == "signature"
    with pytest.raises(ConcurrentModification), uow_factory() as uow:  # signs exactly the answers reviewed
        links.submit(uow=uow, session_token=session_token, draft_version=version - 1, signature=signature())
    assert connection.execute(select(func.count()).select_from(RiskAssessment)).scalar_one() == 0
    assert connection.execute(select(func.count()).select_from(Signature)).scalar_one() == 0
    assert connection.execute(select(Customer.risk_level).where(Customer.id == c.id)).scalar() is None


def test_leave_and_resume_keeps_the_answers(uow_factory, actors, customer, connection):
    c, number = customer
    link, first = _session(uow_factory, connection, c, number, actors["rm_a1"])
    with uow_factory() as uow:
        links.save_answer(uow=uow, session_token=first, question="age", answer="c")
        uow.commit()
    with uow_factory() as uow:
        links.end_session(uow=uow, session_token=first)
        uow.commit()
    with pytest.raises(links.QuestionnaireSessionInvalid), uow_factory() as uow:
        links.save_answer(uow=uow, session_token=first, question="age", answer="a")
    ch = _identify(uow_factory, link.token, c.name, ID_LAST6(number))
    second = _verify(uow_factory, link.token, ch.secret, _code_from_outbox(connection, c.id))
    with uow_factory() as uow:
        assert links.open_session(uow.session, second).link.draft == {"age": "c"}
    with clock.fixed(clock.now() + timedelta(minutes=links.SESSION_IDLE_MINUTES + 1)):
        with pytest.raises(links.QuestionnaireSessionInvalid), uow_factory() as uow:
            links.save_answer(uow=uow, session_token=second, question="age", answer="a")


def test_links_in_the_branch_and_of_other_rms(uow_factory, actors, customer, new_customer, connection):
    c, number = customer
    with pytest.raises(OutOfScope), uow_factory() as uow:
        links.issue_link(uow=uow, actor=actors["rm_b1"], customer_id=c.id)
    with pytest.raises(NotPermitted), uow_factory() as uow:
        links.issue_link(uow=uow, actor=actors["auditor"], customer_id=c.id)
    link = _issue(uow_factory, actors["rm_a1"], c.id, channel="branch")
    with pytest.raises(OutOfScope), uow_factory() as uow:
        links.start_in_branch(uow=uow, actor=actors["rm_b1"], token=link.token)
    with uow_factory() as uow:
        token = links.start_in_branch(uow=uow, actor=actors["rm_a1"], token=link.token)
        uow.commit()
    version = _answer_all(uow_factory, token, pick=1)
    with uow_factory() as uow:
        result = links.submit(uow=uow, session_token=token, draft_version=version, signature=signature())
        uow.commit()
    (a,) = rows(connection, RiskAssessment)
    assert a.channel == "branch" and a.recorded_by == str(actors["rm_a1"].id) and a.level == result.level
    assert audit_rows(connection, "questionnaire.identity_in_person")[-1].actor_id == str(actors["rm_a1"].id)


def test_no_phone_means_no_code_and_says_so(uow_factory, actors, new_customer, connection):
    from conftest import valid_id

    number = valid_id(88)
    c = new_customer(id_number=number, phone=None)
    link = _issue(uow_factory, actors["rm_a1"], c.id)
    with pytest.raises(links.NoPhoneOnFile) as e, uow_factory() as uow:
        links.confirm_identity(uow=uow, token=link.token, name=c.name, id_last6=number[-6:])
    assert "branch" in e.value.message("en")


def test_the_age_cap_applies_from_the_birth_date(uow_factory, actors, new_customer, connection):
    from services.customers.pii import stored_id_number

    c = new_customer(**born(date(1940, 1, 1)), phone="13800138099")
    with UnitOfWork(connection) as uow:
        full = stored_id_number(uow.session.get(Customer, c.id))
    link, token = _session(uow_factory, connection, c, full, actors["rm_a1"])
    version = _answer_all(uow_factory, token)
    with uow_factory() as uow:
        result = links.submit(uow=uow, session_token=token, draft_version=version, signature=signature())
        uow.commit()
    assert result.level == "C2" and result.caps and "70" in result.caps[0]["reason"]["en"]


def test_a_configured_sender_delivers_and_the_outbox_keeps_no_code(uow_factory, actors, customer, connection):
    c, number = customer
    sent = []

    class Gateway:
        name = "test-gateway"
        delivers = True

        def send(self, session, message):
            sent.append((message.phone, message.code))

    otp.use_sender(Gateway())
    try:
        link = _issue(uow_factory, actors["rm_a1"], c.id)
        ch = _identify(uow_factory, link.token, c.name, ID_LAST6(number))
    finally:
        otp.use_sender(None)
    assert sent and sent[0][0] == "13800138077"
    body = connection.execute(select(CustomerMessage.body)).scalar()
    assert sent[0][1] not in body
    assert isinstance(_verify(uow_factory, link.token, ch.secret, sent[0][1]), str)
