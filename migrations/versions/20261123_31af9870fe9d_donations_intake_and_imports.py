"""Donations, intake and imports: donor validation, pickup dates, inventory imports.

- organisations.validated_at: a self-registered donor is unvalidated until staff check it;
  organisations that exist already were created by staff, so they count as validated.
- donations: pickup_planned_on, collected_on, received_on, closed_on.
- devices: donation_line_id (the declared line an intake answered) and notes.
- inventory_imports: an uploaded inventory file, its column mapping and its check result.

Revision ID: 31af9870fe9d
Revises: 0be013d8a6a7
Create Date: 2026-11-23 04:04:50.655230

"""
from alembic import op
import sqlalchemy as sa

from equipbank.migration_guard import refuse_data_loss


# revision identifiers, used by Alembic.
revision = '31af9870fe9d'
down_revision = '0be013d8a6a7'
branch_labels = None
depends_on = None


def upgrade():
    op.create_table('inventory_imports',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('donor_id', sa.Integer(), nullable=False),
    sa.Column('created_by_id', sa.Integer(), nullable=True),
    sa.Column('filename', sa.String(length=255), nullable=False),
    sa.Column('content', sa.LargeBinary(), nullable=True),
    sa.Column('status', sa.String(length=20), nullable=False),
    sa.Column('mapping', sa.JSON(), nullable=False),
    sa.Column('headers', sa.JSON(), nullable=False),
    sa.Column('total_rows', sa.Integer(), nullable=False),
    sa.Column('valid_rows', sa.Integer(), nullable=False),
    sa.Column('error_count', sa.Integer(), nullable=False),
    sa.Column('issues', sa.JSON(), nullable=False),
    sa.Column('lines', sa.JSON(), nullable=False),
    sa.Column('job_id', sa.String(length=64), nullable=True),
    sa.Column('checked_at', sa.DateTime(timezone=True), nullable=True),
    sa.Column('donation_id', sa.Integer(), nullable=True),
    sa.Column('created_at', sa.DateTime(timezone=True), nullable=False),
    sa.Column('updated_at', sa.DateTime(timezone=True), nullable=False),
    sa.CheckConstraint("status IN ('uploaded', 'checking', 'checked', 'importing', 'imported')", name=op.f('ck_inventory_imports_status_code')),
    sa.ForeignKeyConstraint(['created_by_id'], ['users.id'], name=op.f('fk_inventory_imports_created_by_id_users')),
    sa.ForeignKeyConstraint(['donation_id'], ['donations.id'], name=op.f('fk_inventory_imports_donation_id_donations')),
    sa.ForeignKeyConstraint(['donor_id'], ['organisations.id'], name=op.f('fk_inventory_imports_donor_id_organisations')),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_inventory_imports'))
    )
    with op.batch_alter_table('inventory_imports', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_inventory_imports_donor_id'), ['donor_id'], unique=False)

    # SQLite rebuilds the table: keep AUTOINCREMENT, so an asset tag is never reused.
    with op.batch_alter_table('devices', schema=None, table_kwargs={"sqlite_autoincrement": True}) as batch_op:
        batch_op.add_column(sa.Column('donation_line_id', sa.Integer(), nullable=True))
        batch_op.add_column(sa.Column('notes', sa.Text(), nullable=True))
        batch_op.create_index(batch_op.f('ix_devices_donation_line_id'), ['donation_line_id'], unique=False)
        batch_op.create_foreign_key(batch_op.f('fk_devices_donation_line_id_donation_lines'), 'donation_lines', ['donation_line_id'], ['id'], ondelete='SET NULL')

    with op.batch_alter_table('donations', schema=None) as batch_op:
        batch_op.add_column(sa.Column('pickup_planned_on', sa.Date(), nullable=True))
        batch_op.add_column(sa.Column('collected_on', sa.Date(), nullable=True))
        batch_op.add_column(sa.Column('received_on', sa.Date(), nullable=True))
        batch_op.add_column(sa.Column('closed_on', sa.Date(), nullable=True))

    with op.batch_alter_table('organisations', schema=None) as batch_op:
        batch_op.add_column(sa.Column('validated_at', sa.DateTime(timezone=True), nullable=True))
    op.execute("UPDATE organisations SET validated_at = created_at")



def downgrade():
    refuse_data_loss("les fichiers d'inventaire déposés et les validations des donateurs")
    with op.batch_alter_table('organisations', schema=None) as batch_op:
        batch_op.drop_column('validated_at')

    with op.batch_alter_table('donations', schema=None) as batch_op:
        batch_op.drop_column('closed_on')
        batch_op.drop_column('received_on')
        batch_op.drop_column('collected_on')
        batch_op.drop_column('pickup_planned_on')

    with op.batch_alter_table('devices', schema=None, table_kwargs={"sqlite_autoincrement": True}) as batch_op:
        batch_op.drop_constraint(batch_op.f('fk_devices_donation_line_id_donation_lines'), type_='foreignkey')
        batch_op.drop_index(batch_op.f('ix_devices_donation_line_id'))
        batch_op.drop_column('notes')
        batch_op.drop_column('donation_line_id')

    with op.batch_alter_table('inventory_imports', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_inventory_imports_donor_id'))

    op.drop_table('inventory_imports')
