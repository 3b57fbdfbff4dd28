"""customer list: sort keys per customer (customer_figures, filled from the current data), saved views,
recently viewed customers, and the history of customers' relationship managers (customer_owner_change)

Revision ID: 38846cb07d88
Revises: d4f1a9c27b86
Create Date: 2026-11-30 12:00:00
"""
from datetime import date, datetime, timezone
from typing import Sequence, Union

import sqlalchemy as sa
from alembic import op


revision: str = '38846cb07d88'
down_revision: Union[str, None] = 'd4f1a9c27b86'
branch_labels: Union[str, Sequence[str], None] = None
depends_on: Union[str, Sequence[str], None] = None

BATCH = 50_000
NEVER = datetime(1900, 1, 1, tzinfo=timezone.utc)
NO_TASK = datetime(2200, 1, 1, tzinfo=timezone.utc)
NOT_ASSESSED = date(1900, 1, 1)


def upgrade() -> None:
    op.create_table('customer_figures',
    sa.Column('customer_id', sa.Integer(), nullable=False),
    sa.Column('aum', sa.BigInteger(), nullable=False),
    sa.Column('segment_rank', sa.SmallInteger(), nullable=False),
    sa.Column('risk_rank', sa.SmallInteger(), nullable=False),
    sa.Column('risk_valid_until', sa.Date(), nullable=False),
    sa.Column('kyc_rank', sa.SmallInteger(), nullable=False),
    sa.Column('last_contact_at', sa.DateTime(timezone=True), nullable=False),
    sa.Column('next_task_due_at', sa.DateTime(timezone=True), nullable=False),
    sa.ForeignKeyConstraint(['customer_id'], ['customer.id'], ),
    sa.PrimaryKeyConstraint('customer_id')
    )
    with op.batch_alter_table('customer_figures', schema=None) as batch_op:
        batch_op.create_index('ix_customer_figures_aum', ['aum', 'customer_id'], unique=False)
        batch_op.create_index('ix_customer_figures_kyc', ['kyc_rank', 'customer_id'], unique=False)
        batch_op.create_index('ix_customer_figures_last_contact', ['last_contact_at', 'customer_id'], unique=False)
        batch_op.create_index('ix_customer_figures_next_task', ['next_task_due_at', 'customer_id'], unique=False)
        batch_op.create_index('ix_customer_figures_risk', ['risk_rank', 'customer_id'], unique=False)
        batch_op.create_index('ix_customer_figures_risk_valid', ['risk_valid_until', 'customer_id'], unique=False)
        batch_op.create_index('ix_customer_figures_segment', ['segment_rank', 'customer_id'], unique=False)

    op.create_table('saved_view',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('owner_id', sa.Integer(), nullable=False),
    sa.Column('team_id', sa.Integer(), nullable=True),
    sa.Column('name', sa.String(length=60), nullable=False),
    sa.Column('params', sa.JSON(), nullable=False),
    sa.Column('created_at', sa.DateTime(timezone=True), nullable=False),
    sa.Column('updated_at', sa.DateTime(timezone=True), nullable=False),
    sa.ForeignKeyConstraint(['owner_id'], ['app_user.id'], ),
    sa.ForeignKeyConstraint(['team_id'], ['team.id'], ),
    sa.PrimaryKeyConstraint('id'),
    sa.UniqueConstraint('owner_id', 'name', name='uq_saved_view_owner_name')
    )
    with op.batch_alter_table('saved_view', schema=None) as batch_op:
        batch_op.create_index('ix_saved_view_team', ['team_id'], unique=False)

    op.create_table('recent_customer',
    sa.Column('user_id', sa.Integer(), nullable=False),
    sa.Column('customer_id', sa.Integer(), nullable=False),
    sa.Column('viewed_at', sa.DateTime(timezone=True), nullable=False),
    sa.ForeignKeyConstraint(['customer_id'], ['customer.id'], ),
    sa.ForeignKeyConstraint(['user_id'], ['app_user.id'], ),
    sa.PrimaryKeyConstraint('user_id', 'customer_id')
    )
    with op.batch_alter_table('recent_customer', schema=None) as batch_op:
        batch_op.create_index('ix_recent_customer_user_viewed', ['user_id', 'viewed_at'], unique=False)

    op.create_table('customer_owner_change',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('customer_id', sa.Integer(), nullable=False),
    sa.Column('at', sa.DateTime(timezone=True), nullable=False),
    sa.Column('old_owner_id', sa.Integer(), nullable=False),
    sa.Column('new_owner_id', sa.Integer(), nullable=False),
    sa.Column('actor_kind', sa.String(length=16), nullable=False),
    sa.Column('actor_id', sa.Integer(), nullable=True),
    sa.Column('actor_name', sa.String(length=100), nullable=False),
    sa.ForeignKeyConstraint(['customer_id'], ['customer.id'], ),
    sa.ForeignKeyConstraint(['new_owner_id'], ['app_user.id'], ),
    sa.ForeignKeyConstraint(['old_owner_id'], ['app_user.id'], ),
    sa.PrimaryKeyConstraint('id')
    )
    with op.batch_alter_table('customer_owner_change', schema=None) as batch_op:
        batch_op.create_index('ix_owner_change_customer_at', ['customer_id', 'at'], unique=False)

    _fill_figures()


# Every customer's sort keys from the data already there, as services/customer_list/figures.py computes them
# (ranks: segment mass..corporate 1..5, risk C1..C5 1..5, KYC expired, rejected, pending, verified 1..4; AUM
# without loans, cards and insurance; "never"/"none" as the sentinel dates of services/customer_list/models.py).
_FILL = """
INSERT INTO customer_figures (customer_id, aum, segment_rank, risk_rank, risk_valid_until, kyc_rank,
                              last_contact_at, next_task_due_at)
SELECT c.id,
       COALESCE((SELECT SUM(a.balance) FROM account a
                 WHERE a.customer_id = c.id AND a.kind NOT IN ('credit_card', 'insurance', 'loan')), 0)
       + COALESCE((SELECT SUM(h.market_value) FROM holding h WHERE h.customer_id = c.id), 0),
       CASE c.segment WHEN 'mass' THEN 1 WHEN 'affluent' THEN 2 WHEN 'hnw' THEN 3 WHEN 'uhnw' THEN 4
                      WHEN 'corporate' THEN 5 ELSE 0 END,
       CASE c.risk_level WHEN 'C1' THEN 1 WHEN 'C2' THEN 2 WHEN 'C3' THEN 3 WHEN 'C4' THEN 4 WHEN 'C5' THEN 5
                         ELSE 0 END,
       COALESCE(c.risk_valid_until, :not_assessed),
       CASE c.kyc_status WHEN 'expired' THEN 1 WHEN 'rejected' THEN 2 WHEN 'pending' THEN 3 WHEN 'verified' THEN 4
                         ELSE 0 END,
       COALESCE((SELECT MAX(i.occurred_at) FROM interaction i WHERE i.customer_id = c.id), :never),
       COALESCE((SELECT MIN(t.due_at) FROM task t
                 WHERE t.customer_id = c.id AND t.status = 'open' AND t.due_at IS NOT NULL), :no_task)
FROM customer c
WHERE c.id > :lo AND c.id <= :hi
"""


def _fill_figures() -> None:
    conn = op.get_bind()
    top = conn.execute(sa.text("SELECT COALESCE(MAX(id), 0) FROM customer")).scalar_one()
    sqlite = conn.dialect.name == "sqlite"
    # Times as each database stores UTCDateTime: naive UTC text on SQLite, timestamptz on PostgreSQL.
    never, no_task = (NEVER.replace(tzinfo=None), NO_TASK.replace(tzinfo=None)) if sqlite else (NEVER, NO_TASK)
    statement = sa.text(_FILL).bindparams(
        sa.bindparam('not_assessed', type_=sa.Date()), sa.bindparam('never', type_=sa.DateTime(timezone=True)),
        sa.bindparam('no_task', type_=sa.DateTime(timezone=True)))
    for lo in range(0, top, BATCH):
        conn.execute(statement, {'lo': lo, 'hi': lo + BATCH, 'not_assessed': NOT_ASSESSED, 'never': never,
                                 'no_task': no_task})


def downgrade() -> None:
    with op.batch_alter_table('customer_owner_change', schema=None) as batch_op:
        batch_op.drop_index('ix_owner_change_customer_at')
    op.drop_table('customer_owner_change')
    with op.batch_alter_table('recent_customer', schema=None) as batch_op:
        batch_op.drop_index('ix_recent_customer_user_viewed')
    op.drop_table('recent_customer')
    with op.batch_alter_table('saved_view', schema=None) as batch_op:
        batch_op.drop_index('ix_saved_view_team')
    op.drop_table('saved_view')
    with op.batch_alter_table('customer_figures', schema=None) as batch_op:
        for name in ('ix_customer_figures_segment', 'ix_customer_figures_risk_valid', 'ix_customer_figures_risk',
                     'ix_customer_figures_next_task', 'ix_customer_figures_last_contact', 'ix_customer_figures_kyc',
                     'ix_customer_figures_aum'):
            batch_op.drop_index(name)
    op.drop_table('customer_figures')
