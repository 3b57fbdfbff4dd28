"""Insurance underwriting, the second definition on the same engine: the health questionnaire is triaged by
the DMN table (accept automatically, decline automatically, or refer to an underwriter), the underwriter
accepts, declines or returns it for a complete questionnaire, within his authority."""
from __future__ import annotations


import pytest

from services.errors import ValidationFailed
from services.underwriting import service as uw
from services.workflows import engine
from services.workflows.instances import NoAuthority

from workflow_helpers import decide, wf_actors  # noqa: F401 - fixture

HEALTHY = {"product_type": "health", "sum_insured": "500000", "height_cm": 175, "weight_kg": "70",
           "smoker": False, "conditions": [], "hospitalised": False}


@pytest.fixture(autouse=True)
def _fresh_engine_cache():
    engine.forget_compiled()
    yield
    engine.forget_compiled()


def submit(uow_factory, actor, customer_id, **changes):
    with uow_factory() as uow:
        view = uw.submit_case(uow=uow, actor=actor, customer_id=customer_id, data={**HEALTHY, **changes})
        uow.commit()
        return view


def get(uow_factory, actor, case_id):
    with uow_factory() as uow:
        return uw.get_case(uow=uow, actor=actor, case_id=case_id)


def test_a_healthy_applicant_is_accepted_automatically(uow_factory, wf_actors, new_customer):
    c = new_customer("rm_a1")  # born 1985
    view = submit(uow_factory, wf_actors["rm_a1"], c.id)
    assert (view.triage, view.status, view.risk_grade) == ("accept", "accepted", "standard")
    assert view.current_steps == [] and str(view.bmi) == "22.86"


def test_a_bmi_of_40_is_declined_automatically(uow_factory, wf_actors, new_customer):
    view = submit(uow_factory, wf_actors["rm_a1"], new_customer("rm_a1").id, weight_kg="125", height_cm=175)
    assert (view.triage, view.status) == ("decline", "declined")


def test_a_smoker_with_a_condition_is_referred_and_the_underwriter_decides(uow_factory, wf_actors, new_customer):
    view = submit(uow_factory, wf_actors["rm_a1"], new_customer("rm_a1").id, smoker=True,
                  conditions=["hypertension"])
    assert (view.triage, view.status) == ("refer", "referred")
    assert [s["roles"] for s in view.current_steps] == [["underwriter"]]
    # An underwriter of every branch sees it; a loan approver does not (not his role).
    decide(uow_factory, wf_actors["uw"], view.current_steps[0]["task_id"], "approve", "加费承保")
    done = get(uow_factory, wf_actors["rm_a1"], view.id)
    assert done.status == "accepted" and done.decisions[0]["decision"] == "approve"


def test_the_underwriter_returns_it_and_the_complete_questionnaire_is_triaged_again(uow_factory, wf_actors,
                                                                                    new_customer):
    view = submit(uow_factory, wf_actors["rm_a1"], new_customer("rm_a1").id, hospitalised=True)
    decide(uow_factory, wf_actors["uw"], view.current_steps[0]["task_id"], "return", "请说明住院原因")
    returned = get(uow_factory, wf_actors["rm_a1"], view.id)
    assert returned.status == "returned"
    with uow_factory() as uow:
        again = uw.resubmit_case(uow=uow, actor=wf_actors["rm_a1"], case_id=view.id, version=returned.version,
                                 data=HEALTHY)
        uow.commit()
    assert (again.triage, again.status) == ("accept", "accepted")


def test_a_sum_beyond_the_underwriters_authority_needs_someone_else(uow_factory, wf_actors, new_customer):
    view = submit(uow_factory, wf_actors["rm_a1"], new_customer("rm_a1").id, sum_insured="3000000",
                  product_type="critical_illness")
    assert view.status == "referred"
    with pytest.raises(NoAuthority):
        decide(uow_factory, wf_actors["uw"], view.current_steps[0]["task_id"])
    decide(uow_factory, wf_actors["uw"], view.current_steps[0]["task_id"], "reject", "保额超出核保权限且风险较高")
    assert get(uow_factory, wf_actors["rm_a1"], view.id).status == "declined"


def test_bad_questionnaires_are_refused(uow_factory, wf_actors, new_customer):
    c = new_customer("rm_a1")
    for changes in ({"height_cm": 20}, {"conditions": ["flu"]}, {"product_type": "car"}, {"sum_insured": "0"},
                    {"smoker": "maybe"}):
        with pytest.raises(ValidationFailed):
            submit(uow_factory, wf_actors["rm_a1"], c.id, **changes)


def test_the_birth_date_is_needed(uow_factory, wf_actors, new_customer, connection):
    from sqlalchemy import update

    from services.customers.models import Customer

    c = new_customer("rm_a1")
    connection.execute(update(Customer).where(Customer.id == c.id).values(birth_date=None))
    with pytest.raises(uw.BirthDateRequired):
        submit(uow_factory, wf_actors["rm_a1"], c.id)


def test_list_in_scope(uow_factory, wf_actors, new_customer):
    submit(uow_factory, wf_actors["rm_a1"], new_customer("rm_a1").id)
    submit(uow_factory, wf_actors["rm_b1"], new_customer("rm_b1").id, smoker=True)
    with uow_factory() as uow:
        assert [c["status"] for c in uw.list_cases(uow=uow, actor=wf_actors["rm_a1"])] == ["accepted"]
        assert len(uw.list_cases(uow=uow, actor=wf_actors["uw"])) == 2
        assert uw.list_cases(uow=uow, actor=wf_actors["uw"], status="referred")[0]["triage"] == "refer"


def test_an_overdue_referral_escalates_to_the_committee_who_may_decide_it(uow_factory, wf_actors, new_customer,
                                                                         connection, monkeypatch):
    from datetime import timedelta

    import services.db as db
    from services import clock
    from services.workflows import inbox, jobs

    monkeypatch.setattr(db, "get_engine", lambda url=None: connection)
    t0 = clock.now().replace(microsecond=0)
    with clock.fixed(t0):
        view = submit(uow_factory, wf_actors["rm_a1"], new_customer("rm_a1").id, smoker=True, sum_insured="3000000",
                      product_type="critical_illness")
    task = view.current_steps[0]["task_id"]
    with clock.fixed(t0 + timedelta(hours=49)):
        assert jobs.run_sla()["escalated"] == 1
        with uow_factory() as uow:
            assert [i.task_id for i in inbox.inbox(uow=uow, actor=wf_actors["cc"]).items] == [task]
        # Beyond the underwriter's 2,000,000 for critical illness, within the committee's authority.
        decide(uow_factory, wf_actors["cc"], task, "approve", "委员会同意加费承保")
    assert get(uow_factory, wf_actors["rm_a1"], view.id).status == "accepted"
