"""interaction note revisions (issue 14, a note edited on two devices): interaction.revision, every replaced text in
interaction_revision (who, when, from where), and offline_submission keys that record a revision as well as a note

Revision ID: a7c3e19f5d42
Revises: f2a6b9d3c481
Create Date: 2026-11-30 14:40:00.000000
"""
from typing import Sequence, Union

import sqlalchemy as sa
from alembic import op


revision: str = 'a7c3e19f5d42'
down_revision: Union[str, None] = 'f2a6b9d3c481'
branch_labels: Union[str, Sequence[str], None] = None
depends_on: Union[str, Sequence[str], None] = None


def upgrade() -> None:
    op.create_table('interaction_revision',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('interaction_id', sa.Integer(), nullable=False),
    sa.Column('revision', sa.Integer(), nullable=False),
    sa.Column('previous_notes', sa.Text(), nullable=True),
    sa.Column('user_id', sa.Integer(), nullable=False),
    sa.Column('at', sa.DateTime(timezone=True), nullable=False),
    sa.Column('written_at', sa.DateTime(timezone=True), nullable=True),
    sa.Column('channel', sa.String(length=8), nullable=False),
    sa.ForeignKeyConstraint(['interaction_id'], ['interaction.id'], ),
    sa.ForeignKeyConstraint(['user_id'], ['app_user.id'], ),
    sa.PrimaryKeyConstraint('id'),
    sa.UniqueConstraint('interaction_id', 'revision', name='uq_interaction_revision_number')
    )
    with op.batch_alter_table('interaction', schema=None) as batch_op:
        batch_op.add_column(sa.Column('revision', sa.Integer(), server_default='1', nullable=False))
    with op.batch_alter_table('offline_submission', schema=None) as batch_op:
        batch_op.add_column(sa.Column('action', sa.String(length=16), server_default='note', nullable=False))
        batch_op.add_column(sa.Column('revision', sa.Integer(), nullable=True))


def downgrade() -> None:
    with op.batch_alter_table('offline_submission', schema=None) as batch_op:
        batch_op.drop_column('revision')
        batch_op.drop_column('action')
    with op.batch_alter_table('interaction', schema=None) as batch_op:
        batch_op.drop_column('revision')
    op.drop_table('interaction_revision')
