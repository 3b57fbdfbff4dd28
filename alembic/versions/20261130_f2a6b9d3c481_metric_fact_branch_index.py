"""decision support: a covering index for one branch's rollup rows (a branch manager's figures read every branch's
rows of the range through the primary key; issue 13's benchmark: the forecast's read 57 ms, with it 1.3 ms)

Revision ID: f2a6b9d3c481
Revises: e8d2c4b7a915
Create Date: 2026-11-30 12:10:00.000000
"""
from typing import Sequence, Union

from alembic import op


revision: str = 'f2a6b9d3c481'
down_revision: Union[str, None] = 'e8d2c4b7a915'
branch_labels: Union[str, Sequence[str], None] = None
depends_on: Union[str, Sequence[str], None] = None


def upgrade() -> None:
    op.create_index('ix_metric_fact_branch', 'metric_fact',
                    ['measure', 'level', 'period', 'branch_id', 'day', 'dim1', 'dim2', 'n', 'amount'], unique=False)


def downgrade() -> None:
    op.drop_index('ix_metric_fact_branch', table_name='metric_fact')
