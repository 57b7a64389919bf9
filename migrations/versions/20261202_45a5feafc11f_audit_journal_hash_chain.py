"""The audit journal as an append-only hash chain.

- audit_events.prev_id (unique), prev_hash, hash: each row chained to the one before
  (equipbank/audit/journal.py); the rows already there are chained here, in id order.
- audit_events.ip_salt, ip_digest: the chain covers a salted digest of the address, so the
  address can be truncated later; rows with something else than an address lose it.
- PostgreSQL: a trigger refuses UPDATE, DELETE and TRUNCATE of audit_events, except the
  truncation of an old address and a purge after `SET LOCAL equipbank.allow_purge = 'on'`
  (the test suite's cleanup).

The backfill uses the app's own hash function (`row_hash`): the rows it writes must verify
with the code that checks them.

Revision ID: 45a5feafc11f
Revises: b7d41c0e9a25
Create Date: 2026-12-02 14:40:00

"""
from alembic import op
import sqlalchemy as sa

from equipbank.migration_guard import refuse_data_loss


# revision identifiers, used by Alembic.
revision = '45a5feafc11f'
down_revision = 'b7d41c0e9a25'
branch_labels = None
depends_on = None


APPEND_ONLY_FUNCTION = """
CREATE FUNCTION audit_events_append_only() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
    IF TG_OP = 'UPDATE' THEN
        -- The one change allowed: an address replaced by its network (/24, /48) or dropped,
        -- and its salt dropped; nothing else, and the chain does not see it.
        IF OLD.ip_salt IS NOT NULL AND NEW.ip_salt IS NULL
           AND (NEW.id, NEW.at, NEW.actor_id, NEW.action, NEW.subject_type, NEW.subject_id,
                NEW.summary::text, NEW.ip_digest, NEW.prev_id, NEW.prev_hash, NEW.hash)
               IS NOT DISTINCT FROM
               (OLD.id, OLD.at, OLD.actor_id, OLD.action, OLD.subject_type, OLD.subject_id,
                OLD.summary::text, OLD.ip_digest, OLD.prev_id, OLD.prev_hash, OLD.hash)
           AND (NEW.ip IS NULL OR NEW.ip::inet = host(network(set_masklen(OLD.ip::inet,
                CASE family(OLD.ip::inet) WHEN 4 THEN 24 ELSE 48 END)))::inet)
        THEN
            RETURN NEW;
        END IF;
        RAISE EXCEPTION 'audit_events is append-only: UPDATE refused'
            USING ERRCODE = 'insufficient_privilege';
    END IF;
    -- DELETE (each row) or TRUNCATE (the statement): only a purge asked for explicitly.
    IF current_setting('equipbank.allow_purge', true) = 'on' THEN
        RETURN OLD;
    END IF;
    RAISE EXCEPTION 'audit_events is append-only: % refused', TG_OP
        USING ERRCODE = 'insufficient_privilege';
END;
$$
"""


def upgrade():
    with op.batch_alter_table('audit_events', schema=None) as batch_op:
        batch_op.add_column(sa.Column('ip_salt', sa.String(length=32), nullable=True))
        batch_op.add_column(sa.Column('ip_digest', sa.String(length=64), nullable=True))
        batch_op.add_column(sa.Column('prev_id', sa.Integer(), nullable=True))
        batch_op.add_column(sa.Column('prev_hash', sa.String(length=64), nullable=True))
        batch_op.add_column(sa.Column('hash', sa.String(length=64), nullable=True))

    chain_existing_rows()

    with op.batch_alter_table('audit_events', schema=None) as batch_op:
        batch_op.alter_column('prev_hash', existing_type=sa.String(length=64), nullable=False)
        batch_op.alter_column('hash', existing_type=sa.String(length=64), nullable=False)
        batch_op.create_unique_constraint(batch_op.f('uq_audit_events_prev_id'), ['prev_id'])

    if op.get_bind().dialect.name == 'postgresql':
        op.execute(APPEND_ONLY_FUNCTION)
        op.execute(
            "CREATE TRIGGER audit_events_append_only BEFORE UPDATE OR DELETE ON audit_events "
            "FOR EACH ROW EXECUTE FUNCTION audit_events_append_only()"
        )
        op.execute(
            "CREATE TRIGGER audit_events_no_truncate BEFORE TRUNCATE ON audit_events "
            "FOR EACH STATEMENT EXECUTE FUNCTION audit_events_append_only()"
        )


def chain_existing_rows():
    import secrets

    from equipbank.audit.journal import ip_digest, ip_network, row_hash
    from equipbank.audit.models import GENESIS_HASH
    from equipbank.db import UTCDateTime

    connection = op.get_bind()
    events = sa.table(
        'audit_events',
        sa.column('id', sa.Integer()),
        sa.column('at', UTCDateTime()),
        sa.column('actor_id', sa.Integer()),
        sa.column('action', sa.String()),
        sa.column('subject_type', sa.String()),
        sa.column('subject_id', sa.String()),
        sa.column('summary', sa.JSON()),
        sa.column('ip', sa.String()),
        sa.column('ip_salt', sa.String()),
        sa.column('ip_digest', sa.String()),
        sa.column('prev_id', sa.Integer()),
        sa.column('prev_hash', sa.String()),
        sa.column('hash', sa.String()),
    )
    rows = connection.execute(sa.select(events).order_by(events.c.id)).mappings().all()
    prev_id, prev_hash = None, GENESIS_HASH
    for row in rows:
        values = dict(row)
        if ip_network(values['ip']) is None:
            values['ip'] = None
        else:
            values['ip_salt'] = secrets.token_hex(16)
            values['ip_digest'] = ip_digest(values['ip_salt'], values['ip'])
        values['summary'] = values['summary'] or {}
        values['prev_id'], values['prev_hash'] = prev_id, prev_hash
        values['hash'] = row_hash(
            **{k: v for k, v in values.items() if k not in ('hash', 'ip_salt')}
        )
        connection.execute(
            events.update()
            .where(events.c.id == row['id'])
            .values(
                **{k: values[k] for k in ('ip', 'ip_salt', 'ip_digest', 'summary', 'prev_id',
                                          'prev_hash', 'hash')}
            )
        )
        prev_id, prev_hash = values['id'], values['hash']


def downgrade():
    refuse_data_loss("la chaîne d'empreintes du journal d'audit")
    if op.get_bind().dialect.name == 'postgresql':
        op.execute("DROP TRIGGER audit_events_no_truncate ON audit_events")
        op.execute("DROP TRIGGER audit_events_append_only ON audit_events")
        op.execute("DROP FUNCTION audit_events_append_only()")
    with op.batch_alter_table('audit_events', schema=None) as batch_op:
        batch_op.drop_constraint(batch_op.f('uq_audit_events_prev_id'), type_='unique')
        batch_op.drop_column('hash')
        batch_op.drop_column('prev_hash')
        batch_op.drop_column('prev_id')
        batch_op.drop_column('ip_digest')
        batch_op.drop_column('ip_salt')
