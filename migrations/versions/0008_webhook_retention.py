"""Webhook retention: finished deliveries, their attempts and events leave the outbox.

The outbox only grows otherwise. The request role may not delete from it (the log
of attempts is append-only for it), and a deliverer prunes across organisations:
``webhook_prune(before)`` is one more narrow SECURITY DEFINER path. It deletes only
deliveries that are finished (delivered or failed) and created before ``before``,
their attempts by cascade, and events left with no delivery; and it never reaches
into the last day, whatever it is asked, so a wrong setting cannot empty the log
integrators are reading.

Revision ID: 0008
Revises: 0007
Create Date: 2026-11-26
"""

from collections.abc import Sequence

from alembic import op

from migrations.rls import grant_execute

revision: str = "0008"
down_revision: str | None = "0007"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

SIGNATURE = "webhook_prune(timestamp with time zone)"
PRUNE = """
CREATE FUNCTION webhook_prune(p_before TIMESTAMP WITH TIME ZONE)
RETURNS INTEGER
LANGUAGE plpgsql VOLATILE SECURITY DEFINER SET search_path = public, pg_temp AS $$
DECLARE
    cutoff TIMESTAMP WITH TIME ZONE := LEAST(p_before, now() - interval '1 day');
    removed INTEGER;
BEGIN
    DELETE FROM webhook_deliveries
    WHERE status IN ('delivered', 'failed') AND created_at < cutoff;
    GET DIAGNOSTICS removed = ROW_COUNT;
    DELETE FROM webhook_events e
    WHERE e.created_at < cutoff
      AND NOT EXISTS (
          SELECT FROM webhook_deliveries d WHERE d.org_id = e.org_id AND d.event_id = e.id
      );
    RETURN removed;
END
$$;
"""


def upgrade() -> None:
    # Finished deliveries by age: the prune's scan, without reading the pending ones.
    op.execute(
        "CREATE INDEX ix_webhook_deliveries_created_at_finished"
        " ON webhook_deliveries (created_at) WHERE status <> 'pending'"
    )
    op.execute(PRUNE)
    grant_execute(SIGNATURE)


def downgrade() -> None:
    op.execute(f"DROP FUNCTION IF EXISTS {SIGNATURE}")
    op.execute("DROP INDEX IF EXISTS ix_webhook_deliveries_created_at_finished")
