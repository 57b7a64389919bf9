"""Indexes for the reports (issue 6).

- device_events (to_status, at): the monthly flows and the lead times read the events of one
  kind over a period.
- appointments (handover_id, status), in place of (handover_id): "has this handover a
  follow-up done?" is answered from the index alone.

Revision ID: 7c2f4e1a9b3d
Revises: 086352eeea8b
Create Date: 2026-11-23 06:20:00.000000

"""
from alembic import op


# revision identifiers, used by Alembic.
revision = '7c2f4e1a9b3d'
down_revision = '086352eeea8b'
branch_labels = None
depends_on = None


def upgrade():
    op.create_index('ix_device_events_to_status_at', 'device_events', ['to_status', 'at'], unique=False)
    op.create_index('ix_appointments_handover_status', 'appointments', ['handover_id', 'status'], unique=False)
    op.drop_index('ix_appointments_handover_id', table_name='appointments')


def downgrade():
    op.create_index('ix_appointments_handover_id', 'appointments', ['handover_id'], unique=False)
    op.drop_index('ix_appointments_handover_status', table_name='appointments')
    op.drop_index('ix_device_events_to_status_at', table_name='device_events')
