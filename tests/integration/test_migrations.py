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
