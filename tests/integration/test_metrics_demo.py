"""The demo has a year of history behind every dashboard chart (issue 13): after `fincrm seed --demo` on a fresh
database the rollup holds what the demo wrote (the rebuild's totals), and for the demo's branch manager and rm every
chart but the suggestions' has points across the year, the forecast its back-tested error."""
from __future__ import annotations

import pytest
from sqlalchemy import func, select
from sqlmodel import Session

from services import migrations
from services.analytics import figures
from services.analytics.models import MetricFact
from services.db import UnitOfWork, make_engine
from services.demo.seed import seed_demo
from services.opportunities.models import Opportunity
from services.security.auth import actor_for_user
from services.security.models import User
from services.settings import reset_settings
from services.suitability.models import Sale


@pytest.fixture(scope="module")
def demo(tmp_path_factory):
    data_dir = tmp_path_factory.mktemp("metrics-demo")
    with pytest.MonkeyPatch.context() as mp:
        mp.setenv("FINCRM_DEMO", "1")
        mp.setenv("FINCRM_DATA_DIR", str(data_dir))
        mp.delenv("FINCRM_ENCRYPTION_KEYS", raising=False)
        reset_settings()
        url = f"sqlite:///{data_dir / 'demo.db'}"
        migrations.upgrade(url)
        engine = make_engine(url)
        seed_demo(customers=150, engine=engine)
        yield engine
        engine.dispose()
    reset_settings()


def test_every_chart_has_a_year_of_history(demo):
    figures._CACHE.clear()
    with Session(demo) as s:
        assert s.execute(select(func.count()).select_from(Opportunity)).scalar_one() > 100
        assert s.execute(select(func.count()).select_from(Sale)).scalar_one() > 50
        assert s.execute(select(func.count()).select_from(MetricFact)).scalar_one() > 1000
        users = {u.username: actor_for_user(u) for u in s.execute(
            select(User).where(User.username.in_(["manager", "rm"]))).scalars()}
    for who in ("manager", "rm"):
        with demo.connect() as conn, UnitOfWork(conn) as uow:
            _q, data = figures.dashboard(uow=uow, actor=users[who], filters={})
        for name, fig in data.items():
            if name == "nba_conversion":
                continue
            assert any(any(v for v in x.y) for x in fig.series), (who, name)
            if fig.x_kind in ("month",) or name in ("aum_trend", "sales_by_type"):
                months = {x[:7] for x in fig.series[0].x}
                assert len(months) >= 12, (who, name)
        assert data["sales_forecast"].extra["backtest_wape_pct"] is not None, who
        assert sum(r["lost"] for r in data["customers_new_lost"].rows) >= 0
    figures._CACHE.clear()
