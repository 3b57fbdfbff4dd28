"""decision support: the rollup keeps sales by week too (period 'w', day = the Monday): the forecast reads two years
week by week, 104 rows per cell, not 728 days of rows (issue 13's benchmark: a branch's history was 9,000 day rows
at 10,000,000 transactions). Existing rollups get their week rows from their RM-day rows, then up the levels, as
`fincrm metrics rebuild` derives them.

Revision ID: b5e1f7c2d930
Revises: a7c3e19f5d42
Create Date: 2026-11-30 15:10:00.000000
"""
from typing import Sequence, Union

from alembic import op
import sqlalchemy as sa


revision: str = 'b5e1f7c2d930'
down_revision: Union[str, None] = 'a7c3e19f5d42'
branch_labels: Union[str, Sequence[str], None] = None
depends_on: Union[str, Sequence[str], None] = None

_COLUMNS = "measure, level, period, day, branch_id, team_id, owner_id, dim1, dim2, n, amount"
WEEKLY = ("sales",)  # services/analytics/facts.py WEEKLY, as of this revision


def upgrade() -> None:
    bind = op.get_bind()
    week = ("CAST(date_trunc('week', day) AS date)" if bind.dialect.name == "postgresql"
            else "date(day, 'weekday 0', '-6 days')")
    op.execute(sa.text("DELETE FROM metric_fact WHERE period = 'w'"))
    measures = ", ".join(f"'{m}'" for m in WEEKLY)
    steps = [  # (level, from level, day, branch, team, owner, from period)
        ("o", "o", week, "branch_id", "team_id", "owner_id", "d"),
        ("t", "o", "day", "branch_id", "team_id", "0", "w"),
        ("b", "t", "day", "branch_id", "0", "0", "w"),
        ("f", "b", "day", "0", "0", "0", "w"),
    ]
    for level, from_level, day, branch, team, owner, from_period in steps:
        group = ", ".join(c for c in (day, branch, team, owner) if c != "0")
        op.execute(sa.text(
            f"INSERT INTO metric_fact ({_COLUMNS}) SELECT measure, '{level}', 'w', {day}, {branch}, {team}, {owner}, "
            f"dim1, dim2, SUM(n), SUM(amount) FROM metric_fact WHERE level = '{from_level}' "
            f"AND period = '{from_period}' AND measure IN ({measures}) GROUP BY measure, {group}, dim1, dim2"))


def downgrade() -> None:
    op.execute(sa.text("DELETE FROM metric_fact WHERE period = 'w'"))
