"""`fincrm metrics rebuild`: the rollup computed again from the source tables, in one audited transaction.

Used after bulk loads that bypass the use cases (the demo seed, the benchmark generator, a migration), and to
repair. It reads every published customer, transaction, sale, opportunity, interaction and suggestion once, with
GROUP BY statements in the database: first the RM-and-day rows, then the month, team and branch rows from them.

What the rebuild cannot know, it decides the one way it can: facts belong to the customer's current RM, team
and segment (handlers keep where they were when they happened), a customer's AUM not explained by its booked
transactions is counted on the day it was acquired (handlers count a revaluation on the day it is noticed), and a
closed customer was lost on the day its row last changed. Totals are the same either way.
"""
from __future__ import annotations

import logging
import time
from datetime import datetime, timedelta
from decimal import Decimal

from sqlalchemy import delete, func, insert, select, text
from sqlmodel import Session

from services import clock, holds
from services.analytics.facts import WEEKLY, Deltas, apply
from services.analytics.models import MetricCustomer, MetricFact, MetricOpportunity, NextBestAction
from services.analytics.rollups import (COUNTED_SALES, NOT_AUM, _opportunity_contributions, aum_of, each,
                                        local_day)
from services.customers.models import Customer, CustomerStatus
from services.db import UnitOfWork
from services.opportunities.models import Opportunity, Stage
from services.security import audit
from services.security.actor import Actor
from services.security.policy import Permission as P, requires

log = logging.getLogger(__name__)


def _offset_minutes(dialect: str) -> int | None:
    """On SQLite, the firm's zone as a fixed offset in minutes (None when its offset changes, e.g. summer time)."""
    zone = clock.zone()
    year = clock.today().year
    offsets = {datetime(y, m, 15, 12, tzinfo=zone).utcoffset() for y in range(year - 12, year + 2) for m in (1, 7)}
    if len(offsets) != 1:
        return None
    return int(next(iter(offsets)).total_seconds() // 60)


class _Sql:
    """Dialect words: the firm's calendar day of a stored UTC time, the first day of a day's month."""

    def __init__(self, session: Session):
        self.dialect = session.get_bind().dialect.name
        if self.dialect == "postgresql":
            self.zone = clock.zone().key
        else:
            minutes = _offset_minutes(self.dialect)
            if minutes is None:
                raise RuntimeError("rebuilding the rollup on SQLite needs a time zone without summer time "
                                   "(FINCRM_TIMEZONE); use PostgreSQL")
            self.minutes = minutes

    def day(self, column: str) -> str:
        if self.dialect == "postgresql":
            return f"CAST(({column} AT TIME ZONE '{self.zone}') AS date)"
        return f"date({column}, '{self.minutes:+d} minutes')"

    def week(self, column: str) -> str:
        """The Monday of a date's week."""
        if self.dialect == "postgresql":
            return f"CAST(date_trunc('week', {column}) AS date)"
        return f"date({column}, 'weekday 0', '-6 days')"  # the week's Sunday (or the day itself), less six days

    def month(self, column: str) -> str:
        if self.dialect == "postgresql":
            return f"CAST(date_trunc('month', {column}) AS date)"
        return f"date({column}, 'start of month')"

    def plus_days(self, column: str, days: int) -> str:
        if self.dialect == "postgresql":
            return f"({column} + {days})"
        return f"date({column}, '+{days} days')"


_FACT_COLUMNS = "measure, level, period, day, branch_id, team_id, owner_id, dim1, dim2, n, amount"
_CONFLICT = (" ON CONFLICT (measure, level, period, day, branch_id, team_id, owner_id, dim1, dim2) "
             "DO UPDATE SET n = metric_fact.n + excluded.n, amount = metric_fact.amount + excluded.amount")


def _base(session: Session, select_sql: str, params: dict | None = None) -> None:
    """Add RM-and-day rows from a SELECT giving (measure, day, branch, team, owner, dim1, dim2, n, amount)."""
    sql = (f"INSERT INTO metric_fact ({_FACT_COLUMNS}) "
           f"SELECT measure, 'o', 'd', day, branch_id, team_id, owner_id, dim1, dim2, SUM(n), SUM(amount) "
           f"FROM ({select_sql}) AS base WHERE 1 = 1 "
           f"GROUP BY measure, day, branch_id, team_id, owner_id, dim1, dim2" + _CONFLICT)
    session.execute(text(sql), params or {})


def _derive(session: Session, sql: _Sql) -> None:
    """Months from days, teams from RMs, branches from teams, the firm from branches."""
    steps = [
        ("o", "m", "o", "d", sql.month("day"), "branch_id", "team_id", "owner_id"),
        ("t", "d", "o", "d", "day", "branch_id", "team_id", "0"),
        ("t", "m", "o", "m", "day", "branch_id", "team_id", "0"),
        ("b", "d", "t", "d", "day", "branch_id", "0", "0"),
        ("b", "m", "t", "m", "day", "branch_id", "0", "0"),
        ("f", "d", "b", "d", "day", "0", "0", "0"),
        ("f", "m", "b", "m", "day", "0", "0", "0"),
        # Weeks (facts.WEEKLY's measures only): from the RMs' days, then up the levels as above.
        ("o", "w", "o", "d", sql.week("day"), "branch_id", "team_id", "owner_id"),
        ("t", "w", "o", "w", "day", "branch_id", "team_id", "0"),
        ("b", "w", "t", "w", "day", "branch_id", "0", "0"),
        ("f", "w", "b", "w", "day", "0", "0", "0"),
    ]
    weekly = ", ".join(f"'{m}'" for m in sorted(WEEKLY))
    for level, period, from_level, from_period, day, branch, team, owner in steps:
        only = f"AND measure IN ({weekly}) " if period == "w" and from_period == "d" else ""
        session.execute(text(
            f"INSERT INTO metric_fact ({_FACT_COLUMNS}) SELECT measure, '{level}', '{period}', {day}, {branch}, "
            f"{team}, {owner}, dim1, dim2, SUM(n), SUM(amount) FROM metric_fact "
            f"WHERE level = '{from_level}' AND period = '{from_period}' {only}"
            f"GROUP BY measure, {', '.join(c for c in (day, branch, team, owner) if c != '0')}, dim1, dim2"))


def _not_aum() -> str:
    return ", ".join(f"'{k}'" for k in NOT_AUM)


def rebuild_in(session: Session) -> dict[str, int]:
    """Recompute the rollup in the session's transaction (the caller audits and commits)."""
    started = time.perf_counter()
    sql = _Sql(session)
    s = session
    s.execute(delete(MetricFact))
    s.execute(delete(MetricOpportunity))
    s.execute(delete(MetricCustomer))
    today = clock.today()
    not_aum = _not_aum()
    # 1. Every published customer as counted now (AUM read from the source; purchases; lost when last changed).
    mc = MetricCustomer.__table__
    top = s.execute(select(func.coalesce(func.max(Customer.id), 0))).scalar_one()
    counted = 0
    for lo in range(0, top, 20_000):
        rows = s.execute(select(Customer.id, Customer.branch_id, Customer.team_id, Customer.owner_id,
                                Customer.segment, Customer.source_channel, Customer.status, Customer.created_at,
                                Customer.updated_at)
                         .where(Customer.id > lo, Customer.id <= lo + 20_000, holds.visible(Customer.id))).all()
        if not rows:
            continue
        ids = [r[0] for r in rows]
        aum = aum_of(s, ids)
        s.execute(insert(mc), [{
            "customer_id": cid, "branch_id": branch or 0, "team_id": team or 0, "owner_id": owner,
            "segment": segment, "channel": channel, "acquired_on": local_day(created),
            "lost_on": local_day(updated) if status == CustomerStatus.CLOSED else None,
            "aum": aum.get(cid, Decimal(0)), "aum_90d": Decimal(0), "first_sale_on": None, "sales": 0}
            for cid, branch, team, owner, segment, channel, status, created, updated in rows])
        counted += len(rows)
    # Purchases and the first 90 days' AUM per customer, from the source.
    for cid, first, count in s.execute(text(
            f"SELECT customer_id, MIN({sql.day('signed_at')}), COUNT(*) FROM sale WHERE signed_at IS NOT NULL "
            f"AND status IN ({', '.join(repr(str(x)) for x in COUNTED_SALES)}) GROUP BY customer_id")).all():
        s.execute(mc.update().where(mc.c.customer_id == cid).values(
            first_sale_on=first if not isinstance(first, str) else datetime.fromisoformat(first).date(),
            sales=int(count)))
    flow_day = sql.day("t.booked_at")
    s.execute(text(
        f"UPDATE metric_customer SET aum_90d = (SELECT COALESCE(SUM(t.amount), 0) FROM \"transaction\" t "
        f"JOIN account a ON a.id = t.account_id WHERE t.customer_id = metric_customer.customer_id "
        f"AND a.kind NOT IN ({not_aum}) AND {flow_day} >= metric_customer.acquired_on "
        f"AND {flow_day} <= {sql.plus_days('metric_customer.acquired_on', 90)}) "
        f"WHERE EXISTS (SELECT 1 FROM \"transaction\" t2 WHERE t2.customer_id = metric_customer.customer_id)"))
    # 2. RM-and-day rows of every measure.
    m = "m.branch_id, m.team_id, m.owner_id"
    _base(s, f"SELECT 'aum' AS measure, {flow_day} AS day, {m}, m.segment AS dim1, '' AS dim2, 0 AS n, "
             f"t.amount AS amount FROM \"transaction\" t JOIN account a ON a.id = t.account_id "
             f"JOIN metric_customer m ON m.customer_id = t.customer_id WHERE a.kind NOT IN ({not_aum})")
    # AUM the booked flows do not explain: on the day the customer was acquired.
    _base(s, f"SELECT 'aum' AS measure, m.acquired_on AS day, {m}, m.segment AS dim1, '' AS dim2, 0 AS n, "
             f"m.aum - COALESCE(f.total, 0) AS amount FROM metric_customer m LEFT JOIN "
             f"(SELECT t.customer_id, SUM(t.amount) AS total FROM \"transaction\" t JOIN account a "
             f"ON a.id = t.account_id WHERE a.kind NOT IN ({not_aum}) GROUP BY t.customer_id) f "
             f"ON f.customer_id = m.customer_id")
    _base(s, f"SELECT 'new_customers' AS measure, acquired_on AS day, {m.replace('m.', '')}, segment AS dim1, "
             f"channel AS dim2, 1 AS n, 0 AS amount FROM metric_customer")
    _base(s, f"SELECT 'lost_customers' AS measure, lost_on AS day, {m.replace('m.', '')}, segment AS dim1, "
             f"'' AS dim2, 1 AS n, 0 AS amount FROM metric_customer WHERE lost_on IS NOT NULL")
    _base(s, f"SELECT 'aum_90d' AS measure, acquired_on AS day, {m.replace('m.', '')}, channel AS dim1, "
             f"'' AS dim2, 0 AS n, aum_90d AS amount FROM metric_customer WHERE aum_90d <> 0")
    _base(s, f"SELECT 'buyers' AS measure, first_sale_on AS day, {m.replace('m.', '')}, segment AS dim1, "
             f"'' AS dim2, 1 AS n, 0 AS amount FROM metric_customer WHERE sales > 0")
    _base(s, f"SELECT 'repeat_buyers' AS measure, first_sale_on AS day, {m.replace('m.', '')}, segment AS dim1, "
             f"'' AS dim2, 1 AS n, 0 AS amount FROM metric_customer WHERE sales > 1")
    _base(s, f"SELECT 'converted' AS measure, acquired_on AS day, {m.replace('m.', '')}, channel AS dim1, "
             f"'' AS dim2, 1 AS n, 0 AS amount FROM metric_customer WHERE sales > 0 "
             f"AND first_sale_on <= {sql.plus_days('acquired_on', 90)}")
    _base(s, f"SELECT 'sales' AS measure, {sql.day('x.signed_at')} AS day, {m}, p.product_type AS dim1, "
             f"p.risk_level AS dim2, 1 AS n, x.amount AS amount FROM sale x JOIN product p ON p.id = x.product_id "
             f"JOIN metric_customer m ON m.customer_id = x.customer_id WHERE x.signed_at IS NOT NULL "
             f"AND x.status IN ({', '.join(repr(str(v)) for v in COUNTED_SALES)})")
    _base(s, f"SELECT 'activities' AS measure, {sql.day('i.occurred_at')} AS day, COALESCE(u.branch_id, 0) "
             f"AS branch_id, COALESCE(u.team_id, 0) AS team_id, u.id AS owner_id, i.kind AS dim1, '' AS dim2, "
             f"1 AS n, 0 AS amount FROM interaction i JOIN app_user u ON u.id = i.user_id")
    _base(s, f"SELECT 'nba' AS measure, {sql.day('x.created_at')} AS day, {m}, x.kind AS dim1, o.outcome AS dim2, "
             f"1 AS n, 0 AS amount FROM next_best_action x JOIN metric_customer m ON m.customer_id = x.customer_id "
             f"JOIN (SELECT 'suggested' AS outcome UNION ALL SELECT 'done' UNION ALL SELECT 'dismissed' "
             f"UNION ALL SELECT 'converted') o ON (o.outcome = 'suggested' OR o.outcome = x.status "
             f"OR (o.outcome = 'converted' AND x.converted))")
    # Opportunities: what each contributes, as the handlers count it.
    opportunities = 0
    deltas = Deltas()
    mo = MetricOpportunity.__table__
    for chunk in each(list(s.execute(select(Opportunity.id).order_by(Opportunity.id)).scalars()), 2000):
        rows = s.execute(select(Opportunity, MetricCustomer.branch_id, MetricCustomer.team_id,
                                MetricCustomer.owner_id)
                         .join(MetricCustomer, MetricCustomer.customer_id == Opportunity.customer_id)
                         .where(Opportunity.id.in_(chunk))).all()
        values = []
        for opp, branch, team, owner in rows:
            row = MetricOpportunity(
                opportunity_id=opp.id, day=local_day(opp.created_at), branch_id=branch, team_id=team, owner_id=owner,
                product_type=opp.product_type or "", reached=opp.reached,
                lost_reason=(opp.close_reason or "") if opp.stage == Stage.LOST else "",
                won_reason=(opp.close_reason or "") if opp.stage == Stage.WON else "", amount=opp.amount)
            values.append({c: getattr(row, c) for c in mo.c.keys()})
            deltas.extend(_opportunity_contributions(row))
        if values:
            s.execute(insert(mo), values)
        opportunities += len(values)
    # Only the RM-and-day rows here: the rest are derived below with everything else.
    _base_rows(s, deltas)
    _derive(s, sql)
    facts = s.execute(select(func.count()).select_from(MetricFact)).scalar_one()
    log.info("metrics rebuilt in %.1f s as of %s", time.perf_counter() - started, today)
    return {"customers": counted, "opportunities": opportunities, "facts": facts}


def _base_rows(session: Session, deltas: Deltas) -> None:
    from services.analytics.facts import _UPSERT

    rows = [r for r in deltas.rows() if r["level"] == "o" and r["period"] == "d"]
    for i in range(0, len(rows), 2000):
        session.connection().execute(_UPSERT, rows[i:i + 2000])


@requires(P.METRICS_VIEW)
def rebuild(*, uow: UnitOfWork, actor: Actor) -> dict[str, int]:
    """Recompute the whole rollup from the source tables, audited (`metrics.rebuild`). The caller commits."""
    if actor.kind != "system":
        from services.errors import NotPermitted

        raise NotPermitted(actor=actor, permission="metrics.rebuild")  # an operator's command, never a page's
    counts = rebuild_in(uow.session)
    audit.record(uow.session, actor, "metrics.rebuild", entity_type="metrics", entity_id="all", changes=counts)
    return counts
