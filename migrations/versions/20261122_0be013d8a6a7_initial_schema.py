"""Initial schema: the whole data model of DESIGN.md §3.

Invariants held by the database, read and checked on SQLite and PostgreSQL:
- asset tags: `devices.id` is an identity column (PostgreSQL) / AUTOINCREMENT rowid (SQLite),
  formatted as EB-000123, so concurrent intakes never share a tag and tags are never reused;
- a serial is unique per brand (`uq_devices_brand_serial` on the lower-cased brand);
- at most one active reservation and one active handover per device (partial unique indexes);
- `devices.version` is SQLAlchemy's version counter: a stale concurrent update fails;
- every enum code column has a CHECK constraint listing its codes.

Revision ID: 0be013d8a6a7
Revises: 
Create Date: 2026-11-22 15:41:33.672059

"""
from alembic import op
import sqlalchemy as sa

from equipbank.migration_guard import refuse_data_loss


# revision identifiers, used by Alembic.
revision = '0be013d8a6a7'
down_revision = None
branch_labels = None
depends_on = None


def upgrade():
    op.create_table('communes',
    sa.Column('code', sa.String(length=5), nullable=False),
    sa.Column('name', sa.String(length=100), nullable=False),
    sa.Column('search_name', sa.String(length=100), nullable=False),
    sa.Column('kind', sa.String(length=20), nullable=False),
    sa.Column('parent_code', sa.String(length=5), nullable=True),
    sa.Column('department_code', sa.String(length=3), nullable=False),
    sa.Column('department_name', sa.String(length=100), nullable=False),
    sa.Column('region_code', sa.String(length=3), nullable=False),
    sa.Column('region_name', sa.String(length=100), nullable=False),
    sa.Column('epci_code', sa.String(length=9), nullable=True),
    sa.Column('epci_name', sa.String(length=200), nullable=True),
    sa.Column('population', sa.Integer(), nullable=True),
    sa.CheckConstraint("kind IN ('commune', 'arrondissement')", name=op.f('ck_communes_kind_code')),
    sa.ForeignKeyConstraint(['parent_code'], ['communes.code'], name=op.f('fk_communes_parent_code_communes')),
    sa.PrimaryKeyConstraint('code', name=op.f('pk_communes'))
    )
    with op.batch_alter_table('communes', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_communes_department_code'), ['department_code'], unique=False)
        batch_op.create_index(batch_op.f('ix_communes_epci_code'), ['epci_code'], unique=False)
        batch_op.create_index(batch_op.f('ix_communes_search_name'), ['search_name'], unique=False)

    op.create_table('commune_postal_codes',
    sa.Column('postal_code', sa.String(length=5), nullable=False),
    sa.Column('commune_code', sa.String(length=5), nullable=False),
    sa.ForeignKeyConstraint(['commune_code'], ['communes.code'], name=op.f('fk_commune_postal_codes_commune_code_communes'), ondelete='CASCADE'),
    sa.PrimaryKeyConstraint('postal_code', 'commune_code', name=op.f('pk_commune_postal_codes'))
    )
    with op.batch_alter_table('commune_postal_codes', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_commune_postal_codes_commune_code'), ['commune_code'], unique=False)

    op.create_table('organisations',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('kind', sa.String(length=20), nullable=False),
    sa.Column('name', sa.String(length=200), nullable=False),
    sa.Column('siret', sa.String(length=14), nullable=True),
    sa.Column('address', sa.String(length=300), nullable=True),
    sa.Column('postal_code', sa.String(length=5), nullable=True),
    sa.Column('commune_code', sa.String(length=5), nullable=True),
    sa.Column('contact_name', sa.String(length=200), nullable=True),
    sa.Column('contact_email', sa.String(length=254), nullable=True),
    sa.Column('contact_phone', sa.String(length=30), nullable=True),
    sa.Column('is_active', sa.Boolean(), nullable=False),
    sa.Column('mediation_typology', sa.String(length=100), nullable=True),
    sa.Column('mediation_services', sa.Text(), nullable=True),
    sa.Column('opening_hours', sa.Text(), nullable=True),
    sa.Column('created_at', sa.DateTime(timezone=True), nullable=False),
    sa.Column('updated_at', sa.DateTime(timezone=True), nullable=False),
    sa.CheckConstraint("kind IN ('bank', 'donor', 'refurbisher', 'relay')", name=op.f('ck_organisations_kind_code')),
    sa.ForeignKeyConstraint(['commune_code'], ['communes.code'], name=op.f('fk_organisations_commune_code_communes')),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_organisations')),
    sa.UniqueConstraint('siret', name=op.f('uq_organisations_siret'))
    )
    with op.batch_alter_table('organisations', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_organisations_kind'), ['kind'], unique=False)

    op.create_table('users',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('email', sa.String(length=254), nullable=False),
    sa.Column('password_hash', sa.String(length=256), nullable=True),
    sa.Column('name', sa.String(length=200), nullable=False),
    sa.Column('role', sa.String(length=20), nullable=False),
    sa.Column('organisation_id', sa.Integer(), nullable=False),
    sa.Column('is_admin', sa.Boolean(), nullable=False),
    sa.Column('active', sa.Boolean(), nullable=False),
    sa.Column('last_login_at', sa.DateTime(timezone=True), nullable=True),
    sa.Column('created_at', sa.DateTime(timezone=True), nullable=False),
    sa.Column('updated_at', sa.DateTime(timezone=True), nullable=False),
    sa.CheckConstraint("role IN ('donor', 'refurbisher', 'relay', 'advisor', 'staff')", name=op.f('ck_users_role_code')),
    sa.CheckConstraint('email = lower(email)', name=op.f('ck_users_email_lowercase')),
    sa.ForeignKeyConstraint(['organisation_id'], ['organisations.id'], name=op.f('fk_users_organisation_id_organisations')),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_users')),
    sa.UniqueConstraint('email', name=op.f('uq_users_email'))
    )
    with op.batch_alter_table('users', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_users_organisation_id'), ['organisation_id'], unique=False)
        batch_op.create_index(batch_op.f('ix_users_role'), ['role'], unique=False)

    op.create_table('api_tokens',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('user_id', sa.Integer(), nullable=False),
    sa.Column('token_hash', sa.String(length=64), nullable=False),
    sa.Column('created_at', sa.DateTime(timezone=True), nullable=False),
    sa.Column('expires_at', sa.DateTime(timezone=True), nullable=False),
    sa.Column('last_used_at', sa.DateTime(timezone=True), nullable=True),
    sa.Column('revoked_at', sa.DateTime(timezone=True), nullable=True),
    sa.ForeignKeyConstraint(['user_id'], ['users.id'], name=op.f('fk_api_tokens_user_id_users')),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_api_tokens')),
    sa.UniqueConstraint('token_hash', name=op.f('uq_api_tokens_token_hash'))
    )
    with op.batch_alter_table('api_tokens', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_api_tokens_user_id'), ['user_id'], unique=False)

    op.create_table('audit_events',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('at', sa.DateTime(timezone=True), nullable=False),
    sa.Column('actor_id', sa.Integer(), nullable=True),
    sa.Column('action', sa.String(length=60), nullable=False),
    sa.Column('subject_type', sa.String(length=40), nullable=False),
    sa.Column('subject_id', sa.String(length=40), nullable=True),
    sa.Column('summary', sa.JSON(), nullable=False),
    sa.Column('ip', sa.String(length=45), nullable=True),
    sa.ForeignKeyConstraint(['actor_id'], ['users.id'], name=op.f('fk_audit_events_actor_id_users')),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_audit_events'))
    )
    with op.batch_alter_table('audit_events', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_audit_events_action'), ['action'], unique=False)
        batch_op.create_index(batch_op.f('ix_audit_events_actor_id'), ['actor_id'], unique=False)
        batch_op.create_index(batch_op.f('ix_audit_events_at'), ['at'], unique=False)
        batch_op.create_index('ix_audit_events_subject', ['subject_type', 'subject_id'], unique=False)

    op.create_table('beneficiaries',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('relay_id', sa.Integer(), nullable=False),
    sa.Column('first_name', sa.String(length=100), nullable=True),
    sa.Column('last_name', sa.String(length=100), nullable=True),
    sa.Column('birth_year', sa.Integer(), nullable=True),
    sa.Column('age_band', sa.String(length=10), nullable=True),
    sa.Column('commune_code', sa.String(length=5), nullable=False),
    sa.Column('category', sa.String(length=30), nullable=False),
    sa.Column('referrer_kind', sa.String(length=30), nullable=True),
    sa.Column('eligibility_basis', sa.String(length=30), nullable=True),
    sa.Column('eligibility_verified_by', sa.String(length=150), nullable=True),
    sa.Column('eligibility_verified_on', sa.Date(), nullable=True),
    sa.Column('phone', sa.String(length=30), nullable=True),
    sa.Column('email', sa.String(length=254), nullable=True),
    sa.Column('consent_at', sa.DateTime(timezone=True), nullable=False),
    sa.Column('consent_by_id', sa.Integer(), nullable=True),
    sa.Column('anonymised_at', sa.DateTime(timezone=True), nullable=True),
    sa.Column('created_by_id', sa.Integer(), nullable=True),
    sa.Column('created_at', sa.DateTime(timezone=True), nullable=False),
    sa.Column('updated_at', sa.DateTime(timezone=True), nullable=False),
    sa.CheckConstraint("category IN ('senior_isolated', 'job_seeker', 'young', 'low_income_family', 'social_minima', 'disability', 'other')", name=op.f('ck_beneficiaries_category_code')),
    sa.CheckConstraint("eligibility_basis IN ('social_minima', 'job_seeker', 'low_income', 'student_grant', 'referrer_assessment', 'other')", name=op.f('ck_beneficiaries_eligibility_basis_code')),
    sa.CheckConstraint("referrer_kind IN ('social_worker', 'ccas', 'france_travail', 'mission_locale', 'association', 'school', 'other')", name=op.f('ck_beneficiaries_referrer_kind_code')),
    sa.CheckConstraint('anonymised_at IS NOT NULL OR (first_name IS NOT NULL AND last_name IS NOT NULL)', name=op.f('ck_beneficiaries_names_until_anonymised')),
    sa.CheckConstraint('birth_year IS NULL OR birth_year BETWEEN 1900 AND 2100', name=op.f('ck_beneficiaries_birth_year_range')),
    sa.ForeignKeyConstraint(['commune_code'], ['communes.code'], name=op.f('fk_beneficiaries_commune_code_communes')),
    sa.ForeignKeyConstraint(['consent_by_id'], ['users.id'], name=op.f('fk_beneficiaries_consent_by_id_users')),
    sa.ForeignKeyConstraint(['created_by_id'], ['users.id'], name=op.f('fk_beneficiaries_created_by_id_users')),
    sa.ForeignKeyConstraint(['relay_id'], ['organisations.id'], name=op.f('fk_beneficiaries_relay_id_organisations')),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_beneficiaries'))
    )
    with op.batch_alter_table('beneficiaries', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_beneficiaries_commune_code'), ['commune_code'], unique=False)
        batch_op.create_index(batch_op.f('ix_beneficiaries_relay_id'), ['relay_id'], unique=False)

    op.create_table('donations',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('donor_id', sa.Integer(), nullable=False),
    sa.Column('declared_on', sa.Date(), nullable=False),
    sa.Column('status', sa.String(length=20), nullable=False),
    sa.Column('pickup_address', sa.String(length=300), nullable=True),
    sa.Column('pickup_commune_code', sa.String(length=5), nullable=True),
    sa.Column('preferred_pickup_on', sa.Date(), nullable=True),
    sa.Column('erasure_certificate_requested', sa.Boolean(), nullable=False),
    sa.Column('notes', sa.Text(), nullable=True),
    sa.Column('created_by_id', sa.Integer(), nullable=True),
    sa.Column('created_at', sa.DateTime(timezone=True), nullable=False),
    sa.Column('updated_at', sa.DateTime(timezone=True), nullable=False),
    sa.CheckConstraint("status IN ('declared', 'collected', 'received', 'closed', 'cancelled')", name=op.f('ck_donations_status_code')),
    sa.ForeignKeyConstraint(['created_by_id'], ['users.id'], name=op.f('fk_donations_created_by_id_users')),
    sa.ForeignKeyConstraint(['donor_id'], ['organisations.id'], name=op.f('fk_donations_donor_id_organisations')),
    sa.ForeignKeyConstraint(['pickup_commune_code'], ['communes.code'], name=op.f('fk_donations_pickup_commune_code_communes')),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_donations'))
    )
    with op.batch_alter_table('donations', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_donations_donor_id'), ['donor_id'], unique=False)
        batch_op.create_index(batch_op.f('ix_donations_status'), ['status'], unique=False)

    op.create_table('requests',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('relay_id', sa.Integer(), nullable=False),
    sa.Column('category', sa.String(length=20), nullable=False),
    sa.Column('quantity', sa.Integer(), nullable=False),
    sa.Column('note', sa.Text(), nullable=True),
    sa.Column('status', sa.String(length=20), nullable=False),
    sa.Column('created_by_id', sa.Integer(), nullable=True),
    sa.Column('created_at', sa.DateTime(timezone=True), nullable=False),
    sa.Column('updated_at', sa.DateTime(timezone=True), nullable=False),
    sa.CheckConstraint("category IN ('laptop', 'desktop', 'tablet', 'smartphone', 'screen', 'printer', 'other')", name=op.f('ck_requests_category_code')),
    sa.CheckConstraint("status IN ('open', 'approved', 'partially_served', 'served', 'rejected', 'cancelled')", name=op.f('ck_requests_status_code')),
    sa.CheckConstraint('quantity > 0', name=op.f('ck_requests_quantity_positive')),
    sa.ForeignKeyConstraint(['created_by_id'], ['users.id'], name=op.f('fk_requests_created_by_id_users')),
    sa.ForeignKeyConstraint(['relay_id'], ['organisations.id'], name=op.f('fk_requests_relay_id_organisations')),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_requests'))
    )
    with op.batch_alter_table('requests', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_requests_relay_id'), ['relay_id'], unique=False)
        batch_op.create_index(batch_op.f('ix_requests_status'), ['status'], unique=False)

    op.create_table('devices',
    sa.Column('id', sa.Integer(), sa.Identity(always=False), nullable=False),
    sa.Column('donation_id', sa.Integer(), nullable=False),
    sa.Column('category', sa.String(length=20), nullable=False),
    sa.Column('brand', sa.String(length=100), nullable=True),
    sa.Column('brand_key', sa.String(length=100), nullable=False),
    sa.Column('model', sa.String(length=150), nullable=True),
    sa.Column('serial', sa.String(length=100), nullable=True),
    sa.Column('cpu', sa.String(length=150), nullable=True),
    sa.Column('ram_gb', sa.Integer(), nullable=True),
    sa.Column('storage_gb', sa.Integer(), nullable=True),
    sa.Column('screen_inches', sa.Numeric(precision=4, scale=1), nullable=True),
    sa.Column('battery_health_pct', sa.Integer(), nullable=True),
    sa.Column('os_installed', sa.String(length=100), nullable=True),
    sa.Column('keyboard_layout', sa.String(length=30), nullable=True),
    sa.Column('functional_tests_passed', sa.Boolean(), nullable=False),
    sa.Column('grade', sa.String(length=1), nullable=True),
    sa.Column('status', sa.String(length=20), nullable=False),
    sa.Column('status_changed_at', sa.DateTime(timezone=True), nullable=False),
    sa.Column('holder_id', sa.Integer(), nullable=True),
    sa.Column('version', sa.Integer(), nullable=False),
    sa.Column('created_at', sa.DateTime(timezone=True), nullable=False),
    sa.Column('updated_at', sa.DateTime(timezone=True), nullable=False),
    sa.CheckConstraint("category IN ('laptop', 'desktop', 'tablet', 'smartphone', 'screen', 'printer', 'other')", name=op.f('ck_devices_category_code')),
    sa.CheckConstraint("grade IN ('A', 'B', 'C')", name=op.f('ck_devices_grade_code')),
    sa.CheckConstraint("status IN ('received', 'refurbishing', 'ready', 'reserved', 'at_relay', 'handed_over', 'returned', 'recycled', 'parts', 'lost')", name=op.f('ck_devices_status_code')),
    sa.CheckConstraint('battery_health_pct IS NULL OR battery_health_pct BETWEEN 0 AND 100', name=op.f('ck_devices_battery_health_range')),
    sa.ForeignKeyConstraint(['donation_id'], ['donations.id'], name=op.f('fk_devices_donation_id_donations')),
    sa.ForeignKeyConstraint(['holder_id'], ['organisations.id'], name=op.f('fk_devices_holder_id_organisations')),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_devices')),
    sa.UniqueConstraint('brand_key', 'serial', name='uq_devices_brand_serial'),
    sqlite_autoincrement=True
    )
    with op.batch_alter_table('devices', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_devices_donation_id'), ['donation_id'], unique=False)
        batch_op.create_index(batch_op.f('ix_devices_holder_id'), ['holder_id'], unique=False)
        batch_op.create_index(batch_op.f('ix_devices_status'), ['status'], unique=False)

    op.create_table('donation_lines',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('donation_id', sa.Integer(), nullable=False),
    sa.Column('category', sa.String(length=20), nullable=False),
    sa.Column('quantity', sa.Integer(), nullable=False),
    sa.Column('brand', sa.String(length=100), nullable=True),
    sa.Column('model', sa.String(length=150), nullable=True),
    sa.Column('serials', sa.JSON(), nullable=False),
    sa.CheckConstraint("category IN ('laptop', 'desktop', 'tablet', 'smartphone', 'screen', 'printer', 'other')", name=op.f('ck_donation_lines_category_code')),
    sa.CheckConstraint('quantity > 0', name=op.f('ck_donation_lines_quantity_positive')),
    sa.ForeignKeyConstraint(['donation_id'], ['donations.id'], name=op.f('fk_donation_lines_donation_id_donations'), ondelete='CASCADE'),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_donation_lines'))
    )
    with op.batch_alter_table('donation_lines', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_donation_lines_donation_id'), ['donation_id'], unique=False)

    op.create_table('request_beneficiaries',
    sa.Column('request_id', sa.Integer(), nullable=False),
    sa.Column('beneficiary_id', sa.Integer(), nullable=False),
    sa.ForeignKeyConstraint(['beneficiary_id'], ['beneficiaries.id'], name=op.f('fk_request_beneficiaries_beneficiary_id_beneficiaries')),
    sa.ForeignKeyConstraint(['request_id'], ['requests.id'], name=op.f('fk_request_beneficiaries_request_id_requests'), ondelete='CASCADE'),
    sa.PrimaryKeyConstraint('request_id', 'beneficiary_id', name=op.f('pk_request_beneficiaries'))
    )
    op.create_table('device_events',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('device_id', sa.Integer(), nullable=False),
    sa.Column('at', sa.DateTime(timezone=True), nullable=False),
    sa.Column('actor_id', sa.Integer(), nullable=True),
    sa.Column('from_status', sa.String(length=20), nullable=True),
    sa.Column('to_status', sa.String(length=20), nullable=False),
    sa.Column('data', sa.JSON(), nullable=False),
    sa.CheckConstraint("from_status IN ('received', 'refurbishing', 'ready', 'reserved', 'at_relay', 'handed_over', 'returned', 'recycled', 'parts', 'lost')", name=op.f('ck_device_events_from_status_code')),
    sa.CheckConstraint("to_status IN ('received', 'refurbishing', 'ready', 'reserved', 'at_relay', 'handed_over', 'returned', 'recycled', 'parts', 'lost')", name=op.f('ck_device_events_to_status_code')),
    sa.ForeignKeyConstraint(['actor_id'], ['users.id'], name=op.f('fk_device_events_actor_id_users')),
    sa.ForeignKeyConstraint(['device_id'], ['devices.id'], name=op.f('fk_device_events_device_id_devices')),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_device_events'))
    )
    with op.batch_alter_table('device_events', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_device_events_at'), ['at'], unique=False)
        batch_op.create_index(batch_op.f('ix_device_events_device_id'), ['device_id'], unique=False)

    op.create_table('erasure_records',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('device_id', sa.Integer(), nullable=False),
    sa.Column('method', sa.String(length=30), nullable=False),
    sa.Column('tool', sa.String(length=150), nullable=False),
    sa.Column('certificate_ref', sa.String(length=150), nullable=False),
    sa.Column('operator', sa.String(length=150), nullable=False),
    sa.Column('performed_at', sa.DateTime(timezone=True), nullable=False),
    sa.Column('result', sa.String(length=10), nullable=False),
    sa.Column('recorded_by_id', sa.Integer(), nullable=True),
    sa.Column('created_at', sa.DateTime(timezone=True), nullable=False),
    sa.CheckConstraint("method IN ('certified_software', 'media_destroyed_replaced', 'factory_reset')", name=op.f('ck_erasure_records_method_code')),
    sa.CheckConstraint("result IN ('success', 'failure')", name=op.f('ck_erasure_records_result_code')),
    sa.ForeignKeyConstraint(['device_id'], ['devices.id'], name=op.f('fk_erasure_records_device_id_devices')),
    sa.ForeignKeyConstraint(['recorded_by_id'], ['users.id'], name=op.f('fk_erasure_records_recorded_by_id_users')),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_erasure_records'))
    )
    with op.batch_alter_table('erasure_records', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_erasure_records_device_id'), ['device_id'], unique=False)

    op.create_table('handovers',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('device_id', sa.Integer(), nullable=False),
    sa.Column('beneficiary_id', sa.Integer(), nullable=False),
    sa.Column('relay_id', sa.Integer(), nullable=False),
    sa.Column('handed_by_id', sa.Integer(), nullable=True),
    sa.Column('handed_at', sa.DateTime(timezone=True), nullable=False),
    sa.Column('commune_code', sa.String(length=5), nullable=False),
    sa.Column('accessories', sa.String(length=300), nullable=True),
    sa.Column('charter_accepted', sa.Boolean(), nullable=False),
    sa.Column('receipt_ref', sa.String(length=30), nullable=False),
    sa.Column('returned_at', sa.DateTime(timezone=True), nullable=True),
    sa.Column('return_reason', sa.String(length=300), nullable=True),
    sa.CheckConstraint('charter_accepted', name=op.f('ck_handovers_charter_accepted')),
    sa.ForeignKeyConstraint(['beneficiary_id'], ['beneficiaries.id'], name=op.f('fk_handovers_beneficiary_id_beneficiaries')),
    sa.ForeignKeyConstraint(['commune_code'], ['communes.code'], name=op.f('fk_handovers_commune_code_communes')),
    sa.ForeignKeyConstraint(['device_id'], ['devices.id'], name=op.f('fk_handovers_device_id_devices')),
    sa.ForeignKeyConstraint(['handed_by_id'], ['users.id'], name=op.f('fk_handovers_handed_by_id_users')),
    sa.ForeignKeyConstraint(['relay_id'], ['organisations.id'], name=op.f('fk_handovers_relay_id_organisations')),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_handovers')),
    sa.UniqueConstraint('receipt_ref', name=op.f('uq_handovers_receipt_ref'))
    )
    with op.batch_alter_table('handovers', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_handovers_beneficiary_id'), ['beneficiary_id'], unique=False)
        batch_op.create_index(batch_op.f('ix_handovers_commune_code'), ['commune_code'], unique=False)
        batch_op.create_index(batch_op.f('ix_handovers_device_id'), ['device_id'], unique=False)
        batch_op.create_index(batch_op.f('ix_handovers_handed_at'), ['handed_at'], unique=False)
        batch_op.create_index(batch_op.f('ix_handovers_relay_id'), ['relay_id'], unique=False)
        batch_op.create_index('uq_handovers_active_device', ['device_id'], unique=True, postgresql_where=sa.text('returned_at IS NULL'), sqlite_where=sa.text('returned_at IS NULL'))

    op.create_table('reservations',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('request_id', sa.Integer(), nullable=False),
    sa.Column('device_id', sa.Integer(), nullable=False),
    sa.Column('status', sa.String(length=20), nullable=False),
    sa.Column('reserved_by_id', sa.Integer(), nullable=True),
    sa.Column('reserved_at', sa.DateTime(timezone=True), nullable=False),
    sa.Column('ended_at', sa.DateTime(timezone=True), nullable=True),
    sa.CheckConstraint("status IN ('active', 'delivered', 'released')", name=op.f('ck_reservations_status_code')),
    sa.ForeignKeyConstraint(['device_id'], ['devices.id'], name=op.f('fk_reservations_device_id_devices')),
    sa.ForeignKeyConstraint(['request_id'], ['requests.id'], name=op.f('fk_reservations_request_id_requests')),
    sa.ForeignKeyConstraint(['reserved_by_id'], ['users.id'], name=op.f('fk_reservations_reserved_by_id_users')),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_reservations'))
    )
    with op.batch_alter_table('reservations', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_reservations_device_id'), ['device_id'], unique=False)
        batch_op.create_index(batch_op.f('ix_reservations_request_id'), ['request_id'], unique=False)
        batch_op.create_index('uq_reservations_active_device', ['device_id'], unique=True, postgresql_where=sa.text("status = 'active'"), sqlite_where=sa.text("status = 'active'"))

    op.create_table('appointments',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('handover_id', sa.Integer(), nullable=True),
    sa.Column('beneficiary_id', sa.Integer(), nullable=False),
    sa.Column('advisor_id', sa.Integer(), nullable=False),
    sa.Column('starts_at', sa.DateTime(timezone=True), nullable=False),
    sa.Column('duration_minutes', sa.Integer(), nullable=False),
    sa.Column('location_type', sa.String(length=20), nullable=False),
    sa.Column('place', sa.String(length=300), nullable=True),
    sa.Column('status', sa.String(length=30), nullable=False),
    sa.Column('rescheduled_from_id', sa.Integer(), nullable=True),
    sa.Column('created_by_id', sa.Integer(), nullable=True),
    sa.Column('outcome_duration_minutes', sa.Integer(), nullable=True),
    sa.Column('topics', sa.JSON(), nullable=False),
    sa.Column('autonomy', sa.String(length=30), nullable=True),
    sa.Column('confidence', sa.Integer(), nullable=True),
    sa.Column('next_step', sa.String(length=30), nullable=True),
    sa.Column('outcome_recorded_at', sa.DateTime(timezone=True), nullable=True),
    sa.Column('outcome_recorded_by_id', sa.Integer(), nullable=True),
    sa.Column('created_at', sa.DateTime(timezone=True), nullable=False),
    sa.Column('updated_at', sa.DateTime(timezone=True), nullable=False),
    sa.CheckConstraint("autonomy IN ('fully_assisted', 'partly_autonomous', 'autonomous')", name=op.f('ck_appointments_autonomy_code')),
    sa.CheckConstraint("location_type IN ('office', 'home', 'remote', 'workshop')", name=op.f('ck_appointments_location_type_code')),
    sa.CheckConstraint("next_step IN ('new_appointment', 'workshop', 'orientation', 'none')", name=op.f('ck_appointments_next_step_code')),
    sa.CheckConstraint("status <> 'done' OR outcome_duration_minutes > 0", name=op.f('ck_appointments_done_has_duration')),
    sa.CheckConstraint("status IN ('scheduled', 'done', 'no_show', 'cancelled_by_beneficiary', 'cancelled_by_service')", name=op.f('ck_appointments_status_code')),
    sa.CheckConstraint('confidence IS NULL OR confidence BETWEEN 1 AND 4', name=op.f('ck_appointments_confidence_range')),
    sa.CheckConstraint('duration_minutes > 0', name=op.f('ck_appointments_duration_positive')),
    sa.ForeignKeyConstraint(['advisor_id'], ['users.id'], name=op.f('fk_appointments_advisor_id_users')),
    sa.ForeignKeyConstraint(['beneficiary_id'], ['beneficiaries.id'], name=op.f('fk_appointments_beneficiary_id_beneficiaries')),
    sa.ForeignKeyConstraint(['created_by_id'], ['users.id'], name=op.f('fk_appointments_created_by_id_users')),
    sa.ForeignKeyConstraint(['handover_id'], ['handovers.id'], name=op.f('fk_appointments_handover_id_handovers')),
    sa.ForeignKeyConstraint(['outcome_recorded_by_id'], ['users.id'], name=op.f('fk_appointments_outcome_recorded_by_id_users')),
    sa.ForeignKeyConstraint(['rescheduled_from_id'], ['appointments.id'], name=op.f('fk_appointments_rescheduled_from_id_appointments')),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_appointments'))
    )
    with op.batch_alter_table('appointments', schema=None) as batch_op:
        batch_op.create_index('ix_appointments_advisor_starts', ['advisor_id', 'starts_at'], unique=False)
        batch_op.create_index(batch_op.f('ix_appointments_beneficiary_id'), ['beneficiary_id'], unique=False)
        batch_op.create_index(batch_op.f('ix_appointments_handover_id'), ['handover_id'], unique=False)
        batch_op.create_index(batch_op.f('ix_appointments_status'), ['status'], unique=False)

    op.create_table('notification_receipts',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('appointment_id', sa.Integer(), nullable=True),
    sa.Column('kind', sa.String(length=30), nullable=False),
    sa.Column('subject_key', sa.String(length=60), nullable=False),
    sa.Column('channel', sa.String(length=10), nullable=False),
    sa.Column('recipient', sa.String(length=254), nullable=False),
    sa.Column('sent_at', sa.DateTime(timezone=True), nullable=False),
    sa.Column('result', sa.String(length=10), nullable=False),
    sa.CheckConstraint("channel IN ('email')", name=op.f('ck_notification_receipts_channel_code')),
    sa.CheckConstraint("kind IN ('reminder_48h', 'daily_digest', 'cancellation')", name=op.f('ck_notification_receipts_kind_code')),
    sa.CheckConstraint("result IN ('sent', 'failed')", name=op.f('ck_notification_receipts_result_code')),
    sa.ForeignKeyConstraint(['appointment_id'], ['appointments.id'], name=op.f('fk_notification_receipts_appointment_id_appointments')),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_notification_receipts')),
    sa.UniqueConstraint('kind', 'subject_key', 'recipient', name='uq_notification_receipts_once')
    )
    with op.batch_alter_table('notification_receipts', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_notification_receipts_appointment_id'), ['appointment_id'], unique=False)



def downgrade():
    refuse_data_loss("toutes les données de l'application")
    with op.batch_alter_table('notification_receipts', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_notification_receipts_appointment_id'))

    op.drop_table('notification_receipts')
    with op.batch_alter_table('appointments', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_appointments_status'))
        batch_op.drop_index(batch_op.f('ix_appointments_handover_id'))
        batch_op.drop_index(batch_op.f('ix_appointments_beneficiary_id'))
        batch_op.drop_index('ix_appointments_advisor_starts')

    op.drop_table('appointments')
    with op.batch_alter_table('reservations', schema=None) as batch_op:
        batch_op.drop_index('uq_reservations_active_device', postgresql_where=sa.text("status = 'active'"), sqlite_where=sa.text("status = 'active'"))
        batch_op.drop_index(batch_op.f('ix_reservations_request_id'))
        batch_op.drop_index(batch_op.f('ix_reservations_device_id'))

    op.drop_table('reservations')
    with op.batch_alter_table('handovers', schema=None) as batch_op:
        batch_op.drop_index('uq_handovers_active_device', postgresql_where=sa.text('returned_at IS NULL'), sqlite_where=sa.text('returned_at IS NULL'))
        batch_op.drop_index(batch_op.f('ix_handovers_relay_id'))
        batch_op.drop_index(batch_op.f('ix_handovers_handed_at'))
        batch_op.drop_index(batch_op.f('ix_handovers_device_id'))
        batch_op.drop_index(batch_op.f('ix_handovers_commune_code'))
        batch_op.drop_index(batch_op.f('ix_handovers_beneficiary_id'))

    op.drop_table('handovers')
    with op.batch_alter_table('erasure_records', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_erasure_records_device_id'))

    op.drop_table('erasure_records')
    with op.batch_alter_table('device_events', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_device_events_device_id'))
        batch_op.drop_index(batch_op.f('ix_device_events_at'))

    op.drop_table('device_events')
    op.drop_table('request_beneficiaries')
    with op.batch_alter_table('donation_lines', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_donation_lines_donation_id'))

    op.drop_table('donation_lines')
    with op.batch_alter_table('devices', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_devices_status'))
        batch_op.drop_index(batch_op.f('ix_devices_holder_id'))
        batch_op.drop_index(batch_op.f('ix_devices_donation_id'))

    op.drop_table('devices')
    with op.batch_alter_table('requests', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_requests_status'))
        batch_op.drop_index(batch_op.f('ix_requests_relay_id'))

    op.drop_table('requests')
    with op.batch_alter_table('donations', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_donations_status'))
        batch_op.drop_index(batch_op.f('ix_donations_donor_id'))

    op.drop_table('donations')
    with op.batch_alter_table('beneficiaries', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_beneficiaries_relay_id'))
        batch_op.drop_index(batch_op.f('ix_beneficiaries_commune_code'))

    op.drop_table('beneficiaries')
    with op.batch_alter_table('audit_events', schema=None) as batch_op:
        batch_op.drop_index('ix_audit_events_subject')
        batch_op.drop_index(batch_op.f('ix_audit_events_at'))
        batch_op.drop_index(batch_op.f('ix_audit_events_actor_id'))
        batch_op.drop_index(batch_op.f('ix_audit_events_action'))

    op.drop_table('audit_events')
    with op.batch_alter_table('api_tokens', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_api_tokens_user_id'))

    op.drop_table('api_tokens')
    with op.batch_alter_table('users', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_users_role'))
        batch_op.drop_index(batch_op.f('ix_users_organisation_id'))

    op.drop_table('users')
    with op.batch_alter_table('organisations', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_organisations_kind'))

    op.drop_table('organisations')
    with op.batch_alter_table('commune_postal_codes', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_commune_postal_codes_commune_code'))

    op.drop_table('commune_postal_codes')
    with op.batch_alter_table('communes', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_communes_search_name'))
        batch_op.drop_index(batch_op.f('ix_communes_epci_code'))
        batch_op.drop_index(batch_op.f('ix_communes_department_code'))

    op.drop_table('communes')
