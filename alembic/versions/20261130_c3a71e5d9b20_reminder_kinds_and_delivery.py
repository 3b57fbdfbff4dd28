"""reminder kinds and delivery (issue 14): reminders keyed by subject (a customer, a holding's maturity, an approval
task for one approver), the channels of each rule (app, email, push), product maturities (holding.maturity_on), KYC
reviews (customer.kyc_review_due) and approval SLAs as shipped rules; the RM's e-mail address; Web Push
subscriptions and their outbox.

Revision ID: c3a71e5d9b20
Revises: f9b8d993c6ff
Create Date: 2026-11-30 11:40:00
"""
from typing import Sequence, Union

from datetime import datetime, timezone

import sqlalchemy as sa
from alembic import op


revision: str = 'c3a71e5d9b20'
down_revision: Union[str, None] = 'f9b8d993c6ff'
branch_labels: Union[str, Sequence[str], None] = None
depends_on: Union[str, Sequence[str], None] = None

CHANNELS = {"birthday_week": ["app", "push"], "assessment_expiry_30d": ["app", "email", "push"],
            "follow_up_cadence": ["app"]}


def upgrade() -> None:
    with op.batch_alter_table('app_user', schema=None) as batch_op:
        batch_op.add_column(sa.Column('email', sa.String(length=254), nullable=True))
    with op.batch_alter_table('customer', schema=None) as batch_op:
        batch_op.add_column(sa.Column('kyc_review_due', sa.Date(), nullable=True))
    with op.batch_alter_table('holding', schema=None) as batch_op:
        batch_op.add_column(sa.Column('maturity_on', sa.Date(), nullable=True))

    with op.batch_alter_table('reminder_rule', schema=None) as batch_op:
        batch_op.add_column(sa.Column('channels', sa.JSON(), nullable=False, server_default='["app"]'))
    rules = sa.table('reminder_rule', sa.column('code', sa.String), sa.column('source', sa.String),
                     sa.column('lead_days', sa.Integer), sa.column('params', sa.JSON), sa.column('active', sa.Boolean),
                     sa.column('name', sa.String), sa.column('name_en', sa.String), sa.column('channels', sa.JSON),
                     sa.column('updated_at', sa.DateTime(timezone=True)))
    for code, channels in CHANNELS.items():
        op.execute(rules.update().where(rules.c.code == code).values(channels=channels))
    with op.batch_alter_table('reminder_rule', schema=None) as batch_op:
        batch_op.alter_column('channels', server_default=None)
    now = datetime.now(timezone.utc)
    op.bulk_insert(rules, [
        {"code": "product_maturity_14d", "source": "product_maturity", "lead_days": 14, "params": {}, "active": True,
         "name": "产品到期（提前 14 天）", "name_en": "Product maturities (14 days ahead)",
         "channels": ["app", "email", "push"], "updated_at": now},
        {"code": "kyc_review_30d", "source": "kyc_review", "lead_days": 30, "params": {}, "active": True,
         "name": "KYC 定期复核（提前 30 天）", "name_en": "KYC reviews due (30 days ahead)",
         "channels": ["app", "email"], "updated_at": now},
        {"code": "approval_sla", "source": "approval_sla", "lead_days": 0, "params": {}, "active": True,
         "name": "审批时限将到", "name_en": "Approvals nearing their SLA",
         "channels": ["app", "email", "push"], "updated_at": now},
    ])

    with op.batch_alter_table('reminder', schema=None) as batch_op:
        batch_op.add_column(sa.Column('subject_key', sa.String(length=64), nullable=True))
        batch_op.add_column(sa.Column('holding_id', sa.Integer(), nullable=True))
        batch_op.add_column(sa.Column('approval_task_id', sa.Integer(), nullable=True))
        batch_op.add_column(sa.Column('notified_at', sa.DateTime(timezone=True), nullable=True))
    reminders = sa.table('reminder', sa.column('customer_id', sa.Integer), sa.column('subject_key', sa.String),
                         sa.column('notified_at', sa.DateTime(timezone=True)))
    # Reminders made before delivery existed count as announced (nobody is mailed about last week's birthday).
    op.execute(reminders.update().values(subject_key=sa.literal('customer:') + sa.cast(reminders.c.customer_id,
                                                                                         sa.String), notified_at=now))
    with op.batch_alter_table('reminder', schema=None) as batch_op:
        batch_op.alter_column('subject_key', existing_type=sa.String(length=64), nullable=False)
        batch_op.alter_column('customer_id', existing_type=sa.Integer(), nullable=True)
        batch_op.drop_constraint('uq_reminder_rule_customer_due', type_='unique')
        batch_op.create_unique_constraint('uq_reminder_rule_subject_due', ['rule_code', 'subject_key', 'due_on'])
        batch_op.create_foreign_key('fk_reminder_holding_id_holding', 'holding', ['holding_id'], ['id'])
        batch_op.create_foreign_key('fk_reminder_approval_task_id_approval_task', 'approval_task',
                                    ['approval_task_id'], ['id'])
        batch_op.create_index('ix_reminder_unnotified', ['notified_at', 'resolved_at'], unique=False)

    op.create_table('push_subscription',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('user_id', sa.Integer(), nullable=False),
    sa.Column('endpoint', sa.String(length=1000), nullable=False),
    sa.Column('p256dh', sa.String(length=200), nullable=False),
    sa.Column('auth', sa.String(length=100), nullable=False),
    sa.Column('user_agent', sa.String(length=255), nullable=True),
    sa.Column('created_at', sa.DateTime(timezone=True), nullable=False),
    sa.ForeignKeyConstraint(['user_id'], ['app_user.id'], ),
    sa.PrimaryKeyConstraint('id'),
    sa.UniqueConstraint('endpoint')
    )
    with op.batch_alter_table('push_subscription', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_push_subscription_user_id'), ['user_id'], unique=False)
    op.create_table('push_message',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('subscription_id', sa.Integer(), nullable=False),
    sa.Column('payload', sa.JSON(), nullable=False),
    sa.Column('status', sa.String(length=12), nullable=False),
    sa.Column('attempts', sa.Integer(), nullable=False),
    sa.Column('last_error', sa.String(length=300), nullable=True),
    sa.Column('created_at', sa.DateTime(timezone=True), nullable=False),
    sa.Column('next_attempt_at', sa.DateTime(timezone=True), nullable=False),
    sa.Column('sent_at', sa.DateTime(timezone=True), nullable=True),
    sa.ForeignKeyConstraint(['subscription_id'], ['push_subscription.id'], ),
    sa.PrimaryKeyConstraint('id')
    )
    with op.batch_alter_table('push_message', schema=None) as batch_op:
        batch_op.create_index('ix_push_message_status', ['status', 'next_attempt_at'], unique=False)
        batch_op.create_index(batch_op.f('ix_push_message_subscription_id'), ['subscription_id'], unique=False)


def downgrade() -> None:
    op.drop_table('push_message')
    op.drop_table('push_subscription')
    op.execute("DELETE FROM reminder WHERE customer_id IS NULL OR rule_code IN "
               "('product_maturity_14d', 'kyc_review_30d', 'approval_sla')")
    op.execute("DELETE FROM reminder_rule WHERE code IN ('product_maturity_14d', 'kyc_review_30d', 'approval_sla')")
    with op.batch_alter_table('reminder', schema=None) as batch_op:
        batch_op.drop_index('ix_reminder_unnotified')
        batch_op.drop_constraint('fk_reminder_approval_task_id_approval_task', type_='foreignkey')
        batch_op.drop_constraint('fk_reminder_holding_id_holding', type_='foreignkey')
        batch_op.drop_constraint('uq_reminder_rule_subject_due', type_='unique')
        batch_op.create_unique_constraint('uq_reminder_rule_customer_due', ['rule_code', 'customer_id', 'due_on'])
        batch_op.alter_column('customer_id', existing_type=sa.Integer(), nullable=False)
        batch_op.drop_column('notified_at')
        batch_op.drop_column('approval_task_id')
        batch_op.drop_column('holding_id')
        batch_op.drop_column('subject_key')
    with op.batch_alter_table('reminder_rule', schema=None) as batch_op:
        batch_op.drop_column('channels')
    with op.batch_alter_table('holding', schema=None) as batch_op:
        batch_op.drop_column('maturity_on')
    with op.batch_alter_table('customer', schema=None) as batch_op:
        batch_op.drop_column('kyc_review_due')
    with op.batch_alter_table('app_user', schema=None) as batch_op:
        batch_op.drop_column('email')
