"""The custom-field and consent demo data: valid by the same rules as user input, and where a
demo user will look for it (the `rm` user's customers)."""
from __future__ import annotations

import pytest
from sqlalchemy import func, select
from sqlmodel import Session

from services import migrations
from services.customers import custom_fields as cf
from services.customers.models import ConsentRecord, Customer, CustomFieldDefinition
from services.db import make_engine
from services.demo import customers as fields_demo
from services.demo.seed import seed_demo
from services.security.auth import actor_for_user
from services.security.models import User
from services.settings import reset_settings


@pytest.fixture(scope="module")
def demo_engine(tmp_path_factory):
    data_dir = tmp_path_factory.mktemp("fields-demo")
    with pytest.MonkeyPatch.context() as mp:
        mp.setenv("FINCRM_DEMO", "1")
        mp.setenv("FINCRM_DATA_DIR", str(data_dir))
        mp.delenv("FINCRM_ENCRYPTION_KEYS", raising=False)
        reset_settings()
        url = f"sqlite:///{data_dir / 'demo.db'}"
        migrations.upgrade(url)
        engine = make_engine(url)
        result = seed_demo(customers=200, engine=engine)
        yield engine, result
        engine.dispose()
    reset_settings()


def test_demo_definitions_pass_the_admin_rules(demo_engine):
    engine, result = demo_engine
    assert result.features["custom_fields"] == len(fields_demo.FIELDS)
    with Session(engine) as s:
        defs = s.execute(select(CustomFieldDefinition)).scalars().all()
        assert {d.key for d in defs} == {f["key"] for f in fields_demo.FIELDS}
        for d in defs:
            data = {k: getattr(d, k) for k in ("key", "label", "label_en", "field_type", "applies_to", "choices",
                                               "required", "min_value", "max_value", "max_length", "visible_to",
                                               "editable_by", "position")}
            spec = cf.FieldDefinitionCreate.model_validate(data)
            errors = []
            cf._check_definition(spec.field_type, spec, errors)
            assert errors == [], (d.key, errors)


def test_demo_values_are_valid_and_the_rm_sees_them(demo_engine):
    engine, result = demo_engine
    with Session(engine) as s:
        rm = actor_for_user(s.execute(select(User).where(User.username == "rm")).scalar_one())
        rows = s.execute(select(Customer.kind, Customer.custom, Customer.owner_id)).all()
        with_values = [r for r in rows if r.custom]
        assert len(with_values) == result.features["customers_with_custom_values"] >= len(rows) // 2
        for kind, custom, _ in with_values:
            # re-validating what is stored changes nothing: the demo data obeys the input rules
            assert cf.clean_custom_values(s, rm, kind=kind, values=custom, current={}) == custom
        mine = [r for r in rows if r.owner_id == rm.id]
        # the rm's whole core book (80 individuals) has values; later feature seeders may add more customers
        complete = [r for r in mine if r.custom.get("private_banking") and r.custom.get("annual_income")]
        assert len(complete) >= 80
        shown = cf.present_custom_values(s, rm, "individual", complete[0].custom)
        assert [v.key for v in shown] == ["private_banking", "annual_income", "risk_note", "interests"]
        consents = s.execute(select(func.count()).select_from(ConsentRecord)).scalar_one()
        # The customers' consents, and the withdrawals of those who asked not to be contacted (services/demo/activities.py).
        assert consents == result.features["consent_records"] + result.features["do_not_contact_consent_records"]
        assert result.features["consent_records"] > len(rows)

