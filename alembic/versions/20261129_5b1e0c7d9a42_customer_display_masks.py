"""customer display masks: id_number_masked and phone_masked, filled from the encrypted values

Revision ID: 5b1e0c7d9a42
Revises: 044bb17bc3fa
Create Date: 2026-11-29 15:20:00
"""
from typing import Sequence, Union

import sqlalchemy as sa
from alembic import op


revision: str = '5b1e0c7d9a42'
down_revision: Union[str, None] = '044bb17bc3fa'
branch_labels: Union[str, Sequence[str], None] = None
depends_on: Union[str, Sequence[str], None] = None

BATCH = 5000


def upgrade() -> None:
    with op.batch_alter_table('customer', schema=None) as batch_op:
        batch_op.add_column(sa.Column('id_number_masked', sa.String(length=40), nullable=True))
        batch_op.add_column(sa.Column('phone_masked', sa.String(length=30), nullable=True))
    # Nullable, although every writer sets it: making it NOT NULL on SQLite would rebuild the customer
    # table, which every other table references.
    _fill_masks()


def _fill_masks() -> None:
    """Existing customers get their masks from their decrypted values. This is the one migration
    that needs the encryption keys, and only when there are customers to fill."""
    conn = op.get_bind()
    customer = sa.table('customer', sa.column('id', sa.Integer), sa.column('id_number_enc', sa.String),
                        sa.column('phone_enc', sa.String), sa.column('id_number_masked', sa.String),
                        sa.column('phone_masked', sa.String))
    if conn.execute(sa.select(sa.func.count()).select_from(customer)).scalar_one() == 0:
        return
    from services.security.keys import get_cipher
    from services.security.masking import mask_id_number, mask_phone

    cipher = get_cipher()
    last = 0
    while True:
        rows = conn.execute(sa.select(customer.c.id, customer.c.id_number_enc, customer.c.phone_enc)
                            .where(customer.c.id > last).order_by(customer.c.id).limit(BATCH)).all()
        if not rows:
            return
        conn.execute(
            customer.update().where(customer.c.id == sa.bindparam('b_id')).values(
                id_number_masked=sa.bindparam('b_id_masked'), phone_masked=sa.bindparam('b_phone_masked')),
            [{'b_id': cid,
              'b_id_masked': mask_id_number(cipher.decrypt(id_enc, context='customer.id_number')),
              'b_phone_masked': mask_phone(cipher.decrypt(phone_enc, context='customer.phone')) if phone_enc else None}
             for cid, id_enc, phone_enc in rows])
        last = rows[-1][0]


def downgrade() -> None:
    with op.batch_alter_table('customer', schema=None) as batch_op:
        batch_op.drop_column('phone_masked')
        batch_op.drop_column('id_number_masked')
