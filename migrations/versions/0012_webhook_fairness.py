"""Webhook fairness: a lease of its own, and a claim that takes turns between organisations.

Migration 0007's claim handed out the one delivery due first across every
organisation, and a lease was written into ``next_attempt_at``. One organisation with
a burst of events, or many endpoints that time out, then kept every deliverer busy
while the others' deliveries waited behind it.

- ``leased_until``: until when a deliverer holds the delivery. ``next_attempt_at``
  says again only when the delivery falls due (the retry schedule); a lease in the
  past means the delivery is free: given back when its attempt was recorded
  (recording sets it to that moment), or run out (its deliverer died).
  Existing rows keep ``leased_until`` NULL: a lease written the old way (in
  ``next_attempt_at``) cannot be told from a retry, and either way the delivery is not
  due before that time, which is what it meant.
- ``webhook_claim_due(per_organisation)`` replaces ``webhook_claim_due()``. Over the
  organisations with a delivery due (of an active endpoint, not leased), it prefers
  the one with the fewest unexpired leases, then the one whose last lease is oldest
  (never leased first), then the earliest due; it skips an organisation that already
  holds ``per_organisation`` unexpired leases. It then locks that organisation's
  earliest due delivery (``FOR UPDATE SKIP LOCKED``) and answers its organisation
  and id, nothing more; the caller leases it (under row-level security, bound to the
  organisation) and commits. An organisation's claims are serialised by a
  transaction-level advisory lock held until the caller commits, and its leases are
  counted again under that lock, so two deliverers claiming at once cannot both take
  the last lease the cap allows. Claims made at once pass over an organisation
  another claim is taking, to the next; they wait for it only when nothing else is
  left, so that a deliverer does not find "nothing due" while there is.

  Why not rank organisations by their earliest due delivery alone: a burst's first
  delivery is as old as the burst, so whenever one thread came free the bursting
  organisation would win it again, until its backlog was younger than everyone
  else's deliveries. Ranking by leases held, then by the last lease, is a round robin
  (one thread or many), and the cap bounds how many threads of all the deliverers one
  organisation can occupy.
- The claim reads an index per organisation, not the whole backlog: the
  organisations with pending deliveries are walked one index probe each (a loose
  index scan over ``(org_id, next_attempt_at) WHERE status = 'pending'``), and each
  one's leases are read from ``(org_id, leased_until)``. The global index on
  ``next_attempt_at`` served only the old claim and goes.

A deliverer still running the old code during a release gets "function does not
exist" from its claim until it is restarted (it logs the error and tries again); an
attempt it has in flight is recorded as before, since its lease is in
``next_attempt_at``, which the new claim respects.

The downgrade restores 0011's state: unexpired leases are written back into
``next_attempt_at`` (the old form of a lease), then the column, the indexes and the
function are those of 0007 again.

Revision ID: 0012
Revises: 0011
Create Date: 2026-11-28
"""

from collections.abc import Sequence

from alembic import op

from migrations.rls import grant_execute

revision: str = "0012"
down_revision: str | None = "0011"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

#: First key of the advisory lock on an organisation's claims (``WEBHOOKS_LOCK``, the
#: lock on its endpoints, is 0x7E6B).
CLAIM_LOCK = 0x7E6C
#: How long a claim that found nothing else to take waits for another claim of an
#: organisation to commit (a claim commits in milliseconds) before it gives up on it.
CLAIM_LOCK_WAIT = "1s"

SIGNATURE = "webhook_claim_due(integer)"
# Written in PL/pgSQL: the organisations are ranked first, then tried one at a time,
# since FOR UPDATE cannot be combined with the aggregates and the ordering that rank
# them. Each try runs in a block of its own: when it takes nothing (the organisation
# at its cap, or its due deliveries taken meanwhile), the block is rolled back and the
# organisation's lock with it, so a claim only ever holds the lock of the organisation
# it claims from. The first pass merely tries each lock, so that claims made at once
# spread over organisations; only if that took nothing does a second pass wait (at
# most CLAIM_LOCK_WAIT) for the organisations another claim was taking, holding no
# lock while it waits: two claims cannot deadlock.
CLAIM = f"""
CREATE FUNCTION webhook_claim_due(p_per_organisation integer)
RETURNS TABLE (org_id uuid, delivery_id uuid)
LANGUAGE plpgsql VOLATILE SECURITY DEFINER
SET search_path = public, pg_temp
SET lock_timeout = '{CLAIM_LOCK_WAIT}'
AS $$
#variable_conflict use_column
DECLARE
    cap CONSTANT integer := GREATEST(coalesce(p_per_organisation, 1), 1);
    ranked uuid[];
    busy uuid[] := '{{}}';
    waiting boolean := false;
    org uuid;
    claimed uuid;
BEGIN
    -- Per organisation with a delivery due (of an active endpoint, not leased): its
    -- unexpired leases, its last lease, its earliest due delivery. Organisations are
    -- found by a loose index scan: one probe each, whatever their backlog.
    WITH RECURSIVE pending(org_id) AS (
        (SELECT d.org_id FROM webhook_deliveries d
         WHERE d.status = 'pending' ORDER BY d.org_id, d.next_attempt_at LIMIT 1)
        UNION ALL
        SELECT (SELECT d.org_id FROM webhook_deliveries d
                WHERE d.status = 'pending' AND d.org_id > p.org_id
                ORDER BY d.org_id, d.next_attempt_at LIMIT 1)
        FROM pending p WHERE p.org_id IS NOT NULL
    )
    SELECT coalesce(array_agg(p.org_id ORDER BY held.leases,
                              latest.leased_until NULLS FIRST,
                              due.next_attempt_at, p.org_id), '{{}}')
    INTO ranked
    FROM pending p
    CROSS JOIN LATERAL (
        SELECT d.next_attempt_at FROM webhook_deliveries d
        JOIN webhooks w ON w.org_id = d.org_id AND w.id = d.webhook_id
        WHERE d.org_id = p.org_id AND d.status = 'pending' AND d.next_attempt_at <= now()
          AND (d.leased_until IS NULL OR d.leased_until <= now()) AND w.active
        ORDER BY d.next_attempt_at LIMIT 1
    ) due
    CROSS JOIN LATERAL (
        SELECT count(*) AS leases FROM webhook_deliveries l
        WHERE l.org_id = p.org_id AND l.leased_until > now()
    ) held
    LEFT JOIN LATERAL (
        SELECT l.leased_until FROM webhook_deliveries l
        WHERE l.org_id = p.org_id AND l.leased_until IS NOT NULL
        ORDER BY l.leased_until DESC LIMIT 1
    ) latest ON true
    WHERE p.org_id IS NOT NULL AND held.leases < cap;

    LOOP
        FOREACH org IN ARRAY ranked LOOP
            BEGIN
                IF waiting THEN
                    PERFORM pg_advisory_xact_lock({CLAIM_LOCK}, hashtext(org::text));
                ELSIF NOT pg_try_advisory_xact_lock({CLAIM_LOCK}, hashtext(org::text)) THEN
                    busy := busy || org;
                    CONTINUE;
                END IF;
                -- Counted again under the lock: the claim that held it before may have
                -- committed a lease since the organisations were ranked.
                claimed := NULL;
                IF (SELECT count(*) FROM webhook_deliveries l
                    WHERE l.org_id = org AND l.leased_until > now()) < cap THEN
                    SELECT d.id INTO claimed
                    FROM webhook_deliveries d
                    JOIN webhooks w ON w.org_id = d.org_id AND w.id = d.webhook_id
                    WHERE d.org_id = org AND d.status = 'pending'
                      AND d.next_attempt_at <= now()
                      AND (d.leased_until IS NULL OR d.leased_until <= now()) AND w.active
                    ORDER BY d.next_attempt_at
                    LIMIT 1
                    FOR UPDATE OF d SKIP LOCKED;
                END IF;
                IF claimed IS NULL THEN
                    RAISE no_data_found;  -- gives the organisation's lock back
                END IF;
                org_id := org;
                delivery_id := claimed;
                RETURN NEXT;
                RETURN;
            EXCEPTION WHEN no_data_found OR lock_not_available THEN
                NULL;  -- nothing to take here (or waited too long): the next one
            END;
        END LOOP;
        EXIT WHEN waiting OR cardinality(busy) = 0;
        waiting := true;
        ranked := busy;
    END LOOP;
END
$$;
"""

#: Migration 0007's claim and its index, as they were.
SIGNATURE_OF_0007 = "webhook_claim_due()"
CLAIM_OF_0007 = """
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
INDEX_OF_0007 = (
    "CREATE INDEX ix_webhook_deliveries_next_attempt_at"
    " ON webhook_deliveries (next_attempt_at) WHERE status = 'pending'"
)


def upgrade() -> None:
    op.execute("ALTER TABLE webhook_deliveries ADD COLUMN leased_until TIMESTAMP WITH TIME ZONE")
    # The claim's walk over organisations, and each one's earliest due delivery.
    op.execute(
        "CREATE INDEX ix_webhook_deliveries_pending_org_id_next_attempt_at"
        " ON webhook_deliveries (org_id, next_attempt_at) WHERE status = 'pending'"
    )
    # Each organisation's unexpired leases (counted against the cap) and its last one.
    op.execute(
        "CREATE INDEX ix_webhook_deliveries_org_id_leased_until"
        " ON webhook_deliveries (org_id, leased_until) WHERE leased_until IS NOT NULL"
    )
    op.execute(f"DROP FUNCTION {SIGNATURE_OF_0007}")
    op.execute("DROP INDEX ix_webhook_deliveries_next_attempt_at")
    op.execute(CLAIM)
    grant_execute(SIGNATURE)


def downgrade() -> None:
    op.execute(f"DROP FUNCTION IF EXISTS {SIGNATURE}")
    # A delivery on its way stays out of the old claim's reach until its lease runs out.
    op.execute(
        "UPDATE webhook_deliveries SET next_attempt_at = leased_until"
        " WHERE status = 'pending' AND leased_until > now() AND leased_until > next_attempt_at"
    )
    op.execute("DROP INDEX IF EXISTS ix_webhook_deliveries_org_id_leased_until")
    op.execute("DROP INDEX IF EXISTS ix_webhook_deliveries_pending_org_id_next_attempt_at")
    op.execute("ALTER TABLE webhook_deliveries DROP COLUMN leased_until")
    op.execute(INDEX_OF_0007)
    op.execute(CLAIM_OF_0007)
    grant_execute(SIGNATURE_OF_0007)
