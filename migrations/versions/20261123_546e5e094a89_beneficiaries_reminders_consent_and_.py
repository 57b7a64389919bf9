"""Beneficiaries: consent to email reminders, age band codes, index for the duplicate check;
appointments: their calendar sequence.

- beneficiaries.email_reminders: a separate consent (issue 5 sends reminders only with it);
  existing rows get false.
- a CHECK constraint keeps age_band within its codes (it survives anonymisation).
- ix_beneficiaries_commune_birth_year: the duplicate check looks people up by commune and
  birth year before comparing names.
- appointments.calendar_sequence: the iCalendar SEQUENCE, raised at each change.

Revision ID: 546e5e094a89
Revises: 31af9870fe9d
Create Date: 2026-11-23 04:38:07.050705

"""
from alembic import op
import sqlalchemy as sa

from equipbank.migration_guard import refuse_data_loss


# revision identifiers, used by Alembic.
revision = '546e5e094a89'
down_revision = '31af9870fe9d'
branch_labels = None
depends_on = None


def upgrade():
    with op.batch_alter_table('appointments', schema=None) as batch_op:
        batch_op.add_column(sa.Column('calendar_sequence', sa.Integer(), server_default='0', nullable=False))

    with op.batch_alter_table('beneficiaries', schema=None) as batch_op:
        batch_op.add_column(sa.Column('email_reminders', sa.Boolean(), server_default=sa.false(), nullable=False))
        batch_op.create_index('ix_beneficiaries_commune_birth_year', ['commune_code', 'birth_year'], unique=False)
        batch_op.create_check_constraint(
            op.f('ck_beneficiaries_age_band_code'),
            "age_band IN ('under_26', '26_44', '45_64', '65_74', '75_plus')",
        )


def downgrade():
    refuse_data_loss("le consentement aux rappels par e-mail et les tranches d'âge des bénéficiaires")
    with op.batch_alter_table('beneficiaries', schema=None) as batch_op:
        batch_op.drop_constraint(op.f('ck_beneficiaries_age_band_code'), type_='check')
        batch_op.drop_index('ix_beneficiaries_commune_birth_year')
        batch_op.drop_column('email_reminders')

    with op.batch_alter_table('appointments', schema=None) as batch_op:
        batch_op.drop_column('calendar_sequence')

