"""credential throttle: failed credential checks are limited per address, browser and name instead of
locking the account (login_attempt.device, credential_throttle)

Revision ID: 7c1d2e3f4a5b
Revises: 5b1e0c7d9a42
Create Date: 2026-11-30 04:30:00
"""
from typing import Sequence, Union

import sqlalchemy as sa
from alembic import op


revision: str = '7c1d2e3f4a5b'
down_revision: Union[str, None] = '5b1e0c7d9a42'
branch_labels: Union[str, Sequence[str], None] = None
depends_on: Union[str, Sequence[str], None] = None


def upgrade() -> None:
    with op.batch_alter_table('login_attempt', schema=None) as batch_op:
        batch_op.add_column(sa.Column('device', sa.String(length=64), nullable=True))
        batch_op.create_index('ix_login_attempt_ip_at', ['ip', 'at'], unique=False)
    op.create_table('credential_throttle',
    sa.Column('key', sa.String(length=200), nullable=False),
    sa.Column('started_at', sa.DateTime(timezone=True), nullable=False),
    sa.Column('until', sa.DateTime(timezone=True), nullable=False),
    sa.PrimaryKeyConstraint('key')
    )
    with op.batch_alter_table('credential_throttle', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_credential_throttle_until'), ['until'], unique=False)


def downgrade() -> None:
    with op.batch_alter_table('credential_throttle', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_credential_throttle_until'))
    op.drop_table('credential_throttle')
    with op.batch_alter_table('login_attempt', schema=None) as batch_op:
        batch_op.drop_index('ix_login_attempt_ip_at')
        batch_op.drop_column('device')
