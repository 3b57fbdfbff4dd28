"""Alembic environment: FinCRM's own engine and SQLModel metadata, types compared."""
from __future__ import annotations

from logging.config import fileConfig

from alembic import context

from services.db import get_engine
from services.models import metadata
from services.types import ScaledDecimal, UTCDateTime

config = context.config
if config.config_file_name is not None and config.attributes.get("configure_logger", True):
    fileConfig(config.config_file_name, disable_existing_loggers=False)


def render_item(type_, obj, autogen_context):
    """Render our column types as the plain types they store, so migrations import nothing of ours."""
    if type_ == "type" and isinstance(obj, ScaledDecimal):
        return "sa.BigInteger()"
    if type_ == "type" and isinstance(obj, UTCDateTime):
        return "sa.DateTime(timezone=True)"
    if type_ == "type" and type(obj).__module__.startswith("sqlmodel"):
        return "sa.String()" if "String" in type(obj).__name__ else False
    return False


def run_migrations() -> None:
    connection = config.attributes.get("connection")
    if connection is not None:
        _run(connection)
        return
    url = config.attributes.get("url")
    with get_engine(url).connect() as conn:
        _run(conn)
        conn.commit()


def _run(connection) -> None:
    context.configure(connection=connection, target_metadata=metadata, compare_type=True,
                      render_as_batch=connection.dialect.name == "sqlite", render_item=render_item)
    with context.begin_transaction():
        context.run_migrations()


run_migrations()
