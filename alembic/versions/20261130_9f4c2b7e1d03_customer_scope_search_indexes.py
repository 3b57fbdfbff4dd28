"""customer search in a team's and a branch's scope: (team_id | branch_id, name | name_pinyin | name_initials, id)

Revision ID: 9f4c2b7e1d03
Revises: 7d2eb3f71c3e
Create Date: 2026-11-30 07:40:00
"""
from typing import Sequence, Union

from alembic import op


revision: str = '9f4c2b7e1d03'
down_revision: Union[str, None] = '7d2eb3f71c3e'
branch_labels: Union[str, Sequence[str], None] = None
depends_on: Union[str, Sequence[str], None] = None

# As the RM's own book has them (ix_customer_owner_*): ORDER BY key, id LIMIT n walks the index inside the scope.
INDEXES = [(f"ix_customer_{scope}_{key}", [f"{scope}_id", column, "id"])
           for scope in ("team", "branch")
           for key, column in (("name", "name"), ("pinyin", "name_pinyin"), ("initials", "name_initials"))]


def upgrade() -> None:
    # Plain CREATE INDEX (no batch mode): SQLite must not rebuild the customer table for an index.
    for name, columns in INDEXES:
        op.create_index(name, "customer", columns, unique=False)


def downgrade() -> None:
    for name, _columns in reversed(INDEXES):
        op.drop_index(name, table_name="customer")
