"""Webhooks: endpoints, the outbox of events and deliveries, and every attempt.

Events are written to the outbox in the transaction of the change they announce;
deliverers send them afterwards. A deliverer does not know in advance which
organisation's delivery falls due next, and the request role sees one organisation
at a time: ``webhook_claim_due()`` is the one narrow SECURITY DEFINER path across
organisations. It locks and answers one due delivery (its organisation and id,
nothing more); everything else the deliverer then reads and writes under
row-level security, bound to that organisation.

Revision ID: 0007
Revises: 0006
Create Date: 2026-11-27
"""

from collections.abc import Sequence

from alembic import op

from migrations.rls import grant_execute, protect

revision: str = "0007"
down_revision: str | None = "0006"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

TABLES = """
CREATE TABLE webhooks (
    org_id UUID NOT NULL,
    id UUID NOT NULL,
    url VARCHAR(2000) NOT NULL,
    events VARCHAR(64)[] NOT NULL,
    description TEXT,
    active BOOLEAN DEFAULT true NOT NULL,
    secret VARCHAR(128) NOT NULL,
    previous_secret VARCHAR(128),
    previous_secret_expires_at TIMESTAMP WITH TIME ZONE,
    version INTEGER DEFAULT 1 NOT NULL,
    created_at TIMESTAMP WITH TIME ZONE DEFAULT now() NOT NULL,
    updated_at TIMESTAMP WITH TIME ZONE DEFAULT now() NOT NULL,
    CONSTRAINT pk_webhooks PRIMARY KEY (org_id, id),
    CONSTRAINT fk_webhooks_org_id_organisations FOREIGN KEY(org_id) REFERENCES organisations (id) ON DELETE CASCADE,
    CONSTRAINT ck_webhooks_events CHECK (cardinality(events) > 0)
);

CREATE TABLE webhook_events (
    org_id UUID NOT NULL,
    id UUID NOT NULL,
    type VARCHAR(64) NOT NULL,
    payload JSONB NOT NULL,
    created_at TIMESTAMP WITH TIME ZONE DEFAULT now() NOT NULL,
    CONSTRAINT pk_webhook_events PRIMARY KEY (org_id, id),
    CONSTRAINT fk_webhook_events_org_id_organisations FOREIGN KEY(org_id) REFERENCES organisations (id) ON DELETE CASCADE
);

CREATE TABLE webhook_deliveries (
    org_id UUID NOT NULL,
    id UUID NOT NULL,
    webhook_id UUID NOT NULL,
    event_id UUID NOT NULL,
    status VARCHAR(16) DEFAULT 'pending' NOT NULL,
    attempts INTEGER DEFAULT 0 NOT NULL,
    next_attempt_at TIMESTAMP WITH TIME ZONE,
    delivered_at TIMESTAMP WITH TIME ZONE,
    created_at TIMESTAMP WITH TIME ZONE DEFAULT now() NOT NULL,
    CONSTRAINT pk_webhook_deliveries PRIMARY KEY (org_id, id),
    CONSTRAINT fk_webhook_deliveries_org_id_webhook_id_webhooks FOREIGN KEY(org_id, webhook_id) REFERENCES webhooks (org_id, id) ON DELETE CASCADE,
    CONSTRAINT fk_webhook_deliveries_org_id_event_id_webhook_events FOREIGN KEY(org_id, event_id) REFERENCES webhook_events (org_id, id) ON DELETE CASCADE,
    CONSTRAINT ck_webhook_deliveries_status CHECK (status IN ('pending', 'delivered', 'failed')),
    CONSTRAINT ck_webhook_deliveries_pending_has_next_attempt CHECK ((status = 'pending') = (next_attempt_at IS NOT NULL))
);

CREATE INDEX ix_webhook_deliveries_org_id_webhook_id_created_at
    ON webhook_deliveries (org_id, webhook_id, created_at);

CREATE INDEX ix_webhook_deliveries_next_attempt_at
    ON webhook_deliveries (next_attempt_at) WHERE status = 'pending';

CREATE TABLE webhook_attempts (
    org_id UUID NOT NULL,
    id UUID NOT NULL,
    delivery_id UUID NOT NULL,
    attempt INTEGER NOT NULL,
    attempted_at TIMESTAMP WITH TIME ZONE NOT NULL,
    status_code INTEGER,
    error VARCHAR(500),
    duration_ms INTEGER NOT NULL,
    CONSTRAINT pk_webhook_attempts PRIMARY KEY (org_id, id),
    CONSTRAINT uq_webhook_attempts_org_id_delivery_id_attempt UNIQUE (org_id, delivery_id, attempt),
    CONSTRAINT fk_webhook_attempts_org_id_delivery_id_webhook_deliveries FOREIGN KEY(org_id, delivery_id) REFERENCES webhook_deliveries (org_id, id) ON DELETE CASCADE
);
"""

# Of the due deliveries of active endpoints, the one due first that no other
# deliverer holds; locked for the caller's transaction (row locks belong to the
# transaction, not to the function's owner). SKIP LOCKED: concurrent deliverers
# each take a different one instead of queueing behind the first.
CLAIM = """
CREATE FUNCTION webhook_claim_due()
RETURNS TABLE (org_id uuid, delivery_id uuid)
LANGUAGE sql VOLATILE SECURITY DEFINER SET search_path = public, pg_temp AS $$
    SELECT d.org_id, d.id
    FROM webhook_deliveries d
    JOIN webhooks w ON w.org_id = d.org_id AND w.id = d.webhook_id
    WHERE d.status = 'pending' AND d.next_attempt_at <= now() AND w.active
    ORDER BY d.next_attempt_at
    LIMIT 1
    FOR UPDATE OF d SKIP LOCKED
$$;
"""
CLAIM_SIGNATURE = "webhook_claim_due()"


def upgrade() -> None:
    op.execute(TABLES)
    protect("webhooks")
    # The outbox and the log are appended to; a delivery's state moves on. Deleting
    # an endpoint deletes its deliveries and attempts by cascade, as the owner.
    protect("webhook_events", privileges="SELECT, INSERT")
    protect("webhook_deliveries", privileges="SELECT, INSERT, UPDATE")
    protect("webhook_attempts", privileges="SELECT, INSERT")
    op.execute(CLAIM)
    grant_execute(CLAIM_SIGNATURE)


def downgrade() -> None:
    op.execute(f"DROP FUNCTION IF EXISTS {CLAIM_SIGNATURE}")
    for table in ("webhook_attempts", "webhook_deliveries", "webhook_events", "webhooks"):
        op.execute(f"DROP TABLE IF EXISTS {table}")
