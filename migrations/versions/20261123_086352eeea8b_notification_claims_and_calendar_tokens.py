"""Notification receipts claimed before sending; advisors' calendar feed tokens.

- notification_receipts: result `pending` (claimed, not yet sent), claimed_at (backfilled
  from sent_at), attempts, error; sent_at becomes empty until a notification is sent.
- users.calendar_token_hash: the SHA-256 of an advisor's secret calendar feed token.

Revision ID: 086352eeea8b
Revises: 546e5e094a89
Create Date: 2026-11-23 05:14:10.421219

"""
from alembic import op
import sqlalchemy as sa

from equipbank.migration_guard import refuse_data_loss


# revision identifiers, used by Alembic.
revision = '086352eeea8b'
down_revision = '546e5e094a89'
branch_labels = None
depends_on = None


OLD_RESULTS = "result IN ('sent', 'failed')"
NEW_RESULTS = "result IN ('pending', 'sent', 'failed')"


def upgrade():
    with op.batch_alter_table('notification_receipts', schema=None) as batch_op:
        batch_op.add_column(sa.Column('claimed_at', sa.DateTime(timezone=True), nullable=True))
        batch_op.add_column(sa.Column('attempts', sa.Integer(), server_default='1', nullable=False))
        batch_op.add_column(sa.Column('error', sa.String(length=200), nullable=True))
    op.execute("UPDATE notification_receipts SET claimed_at = sent_at")
    with op.batch_alter_table('notification_receipts', schema=None) as batch_op:
        batch_op.alter_column('claimed_at', existing_type=sa.DateTime(timezone=True), nullable=False)
        batch_op.alter_column('sent_at', existing_type=sa.DateTime(timezone=True), nullable=True)
        batch_op.drop_constraint(op.f('ck_notification_receipts_result_code'), type_='check')
        batch_op.create_check_constraint(op.f('ck_notification_receipts_result_code'), NEW_RESULTS)

    with op.batch_alter_table('users', schema=None) as batch_op:
        batch_op.add_column(sa.Column('calendar_token_hash', sa.String(length=64), nullable=True))
        batch_op.create_unique_constraint(batch_op.f('uq_users_calendar_token_hash'), ['calendar_token_hash'])


def downgrade():
    refuse_data_loss("les tentatives d'envoi des rappels et les jetons des agendas des conseillers")
    with op.batch_alter_table('users', schema=None) as batch_op:
        batch_op.drop_constraint(batch_op.f('uq_users_calendar_token_hash'), type_='unique')
        batch_op.drop_column('calendar_token_hash')

    op.execute("DELETE FROM notification_receipts WHERE result = 'pending'")
    op.execute("UPDATE notification_receipts SET sent_at = claimed_at WHERE sent_at IS NULL")
    with op.batch_alter_table('notification_receipts', schema=None) as batch_op:
        batch_op.drop_constraint(op.f('ck_notification_receipts_result_code'), type_='check')
        batch_op.create_check_constraint(op.f('ck_notification_receipts_result_code'), OLD_RESULTS)
        batch_op.alter_column('sent_at', existing_type=sa.DateTime(timezone=True), nullable=False)
        batch_op.drop_column('error')
        batch_op.drop_column('attempts')
        batch_op.drop_column('claimed_at')
