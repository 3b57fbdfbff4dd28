"""The models and the migrations never drift, on every backend we test."""
from __future__ import annotations

from alembic.autogenerate import compare_metadata
from alembic.migration import MigrationContext

from services.models import metadata


def test_models_match_migrations(engine):
    with engine.connect() as conn:
        ctx = MigrationContext.configure(conn, opts={"compare_type": True})
        diff = compare_metadata(ctx, metadata)
    assert diff == [], f"models and migrations differ; write a migration: {diff}"


def test_upgrade_builds_the_schema_from_empty(engine):
    from sqlalchemy import inspect

    tables = set(inspect(engine).get_table_names())
    assert {"customer", "account", "holding", "transaction", "product", "relationship", "interaction", "task",
            "audit_event", "app_user", "user_session", "branch", "team", "alembic_version"} <= tables


def test_display_mask_migration_fills_existing_customers(empty_database_url):
    """Customers written before the masks existed get them from their decrypted values."""
    from sqlalchemy import text

    from services import migrations
    from services.db import make_engine
    from services.security.keys import get_cipher

    migrations.upgrade(empty_database_url, "044bb17bc3fa")
    cipher = get_cipher()
    engine = make_engine(empty_database_url)
    try:
        with engine.begin() as c:
            c.execute(text("INSERT INTO branch (id, code, name, name_en, city) VALUES (1, 'B1', '分行', 'Branch', '北京')"))
            c.execute(text("INSERT INTO app_user (id, username, display_name, password_hash, roles, branch_id, "
                           "is_active, is_demo, created_at) VALUES (1, 'rm', 'RM', '!', :roles, 1, :t, :f, "
                           "'2026-01-01 00:00:00+00:00')"), {"roles": '["rm"]', "t": True, "f": False})
            for cid, number, phone in ((1, "110101199003071234", "13856785678"), (2, "E12345678", None)):
                c.execute(text(
                    "INSERT INTO customer (id, customer_no, kind, name, name_pinyin, name_initials, id_type, "
                    "id_number_enc, id_number_bidx, id_last4, phone_enc, segment, owner_id, branch_id, "
                    "source_channel, status, version, custom, created_at, updated_at) VALUES (:id, :no, "
                    "'individual', '张三', 'zhangsan', 'zs', 'resident_id', :enc, :bidx, :last4, :penc, 'mass', 1, 1, "
                    "'branch', 'active', 1, '{}', '2026-01-01 00:00:00+00:00', '2026-01-01 00:00:00+00:00')"),
                    {"id": cid, "no": f"C{cid}", "enc": cipher.encrypt(number, context="customer.id_number"),
                     "bidx": f"b{cid}", "last4": number[-4:],
                     "penc": cipher.encrypt(phone, context="customer.phone") if phone else None})
            # Rows elsewhere that point at the customers: the upgrade must not rebuild the customer table.
            c.execute(text("INSERT INTO account (id, customer_id, kind, account_no_enc, account_no_bidx, "
                           "account_no_last4, currency, balance, branch_id, opened_on, status) VALUES "
                           "(1, 1, 'deposit', 'x', 'a1', '0001', 'CNY', 0, 1, '2026-01-01', 'open')"))
        migrations.upgrade(empty_database_url)
        with engine.connect() as c:
            rows = c.execute(text("SELECT id, id_number_masked, phone_masked FROM customer ORDER BY id")).all()
        assert [tuple(r) for r in rows] == [(1, "110101********1234", "138****5678"), (2, "E1*****78", None)]
    finally:
        engine.dispose()


def test_week_rows_migration_derives_them_from_the_rm_days(empty_database_url):
    """A rollup written before week rows existed gets them: each RM's days of a weekly measure summed into its
    Monday's row, then up the levels; other measures get none; the downgrade takes them away."""
    from datetime import date, timedelta

    from sqlalchemy import text

    from services import migrations
    from services.db import make_engine

    migrations.upgrade(empty_database_url, "a7c3e19f5d42")
    engine = make_engine(empty_database_url)
    insert = text("INSERT INTO metric_fact (measure, level, period, day, branch_id, team_id, owner_id, dim1, dim2, "
                  "n, amount) VALUES (:m, 'o', 'd', :day, :b, :t, :o, :d1, '', :n, :a)")
    days = [date(2026, 11, 22) + timedelta(days=i) for i in range(9)]  # a Sunday, a whole week, a Monday and Tuesday
    try:
        with engine.begin() as c:
            for i, day in enumerate(days):
                for owner, team, branch in ((1, 1, 1), (2, 1, 1), (3, 2, 2)):
                    for dim1 in ("fund", "wealth"):
                        c.execute(insert, {"m": "sales", "day": day, "b": branch, "t": team, "o": owner, "d1": dim1,
                                           "n": 1, "a": 100 * (i + 1) * owner})
                c.execute(insert, {"m": "aum", "day": day, "b": 1, "t": 1, "o": 1, "d1": "mass", "n": 0, "a": 5})
        migrations.upgrade(empty_database_url)
        with engine.connect() as c:
            weeks = c.execute(text("SELECT level, day, branch_id, team_id, owner_id, dim1, n, amount FROM metric_fact "
                                   "WHERE period = 'w' ORDER BY level, day, branch_id, team_id, owner_id, dim1")).all()
            assert c.execute(text("SELECT COUNT(*) FROM metric_fact WHERE period = 'w' AND measure <> 'sales'"))\
                .scalar_one() == 0
        got = {(lvl, str(day)[:10], b, t, o, d1): (n, a) for lvl, day, b, t, o, d1, n, a in weeks}

        def want(level: str, monday: str, cells, dim1: str) -> tuple[int, int]:
            picked = [(i, owner) for i, day in enumerate(days) for owner, team, branch in cells
                      if str(day - timedelta(days=day.weekday())) == monday]
            return len(picked), sum(100 * (i + 1) * owner for i, owner in picked)

        assert got[("o", "2026-11-16", 1, 1, 1, "fund")] == want("o", "2026-11-16", [(1, 1, 1)], "fund") == (1, 100)
        assert got[("o", "2026-11-23", 1, 1, 2, "wealth")] == want("o", "2026-11-23", [(2, 1, 1)], "wealth")
        assert got[("t", "2026-11-23", 1, 1, 0, "fund")] == want("t", "2026-11-23", [(1, 1, 1), (2, 1, 1)], "fund")
        assert got[("b", "2026-11-30", 2, 0, 0, "fund")] == want("b", "2026-11-30", [(3, 2, 2)], "fund")
        everyone = [(1, 1, 1), (2, 1, 1), (3, 2, 2)]
        assert got[("f", "2026-11-23", 0, 0, 0, "wealth")] == want("f", "2026-11-23", everyone, "wealth") == (21, 21000)
        assert {k[1] for k in got} == {"2026-11-16", "2026-11-23", "2026-11-30"}
        from alembic import command

        command.downgrade(migrations.alembic_config(empty_database_url), "a7c3e19f5d42")
        with engine.connect() as c:
            assert c.execute(text("SELECT COUNT(*) FROM metric_fact WHERE period = 'w'")).scalar_one() == 0
            assert c.execute(text("SELECT COUNT(*) FROM metric_fact")).scalar_one() == len(days) * 7
    finally:
        engine.dispose()
