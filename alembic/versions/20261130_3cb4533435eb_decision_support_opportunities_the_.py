"""decision support: opportunities, the dashboards' rollup, next-best-actions, report subscriptions, e-mail outbox

Revision ID: 3cb4533435eb
Revises: 38846cb07d88
Create Date: 2026-11-30 07:13:30.126235

The rollup starts empty: on an installation with data, run `fincrm metrics rebuild` once after upgrading (the
demo seed does it itself).
"""
from typing import Sequence, Union

import sqlalchemy as sa
from alembic import op


revision: str = '3cb4533435eb'
down_revision: Union[str, None] = '38846cb07d88'
branch_labels: Union[str, Sequence[str], None] = None
depends_on: Union[str, Sequence[str], None] = None


def upgrade() -> None:
    op.create_table('email_message',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('to_addr', sa.String(length=254), nullable=False),
    sa.Column('subject', sa.String(length=200), nullable=False),
    sa.Column('body', sa.String(length=4000), nullable=False),
    sa.Column('attachment_sha256', sa.String(length=64), nullable=True),
    sa.Column('attachment_name', sa.String(length=200), nullable=True),
    sa.Column('attachment_type', sa.String(length=100), nullable=True),
    sa.Column('purpose', sa.String(length=32), nullable=False),
    sa.Column('status', sa.String(length=12), nullable=False),
    sa.Column('attempts', sa.Integer(), nullable=False),
    sa.Column('last_error', sa.String(length=300), nullable=True),
    sa.Column('created_at', sa.DateTime(timezone=True), nullable=False),
    sa.Column('next_attempt_at', sa.DateTime(timezone=True), nullable=False),
    sa.Column('sent_at', sa.DateTime(timezone=True), nullable=True),
    sa.PrimaryKeyConstraint('id')
    )
    with op.batch_alter_table('email_message', schema=None) as batch_op:
        batch_op.create_index('ix_email_message_status', ['status', 'next_attempt_at'], unique=False)

    op.create_table('metric_fact',
    sa.Column('measure', sa.String(length=24), nullable=False),
    sa.Column('level', sa.String(length=1), nullable=False),
    sa.Column('period', sa.String(length=1), nullable=False),
    sa.Column('day', sa.Date(), nullable=False),
    sa.Column('branch_id', sa.Integer(), nullable=False),
    sa.Column('team_id', sa.Integer(), nullable=False),
    sa.Column('owner_id', sa.Integer(), nullable=False),
    sa.Column('dim1', sa.String(length=24), nullable=False),
    sa.Column('dim2', sa.String(length=24), nullable=False),
    sa.Column('n', sa.BigInteger(), nullable=False),
    sa.Column('amount', sa.BigInteger(), nullable=False),
    sa.PrimaryKeyConstraint('measure', 'level', 'period', 'day', 'branch_id', 'team_id', 'owner_id', 'dim1', 'dim2'),
    sqlite_with_rowid=False
    )
    with op.batch_alter_table('metric_fact', schema=None) as batch_op:
        batch_op.create_index('ix_metric_fact_owner', ['measure', 'level', 'period', 'owner_id', 'day'], unique=False)
        batch_op.create_index('ix_metric_fact_team', ['measure', 'level', 'period', 'team_id', 'day'], unique=False)

    op.create_table('report_subscription',
    sa.Column('user_id', sa.Integer(), nullable=False),
    sa.Column('email', sa.String(length=254), nullable=False),
    sa.Column('locale', sa.String(length=8), nullable=False),
    sa.Column('active', sa.Boolean(), nullable=False),
    sa.Column('last_sent_week', sa.Date(), nullable=True),
    sa.Column('created_at', sa.DateTime(timezone=True), nullable=False),
    sa.ForeignKeyConstraint(['user_id'], ['app_user.id'], ),
    sa.PrimaryKeyConstraint('user_id')
    )
    op.create_table('metric_customer',
    sa.Column('customer_id', sa.Integer(), nullable=False),
    sa.Column('branch_id', sa.Integer(), nullable=False),
    sa.Column('team_id', sa.Integer(), nullable=False),
    sa.Column('owner_id', sa.Integer(), nullable=False),
    sa.Column('segment', sa.String(length=16), nullable=False),
    sa.Column('channel', sa.String(length=16), nullable=False),
    sa.Column('acquired_on', sa.Date(), nullable=False),
    sa.Column('lost_on', sa.Date(), nullable=True),
    sa.Column('aum', sa.BigInteger(), nullable=False),
    sa.Column('aum_90d', sa.BigInteger(), nullable=False),
    sa.Column('first_sale_on', sa.Date(), nullable=True),
    sa.Column('sales', sa.Integer(), nullable=False),
    sa.ForeignKeyConstraint(['customer_id'], ['customer.id'], ),
    sa.PrimaryKeyConstraint('customer_id')
    )
    with op.batch_alter_table('metric_customer', schema=None) as batch_op:
        batch_op.create_index('ix_metric_customer_acquired', ['acquired_on'], unique=False)
        batch_op.create_index('ix_metric_customer_branch', ['branch_id', 'aum'], unique=False)
        batch_op.create_index('ix_metric_customer_owner_aum', ['owner_id', 'aum'], unique=False)
        batch_op.create_index('ix_metric_customer_team', ['team_id', 'aum'], unique=False)

    op.create_table('metric_grant',
    sa.Column('client_pk', sa.Integer(), nullable=False),
    sa.Column('scope', sa.String(length=8), nullable=False),
    sa.Column('branch_id', sa.Integer(), nullable=True),
    sa.Column('team_id', sa.Integer(), nullable=True),
    sa.Column('granted_by', sa.String(length=100), nullable=False),
    sa.Column('granted_at', sa.DateTime(timezone=True), nullable=False),
    sa.ForeignKeyConstraint(['branch_id'], ['branch.id'], ),
    sa.ForeignKeyConstraint(['client_pk'], ['api_client.id'], ),
    sa.ForeignKeyConstraint(['team_id'], ['team.id'], ),
    sa.PrimaryKeyConstraint('client_pk')
    )
    op.create_table('next_best_action',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('customer_id', sa.Integer(), nullable=False),
    sa.Column('owner_id', sa.Integer(), nullable=False),
    sa.Column('kind', sa.String(length=16), nullable=False),
    sa.Column('key', sa.String(length=64), nullable=False),
    sa.Column('product_id', sa.Integer(), nullable=True),
    sa.Column('score', sa.Integer(), nullable=False),
    sa.Column('reason', sa.String(length=40), nullable=False),
    sa.Column('params', sa.JSON(), nullable=False),
    sa.Column('status', sa.String(length=12), nullable=False),
    sa.Column('converted', sa.Boolean(), nullable=False),
    sa.Column('created_at', sa.DateTime(timezone=True), nullable=False),
    sa.Column('due_on', sa.Date(), nullable=True),
    sa.Column('decided_at', sa.DateTime(timezone=True), nullable=True),
    sa.Column('decided_by', sa.Integer(), nullable=True),
    sa.Column('note', sa.String(length=300), nullable=True),
    sa.ForeignKeyConstraint(['customer_id'], ['customer.id'], ),
    sa.ForeignKeyConstraint(['decided_by'], ['app_user.id'], ),
    sa.ForeignKeyConstraint(['owner_id'], ['app_user.id'], ),
    sa.ForeignKeyConstraint(['product_id'], ['product.id'], ),
    sa.PrimaryKeyConstraint('id'),
    sa.UniqueConstraint('customer_id', 'key', name='uq_next_best_action_customer_key')
    )
    with op.batch_alter_table('next_best_action', schema=None) as batch_op:
        batch_op.create_index('ix_next_best_action_customer_status', ['customer_id', 'status'], unique=False)
        batch_op.create_index('ix_next_best_action_owner_status', ['owner_id', 'status', 'score'], unique=False)

    op.create_table('opportunity',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('customer_id', sa.Integer(), nullable=False),
    sa.Column('owner_id', sa.Integer(), nullable=False),
    sa.Column('title', sa.String(length=200), nullable=False),
    sa.Column('product_type', sa.String(length=16), nullable=True),
    sa.Column('product_id', sa.Integer(), nullable=True),
    sa.Column('amount', sa.BigInteger(), nullable=False),
    sa.Column('currency', sa.String(length=3), nullable=False),
    sa.Column('stage', sa.String(length=12), nullable=False),
    sa.Column('reached', sa.Integer(), nullable=False),
    sa.Column('expected_close', sa.Date(), nullable=True),
    sa.Column('close_reason', sa.String(length=16), nullable=True),
    sa.Column('close_note', sa.String(length=500), nullable=True),
    sa.Column('created_by', sa.Integer(), nullable=False),
    sa.Column('created_at', sa.DateTime(timezone=True), nullable=False),
    sa.Column('updated_at', sa.DateTime(timezone=True), nullable=False),
    sa.Column('closed_at', sa.DateTime(timezone=True), nullable=True),
    sa.Column('version', sa.Integer(), nullable=False),
    sa.ForeignKeyConstraint(['created_by'], ['app_user.id'], ),
    sa.ForeignKeyConstraint(['customer_id'], ['customer.id'], ),
    sa.ForeignKeyConstraint(['owner_id'], ['app_user.id'], ),
    sa.ForeignKeyConstraint(['product_id'], ['product.id'], ),
    sa.PrimaryKeyConstraint('id')
    )
    with op.batch_alter_table('opportunity', schema=None) as batch_op:
        batch_op.create_index('ix_opportunity_customer', ['customer_id', 'created_at'], unique=False)
        batch_op.create_index('ix_opportunity_owner_stage', ['owner_id', 'stage'], unique=False)

    op.create_table('metric_opportunity',
    sa.Column('opportunity_id', sa.Integer(), nullable=False),
    sa.Column('day', sa.Date(), nullable=False),
    sa.Column('branch_id', sa.Integer(), nullable=False),
    sa.Column('team_id', sa.Integer(), nullable=False),
    sa.Column('owner_id', sa.Integer(), nullable=False),
    sa.Column('product_type', sa.String(length=16), nullable=False),
    sa.Column('reached', sa.Integer(), nullable=False),
    sa.Column('lost_reason', sa.String(length=16), nullable=False),
    sa.Column('won_reason', sa.String(length=16), nullable=False),
    sa.Column('amount', sa.BigInteger(), nullable=False),
    sa.ForeignKeyConstraint(['opportunity_id'], ['opportunity.id'], ),
    sa.PrimaryKeyConstraint('opportunity_id')
    )


def downgrade() -> None:
    op.drop_table('metric_opportunity')
    with op.batch_alter_table('opportunity', schema=None) as batch_op:
        batch_op.drop_index('ix_opportunity_owner_stage')
        batch_op.drop_index('ix_opportunity_customer')

    op.drop_table('opportunity')
    with op.batch_alter_table('next_best_action', schema=None) as batch_op:
        batch_op.drop_index('ix_next_best_action_owner_status')
        batch_op.drop_index('ix_next_best_action_customer_status')

    op.drop_table('next_best_action')
    op.drop_table('metric_grant')
    with op.batch_alter_table('metric_customer', schema=None) as batch_op:
        batch_op.drop_index('ix_metric_customer_team')
        batch_op.drop_index('ix_metric_customer_owner_aum')
        batch_op.drop_index('ix_metric_customer_branch')
        batch_op.drop_index('ix_metric_customer_acquired')

    op.drop_table('metric_customer')
    op.drop_table('report_subscription')
    with op.batch_alter_table('metric_fact', schema=None) as batch_op:
        batch_op.drop_index('ix_metric_fact_team')
        batch_op.drop_index('ix_metric_fact_owner')

    op.drop_table('metric_fact')
    with op.batch_alter_table('email_message', schema=None) as batch_op:
        batch_op.drop_index('ix_email_message_status')

    op.drop_table('email_message')
