"""approval workflows (issue 11): workflow definitions and their versions (BPMN 2.0 and DMN documents, never
changed once saved), running instances (SpiffWorkflow's state without the process spec, the item's facts the inbox
shows, maker and last editor, round, optimistic revision), approval tasks (role or the maker, SLA due time,
reminder, escalation, decision with comment, on whose behalf and in which role), delegations while away.

Revision ID: 7d2eb3f71c3e
Revises: 3cb4533435eb
Create Date: 2026-11-30 07:18:10.887898
"""
from typing import Sequence, Union

import sqlalchemy as sa
from alembic import op


revision: str = '7d2eb3f71c3e'
down_revision: Union[str, None] = '3cb4533435eb'
branch_labels: Union[str, Sequence[str], None] = None
depends_on: Union[str, Sequence[str], None] = None


def upgrade() -> None:
    op.create_table('workflow_definition',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('key', sa.String(length=64), nullable=False),
    sa.Column('kind', sa.String(length=32), nullable=False),
    sa.Column('name', sa.String(length=100), nullable=False),
    sa.Column('name_en', sa.String(length=100), nullable=False),
    sa.Column('created_at', sa.DateTime(timezone=True), nullable=False),
    sa.PrimaryKeyConstraint('id'),
    sa.UniqueConstraint('key')
    )
    op.create_table('approval_delegation',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('delegator_id', sa.Integer(), nullable=False),
    sa.Column('delegate_id', sa.Integer(), nullable=False),
    sa.Column('starts_at', sa.DateTime(timezone=True), nullable=False),
    sa.Column('ends_at', sa.DateTime(timezone=True), nullable=False),
    sa.Column('reason', sa.String(length=200), nullable=True),
    sa.Column('created_at', sa.DateTime(timezone=True), nullable=False),
    sa.Column('revoked_at', sa.DateTime(timezone=True), nullable=True),
    sa.ForeignKeyConstraint(['delegate_id'], ['app_user.id'], ),
    sa.ForeignKeyConstraint(['delegator_id'], ['app_user.id'], ),
    sa.PrimaryKeyConstraint('id')
    )
    with op.batch_alter_table('approval_delegation', schema=None) as batch_op:
        batch_op.create_index('ix_approval_delegation_delegate', ['delegate_id', 'ends_at'], unique=False)
        batch_op.create_index(batch_op.f('ix_approval_delegation_delegator_id'), ['delegator_id'], unique=False)

    op.create_table('workflow_version',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('definition_id', sa.Integer(), nullable=False),
    sa.Column('version', sa.Integer(), nullable=False),
    sa.Column('bpmn_xml', sa.Text(), nullable=False),
    sa.Column('dmn_xmls', sa.JSON(), nullable=False),
    sa.Column('sha256', sa.String(length=64), nullable=False),
    sa.Column('note', sa.String(length=300), nullable=True),
    sa.Column('created_by', sa.Integer(), nullable=True),
    sa.Column('created_by_name', sa.String(length=100), nullable=False),
    sa.Column('created_at', sa.DateTime(timezone=True), nullable=False),
    sa.ForeignKeyConstraint(['created_by'], ['app_user.id'], ),
    sa.ForeignKeyConstraint(['definition_id'], ['workflow_definition.id'], ),
    sa.PrimaryKeyConstraint('id'),
    sa.UniqueConstraint('definition_id', 'version', name='uq_workflow_version')
    )
    with op.batch_alter_table('workflow_version', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_workflow_version_definition_id'), ['definition_id'], unique=False)

    op.create_table('workflow_instance',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('definition_id', sa.Integer(), nullable=False),
    sa.Column('version_id', sa.Integer(), nullable=False),
    sa.Column('subject_type', sa.String(length=32), nullable=False),
    sa.Column('subject_id', sa.Integer(), nullable=False),
    sa.Column('subject_ref', sa.String(length=40), nullable=False),
    sa.Column('customer_id', sa.Integer(), nullable=True),
    sa.Column('branch_id', sa.Integer(), nullable=True),
    sa.Column('product_type', sa.String(length=32), nullable=False),
    sa.Column('risk_grade', sa.String(length=16), nullable=True),
    sa.Column('amount', sa.BigInteger(), nullable=False),
    sa.Column('status', sa.String(length=16), nullable=False),
    sa.Column('outcome', sa.String(length=64), nullable=True),
    sa.Column('route', sa.String(length=64), nullable=True),
    sa.Column('started_by', sa.Integer(), nullable=True),
    sa.Column('started_by_name', sa.String(length=100), nullable=False),
    sa.Column('last_edited_by', sa.Integer(), nullable=True),
    sa.Column('owner_id', sa.Integer(), nullable=True),
    sa.Column('round', sa.Integer(), nullable=False),
    sa.Column('state', sa.Text(), nullable=False),
    sa.Column('revision', sa.Integer(), nullable=False),
    sa.Column('started_at', sa.DateTime(timezone=True), nullable=False),
    sa.Column('updated_at', sa.DateTime(timezone=True), nullable=False),
    sa.Column('ended_at', sa.DateTime(timezone=True), nullable=True),
    sa.ForeignKeyConstraint(['branch_id'], ['branch.id'], ),
    sa.ForeignKeyConstraint(['customer_id'], ['customer.id'], ),
    sa.ForeignKeyConstraint(['definition_id'], ['workflow_definition.id'], ),
    sa.ForeignKeyConstraint(['last_edited_by'], ['app_user.id'], ),
    sa.ForeignKeyConstraint(['owner_id'], ['app_user.id'], ),
    sa.ForeignKeyConstraint(['started_by'], ['app_user.id'], ),
    sa.ForeignKeyConstraint(['version_id'], ['workflow_version.id'], ),
    sa.PrimaryKeyConstraint('id')
    )
    with op.batch_alter_table('workflow_instance', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_workflow_instance_customer_id'), ['customer_id'], unique=False)
        batch_op.create_index('ix_workflow_instance_status', ['status', 'definition_id'], unique=False)
        batch_op.create_index('ix_workflow_instance_subject', ['subject_type', 'subject_id'], unique=False)

    op.create_table('approval_task',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('instance_id', sa.Integer(), nullable=False),
    sa.Column('engine_task_id', sa.String(length=36), nullable=False),
    sa.Column('step_id', sa.String(length=100), nullable=False),
    sa.Column('step_name', sa.String(length=200), nullable=False),
    sa.Column('role', sa.String(length=32), nullable=True),
    sa.Column('assignee_id', sa.Integer(), nullable=True),
    sa.Column('round', sa.Integer(), nullable=False),
    sa.Column('status', sa.String(length=16), nullable=False),
    sa.Column('opened_at', sa.DateTime(timezone=True), nullable=False),
    sa.Column('due_at', sa.DateTime(timezone=True), nullable=True),
    sa.Column('reminded_at', sa.DateTime(timezone=True), nullable=True),
    sa.Column('escalated_at', sa.DateTime(timezone=True), nullable=True),
    sa.Column('escalated_to', sa.String(length=32), nullable=True),
    sa.Column('decision', sa.String(length=16), nullable=True),
    sa.Column('comment', sa.Text(), nullable=True),
    sa.Column('decided_by', sa.Integer(), nullable=True),
    sa.Column('decided_by_name', sa.String(length=100), nullable=True),
    sa.Column('on_behalf_of', sa.Integer(), nullable=True),
    sa.Column('on_behalf_of_name', sa.String(length=100), nullable=True),
    sa.Column('acted_as', sa.String(length=32), nullable=True),
    sa.Column('decided_at', sa.DateTime(timezone=True), nullable=True),
    sa.ForeignKeyConstraint(['assignee_id'], ['app_user.id'], ),
    sa.ForeignKeyConstraint(['decided_by'], ['app_user.id'], ),
    sa.ForeignKeyConstraint(['instance_id'], ['workflow_instance.id'], ),
    sa.ForeignKeyConstraint(['on_behalf_of'], ['app_user.id'], ),
    sa.PrimaryKeyConstraint('id')
    )
    with op.batch_alter_table('approval_task', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_approval_task_assignee_id'), ['assignee_id'], unique=False)
        batch_op.create_index('ix_approval_task_escalated', ['status', 'escalated_to'], unique=False)
        batch_op.create_index('ix_approval_task_instance', ['instance_id', 'id'], unique=False)
        batch_op.create_index('ix_approval_task_open', ['status', 'role', 'due_at'], unique=False)



def downgrade() -> None:
    with op.batch_alter_table('approval_task', schema=None) as batch_op:
        batch_op.drop_index('ix_approval_task_open')
        batch_op.drop_index('ix_approval_task_instance')
        batch_op.drop_index('ix_approval_task_escalated')
        batch_op.drop_index(batch_op.f('ix_approval_task_assignee_id'))

    op.drop_table('approval_task')
    with op.batch_alter_table('workflow_instance', schema=None) as batch_op:
        batch_op.drop_index('ix_workflow_instance_subject')
        batch_op.drop_index('ix_workflow_instance_status')
        batch_op.drop_index(batch_op.f('ix_workflow_instance_customer_id'))

    op.drop_table('workflow_instance')
    with op.batch_alter_table('workflow_version', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_workflow_version_definition_id'))

    op.drop_table('workflow_version')
    with op.batch_alter_table('approval_delegation', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_approval_delegation_delegator_id'))
        batch_op.drop_index('ix_approval_delegation_delegate')

    op.drop_table('approval_delegation')
    op.drop_table('workflow_definition')
