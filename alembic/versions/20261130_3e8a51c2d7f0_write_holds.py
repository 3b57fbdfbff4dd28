"""write holds: an import's new customers are committed in short transactions under a hold and published
at once (write_hold; customer.hold_id, outbox_message.hold_id, import_batch.write_hold_id)

Revision ID: 3e8a51c2d7f0
Revises: 7c1d2e3f4a5b
Create Date: 2026-11-30 06:00:00
"""
from typing import Sequence, Union

import sqlalchemy as sa
from alembic import op


revision: str = '3e8a51c2d7f0'
down_revision: Union[str, None] = '7c1d2e3f4a5b'
branch_labels: Union[str, Sequence[str], None] = None
depends_on: Union[str, Sequence[str], None] = None


def upgrade() -> None:
    op.create_table('write_hold',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('purpose', sa.String(length=64), nullable=False),
    sa.Column('status', sa.String(length=12), nullable=False),
    sa.Column('first_row_id', sa.Integer(), nullable=True),
    sa.Column('opened_at', sa.DateTime(timezone=True), nullable=False),
    sa.Column('closed_at', sa.DateTime(timezone=True), nullable=True),
    sa.PrimaryKeyConstraint('id')
    )
    with op.batch_alter_table('write_hold', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_write_hold_status'), ['status'], unique=False)
    # Plain nullable columns without foreign keys: SQLite adds them in place (no rebuild of the
    # customer table, which every other table references). Only held rows are indexed.
    with op.batch_alter_table('customer', schema=None) as batch_op:
        batch_op.add_column(sa.Column('hold_id', sa.Integer(), nullable=True))
        batch_op.create_index('ix_customer_hold', ['hold_id'], unique=False,
                              sqlite_where=sa.text('hold_id IS NOT NULL'),
                              postgresql_where=sa.text('hold_id IS NOT NULL'))
    with op.batch_alter_table('outbox_message', schema=None) as batch_op:
        batch_op.add_column(sa.Column('hold_id', sa.Integer(), nullable=True))
        batch_op.create_index('ix_outbox_hold', ['hold_id'], unique=False,
                              sqlite_where=sa.text('hold_id IS NOT NULL'),
                              postgresql_where=sa.text('hold_id IS NOT NULL'))
    with op.batch_alter_table('import_batch', schema=None) as batch_op:
        batch_op.add_column(sa.Column('write_hold_id', sa.Integer(), nullable=True))


def downgrade() -> None:
    with op.batch_alter_table('import_batch', schema=None) as batch_op:
        batch_op.drop_column('write_hold_id')
    with op.batch_alter_table('outbox_message', schema=None) as batch_op:
        batch_op.drop_index('ix_outbox_hold')
        batch_op.drop_column('hold_id')
    with op.batch_alter_table('customer', schema=None) as batch_op:
        batch_op.drop_index('ix_customer_hold')
        batch_op.drop_column('hold_id')
    with op.batch_alter_table('write_hold', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_write_hold_status'))
    op.drop_table('write_hold')
