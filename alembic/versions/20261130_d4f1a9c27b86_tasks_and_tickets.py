"""tasks and tickets (issue 9): ticket categories with their SLA per priority and reopen period (table
ticket_category, shipped defaults inserted); the ticket lifecycle new / assigned / in progress / waiting for
customer / resolved / closed with each step in ticket_event; complaint fields for the regulator's statistics
(category, complaint_reason, resolution, days_to_resolve); SLA breach flag and escalation; task kind, the
escalated ticket, completion; interaction.contact_basis (contact despite "do not contact").

Existing tickets: 'open' becomes 'assigned' (or 'new' without an assignee), each kind gets its "other" category,
and their history (received, resolved, closed) is written from the times they carry.

Revision ID: d4f1a9c27b86
Revises: b5e2f8a41c93
Create Date: 2026-11-30 09:00:00
"""
from typing import Sequence, Union

import sqlalchemy as sa
from alembic import op


revision: str = 'd4f1a9c27b86'
down_revision: Union[str, None] = 'b5e2f8a41c93'
branch_labels: Union[str, Sequence[str], None] = None
depends_on: Union[str, Sequence[str], None] = None

# (code, kind, name, name_en, SLA hours high / normal / low, reopen days, order). Complaint categories follow the
# business lines complaint statistics are reported by; a decision is due within 15 days, the firm aims sooner.
CATEGORIES = [
    ('complaint_card', 'complaint', '银行卡', 'Bank cards', 24, 72, 120, 30, 10),
    ('complaint_loan', 'complaint', '贷款', 'Loans', 24, 72, 120, 30, 20),
    ('complaint_wealth', 'complaint', '理财与代销产品', 'Wealth and agency products', 48, 120, 240, 30, 30),
    ('complaint_deposit', 'complaint', '存款', 'Deposits', 24, 72, 120, 30, 40),
    ('complaint_payment', 'complaint', '支付结算', 'Payments and transfers', 24, 72, 120, 30, 50),
    ('complaint_digital', 'complaint', '手机银行与线上渠道', 'Mobile and online banking', 24, 72, 120, 30, 60),
    ('complaint_other', 'complaint', '其他业务', 'Other business', 24, 72, 168, 30, 90),
    ('service_profile', 'service', '客户信息变更', 'Change of customer details', 8, 48, 120, 7, 10),
    ('service_statement', 'service', '对账单与证明', 'Statements and certificates', 8, 48, 120, 7, 20),
    ('service_card', 'service', '卡片服务', 'Card services', 8, 48, 120, 7, 30),
    ('service_deposit', 'service', '存取款业务', 'Deposit services', 8, 48, 120, 7, 40),
    ('service_inquiry', 'service', '产品咨询', 'Product questions', 8, 24, 72, 7, 50),
    ('service_other', 'service', '其他服务', 'Other services', 8, 48, 120, 7, 90),
]


def upgrade() -> None:
    category = op.create_table(
        'ticket_category',
        sa.Column('id', sa.Integer(), nullable=False),
        sa.Column('code', sa.String(length=32), nullable=False),
        sa.Column('kind', sa.String(length=16), nullable=False),
        sa.Column('name', sa.String(length=100), nullable=False),
        sa.Column('name_en', sa.String(length=100), nullable=False),
        sa.Column('sla_hours_high', sa.Integer(), nullable=False),
        sa.Column('sla_hours_normal', sa.Integer(), nullable=False),
        sa.Column('sla_hours_low', sa.Integer(), nullable=False),
        sa.Column('reopen_days', sa.Integer(), nullable=False),
        sa.Column('active', sa.Boolean(), nullable=False),
        sa.Column('sort_order', sa.Integer(), nullable=False),
        sa.PrimaryKeyConstraint('id'),
        sa.UniqueConstraint('code'),
    )
    op.bulk_insert(category, [
        {'code': c, 'kind': k, 'name': n, 'name_en': e, 'sla_hours_high': h, 'sla_hours_normal': m,
         'sla_hours_low': lo, 'reopen_days': r, 'active': True, 'sort_order': o}
        for c, k, n, e, h, m, lo, r, o in CATEGORIES])

    # A plain nullable column: SQLite adds it in place.
    with op.batch_alter_table('interaction', schema=None) as batch_op:
        batch_op.add_column(sa.Column('contact_basis', sa.String(length=24), nullable=True))

    with op.batch_alter_table('ticket', schema=None) as batch_op:
        batch_op.add_column(sa.Column('category', sa.String(length=32), nullable=True))
        batch_op.add_column(sa.Column('complaint_reason', sa.String(length=32), nullable=True))
        batch_op.add_column(sa.Column('resolution', sa.String(length=20), nullable=True))
        batch_op.add_column(sa.Column('resolution_note', sa.Text(), nullable=True))
        batch_op.add_column(sa.Column('days_to_resolve', sa.Integer(), nullable=True))
        batch_op.add_column(sa.Column('closed_at', sa.DateTime(timezone=True), nullable=True))
        batch_op.add_column(sa.Column('breached_at', sa.DateTime(timezone=True), nullable=True))
        batch_op.add_column(sa.Column('escalated_to_id', sa.Integer(), nullable=True))
        batch_op.add_column(sa.Column('reopened', sa.Integer(), server_default='0', nullable=False))

    op.create_table(
        'ticket_event',
        sa.Column('id', sa.Integer(), nullable=False),
        sa.Column('ticket_id', sa.Integer(), nullable=False),
        sa.Column('customer_id', sa.Integer(), nullable=False),
        sa.Column('at', sa.DateTime(timezone=True), nullable=False),
        sa.Column('step', sa.String(length=20), nullable=False),
        sa.Column('from_status', sa.String(length=20), nullable=True),
        sa.Column('to_status', sa.String(length=20), nullable=False),
        sa.Column('actor_id', sa.Integer(), nullable=True),
        sa.Column('assignee_id', sa.Integer(), nullable=True),
        sa.Column('note', sa.Text(), nullable=True),
        sa.ForeignKeyConstraint(['actor_id'], ['app_user.id'], ),
        sa.ForeignKeyConstraint(['assignee_id'], ['app_user.id'], ),
        sa.ForeignKeyConstraint(['customer_id'], ['customer.id'], ),
        sa.ForeignKeyConstraint(['ticket_id'], ['ticket.id'], ),
        sa.PrimaryKeyConstraint('id'),
    )
    with op.batch_alter_table('ticket_event', schema=None) as batch_op:
        batch_op.create_index('ix_ticket_event_customer_at', ['customer_id', 'at'], unique=False)
        batch_op.create_index('ix_ticket_event_ticket_at', ['ticket_id', 'at'], unique=False)

    _carry_tickets_over()

    with op.batch_alter_table('ticket', schema=None) as batch_op:
        batch_op.alter_column('category', existing_type=sa.String(length=32), nullable=False)
        batch_op.create_foreign_key('fk_ticket_escalated_to_id_app_user', 'app_user', ['escalated_to_id'], ['id'])

    with op.batch_alter_table('task', schema=None) as batch_op:
        batch_op.add_column(sa.Column('kind', sa.String(length=16), server_default='follow_up', nullable=False))
        batch_op.add_column(sa.Column('ticket_id', sa.Integer(), nullable=True))
        batch_op.add_column(sa.Column('completed_at', sa.DateTime(timezone=True), nullable=True))
        batch_op.add_column(sa.Column('completed_by_id', sa.Integer(), nullable=True))
        batch_op.create_index(batch_op.f('ix_task_ticket_id'), ['ticket_id'], unique=False)
        batch_op.create_foreign_key('fk_task_ticket_id_ticket', 'ticket', ['ticket_id'], ['id'])
        batch_op.create_foreign_key('fk_task_completed_by_id_app_user', 'app_user', ['completed_by_id'], ['id'])


def _carry_tickets_over() -> None:
    """Existing tickets: the new statuses, a category, days to resolve, and their history from their times."""
    from datetime import timezone
    from zoneinfo import ZoneInfo

    from services.settings import get_settings

    zone = ZoneInfo(get_settings().timezone)
    bind = op.get_bind()
    ticket = sa.table('ticket', sa.column('id', sa.Integer), sa.column('customer_id', sa.Integer),
                      sa.column('kind', sa.String), sa.column('status', sa.String),
                      sa.column('opened_at', sa.DateTime(timezone=True)),
                      sa.column('resolved_at', sa.DateTime(timezone=True)), sa.column('assignee_id', sa.Integer),
                      sa.column('opened_by_id', sa.Integer), sa.column('category', sa.String),
                      sa.column('closed_at', sa.DateTime(timezone=True)), sa.column('days_to_resolve', sa.Integer))
    event = sa.table('ticket_event', sa.column('ticket_id', sa.Integer), sa.column('customer_id', sa.Integer),
                     sa.column('at', sa.DateTime(timezone=True)), sa.column('step', sa.String),
                     sa.column('from_status', sa.String), sa.column('to_status', sa.String),
                     sa.column('actor_id', sa.Integer), sa.column('assignee_id', sa.Integer))

    def aware(at):
        return None if at is None else (at if at.tzinfo else at.replace(tzinfo=timezone.utc))

    rows = bind.execute(sa.select(ticket.c.id, ticket.c.customer_id, ticket.c.kind, ticket.c.status,
                                  ticket.c.opened_at, ticket.c.resolved_at, ticket.c.assignee_id,
                                  ticket.c.opened_by_id)).all()
    events = []
    for tid, cid, kind, status, opened, resolved, assignee, opener in rows:
        opened, resolved = aware(opened), aware(resolved)
        received_as = 'assigned' if assignee is not None else 'new'
        new_status = received_as if status == 'open' else status
        values = {'category': f'{kind}_other', 'status': new_status}
        events.append({'ticket_id': tid, 'customer_id': cid, 'at': opened, 'step': 'open', 'from_status': None,
                       'to_status': received_as, 'actor_id': opener, 'assignee_id': assignee})
        if new_status == 'in_progress':
            events.append({'ticket_id': tid, 'customer_id': cid, 'at': opened, 'step': 'start',
                           'from_status': received_as, 'to_status': 'in_progress', 'actor_id': assignee,
                           'assignee_id': assignee})
        if new_status in ('resolved', 'closed') and resolved is not None:
            values['days_to_resolve'] = (resolved.astimezone(zone).date() - opened.astimezone(zone).date()).days
            events.append({'ticket_id': tid, 'customer_id': cid, 'at': resolved, 'step': 'resolve',
                           'from_status': received_as, 'to_status': 'resolved', 'actor_id': assignee,
                           'assignee_id': assignee})
            if new_status == 'closed':
                values['closed_at'] = resolved  # when it was closed was not kept: no later than resolved
                events.append({'ticket_id': tid, 'customer_id': cid, 'at': resolved, 'step': 'close',
                               'from_status': 'resolved', 'to_status': 'closed', 'actor_id': assignee,
                               'assignee_id': assignee})
        bind.execute(ticket.update().where(ticket.c.id == tid).values(**values))
    if events:
        bind.execute(event.insert(), events)


def downgrade() -> None:
    with op.batch_alter_table('task', schema=None) as batch_op:
        batch_op.drop_constraint('fk_task_completed_by_id_app_user', type_='foreignkey')
        batch_op.drop_constraint('fk_task_ticket_id_ticket', type_='foreignkey')
        batch_op.drop_index(batch_op.f('ix_task_ticket_id'))
        batch_op.drop_column('completed_by_id')
        batch_op.drop_column('completed_at')
        batch_op.drop_column('ticket_id')
        batch_op.drop_column('kind')
    op.execute("UPDATE ticket SET status = 'open' WHERE status IN ('new', 'assigned', 'waiting_customer')")
    with op.batch_alter_table('ticket_event', schema=None) as batch_op:
        batch_op.drop_index('ix_ticket_event_ticket_at')
        batch_op.drop_index('ix_ticket_event_customer_at')
    op.drop_table('ticket_event')
    with op.batch_alter_table('ticket', schema=None) as batch_op:
        batch_op.drop_constraint('fk_ticket_escalated_to_id_app_user', type_='foreignkey')
        for column in ('reopened', 'escalated_to_id', 'breached_at', 'closed_at', 'days_to_resolve',
                       'resolution_note', 'resolution', 'complaint_reason', 'category'):
            batch_op.drop_column(column)
    with op.batch_alter_table('interaction', schema=None) as batch_op:
        batch_op.drop_column('contact_basis')
    op.drop_table('ticket_category')
