"""The demo shows the customer list's features: every customer's sort keys, the rm's saved views (one shared with
her team) and the branch manager's, and recently viewed customers (the rm's with 张三 last)."""
from __future__ import annotations

from datetime import date

import pytest
from sqlalchemy import func, select
from sqlmodel import Session

from services import migrations
from services.customer_list import figures, recent, saved_views
from services.customer_list.listing import list_customers
from services.customer_list.models import CustomerFigures
from services.customers.models import Customer
from services.db import UnitOfWork, make_engine
from services.demo.seed import seed_demo
from services.security.auth import actor_for_user
from services.security.models import User
from services.settings import reset_settings


@pytest.fixture(scope="module")
def demo(tmp_path_factory):
    data_dir = tmp_path_factory.mktemp("list-demo")
    with pytest.MonkeyPatch.context() as mp:
        mp.setenv("FINCRM_DEMO", "1")
        mp.setenv("FINCRM_DATA_DIR", str(data_dir))
        mp.delenv("FINCRM_ENCRYPTION_KEYS", raising=False)
        reset_settings()
        url = f"sqlite:///{data_dir / 'demo.db'}"
        migrations.upgrade(url)
        engine = make_engine(url)
        result = seed_demo(customers=200, anchor=date(2026, 11, 1), engine=engine)
        yield engine, result
        engine.dispose()
    reset_settings()


def _actor(engine, username):
    with Session(engine) as s:
        return actor_for_user(s.execute(select(User).where(User.username == username)).scalar_one())


def test_every_demo_customer_has_its_sort_keys_as_the_data_gives_them(demo):
    engine, result = demo
    with Session(engine) as s:
        customers = s.execute(select(func.count()).select_from(Customer)).scalar_one()
        kept = sorted(tuple(r) for r in s.execute(select(CustomerFigures.__table__)))
    assert result.features["customer_figures"] == customers == len(kept)
    assert sum(1 for r in kept if r[1] > 0) > customers // 2  # most customers hold assets
    with UnitOfWork(engine) as uow:  # a rebuild gives the same rows: the demo's keys are the data's
        figures.rebuild(uow.session)
        assert sorted(tuple(r) for r in uow.session.execute(select(CustomerFigures.__table__))) == kept


def test_the_demo_has_saved_views_and_recently_viewed_customers(demo):
    engine, _ = demo
    rm, manager = _actor(engine, "rm"), _actor(engine, "manager")
    with UnitOfWork(engine, readonly=True) as uow:
        mine = saved_views.list_saved_views(uow=uow, actor=rm)
        assert [(v.name, v.shared) for v in mine] == [("最久未联系", False), ("风险评估即将到期", True),
                                                      ("高净值客户", False)]
        assert [v.name for v in saved_views.list_saved_views(uow=uow, actor=manager)] == ["KYC 待处理", "分行 AUM 排名"]
        for v in mine + saved_views.list_saved_views(uow=uow, actor=manager):  # every view opens
            owner = rm if v.mine and v in mine else manager
            assert list_customers(uow=uow, actor=owner, params=v.params).items
        viewed = recent.recently_viewed(uow=uow, actor=rm)
        assert len(viewed) == 6 and viewed[0].name == "张三"
        assert len(recent.recently_viewed(uow=uow, actor=manager)) == 6
