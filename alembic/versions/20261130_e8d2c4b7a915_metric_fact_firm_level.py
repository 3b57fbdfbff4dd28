"""decision support: firm-level rollup rows ('f'), so a head-office figure reads one row per day or month and
dimension instead of one per branch (issue 13's benchmark: the firm-wide pipeline funnel read 30,000 branch rows)

Revision ID: e8d2c4b7a915
Revises: a7c3e5d91b24
Create Date: 2026-11-30 12:05:00.000000
"""
from typing import Sequence, Union

from alembic import op


revision: str = 'e8d2c4b7a915'
down_revision: Union[str, None] = 'a7c3e5d91b24'
branch_labels: Union[str, Sequence[str], None] = None
depends_on: Union[str, Sequence[str], None] = None


def upgrade() -> None:
    # The firm's rows from the branch rows already counted (the handlers write all four levels from now on).
    op.execute(
        "INSERT INTO metric_fact (measure, level, period, day, branch_id, team_id, owner_id, dim1, dim2, n, amount) "
        "SELECT measure, 'f', period, day, 0, 0, 0, dim1, dim2, SUM(n), SUM(amount) FROM metric_fact "
        "WHERE level = 'b' GROUP BY measure, period, day, dim1, dim2")


def downgrade() -> None:
    op.execute("DELETE FROM metric_fact WHERE level = 'f'")
