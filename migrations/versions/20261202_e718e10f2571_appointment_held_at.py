"""Appointments: when a session that took place was really held.

- appointments.held_at: set with a `done` outcome, the planned time unless the advisor says
  otherwise (a session held earlier than planned); existing `done` outcomes get their planned
  start, which is what they counted for until now.
- a CHECK constraint: a `done` appointment has its `held_at`.

Revision ID: e718e10f2571
Revises: da40de14776f
Create Date: 2026-12-02 16:10:55.005607

"""
from alembic import op
import sqlalchemy as sa

from equipbank.migration_guard import refuse_data_loss


# revision identifiers, used by Alembic.
revision = 'e718e10f2571'
down_revision = 'da40de14776f'
branch_labels = None
depends_on = None


def upgrade():
    with op.batch_alter_table('appointments', schema=None) as batch_op:
        batch_op.add_column(sa.Column('held_at', sa.DateTime(timezone=True), nullable=True))

    op.execute("UPDATE appointments SET held_at = starts_at WHERE status = 'done'")

    with op.batch_alter_table('appointments', schema=None) as batch_op:
        batch_op.create_check_constraint(
            op.f('ck_appointments_done_has_held_at'), "status <> 'done' OR held_at IS NOT NULL"
        )


def downgrade():
    refuse_data_loss("l'heure réelle des séances de suivi tenues plus tôt que prévu")
    with op.batch_alter_table('appointments', schema=None) as batch_op:
        batch_op.drop_constraint(op.f('ck_appointments_done_has_held_at'), type_='check')
        batch_op.drop_column('held_at')
