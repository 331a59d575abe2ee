"""Webhook parking: an inactive endpoint's deliveries wait out of the claim's way, and a
failed delivery says why.

An inactive endpoint's pending deliveries were never sent nor pruned, and stayed in
the claim's index: every claim walked all those of its organisation that were due
before skipping them on ``w.active`` (a million of them made every claim take 0.2 s
instead of under a millisecond).

- ``parked``: the delivery's endpoint is inactive. A trigger on ``webhooks.active``
  keeps it, whoever changes ``active`` (the API, the deliverer on a 410 Gone, a data
  fix, and the code of the release before this one while both run): deactivating
  parks the endpoint's pending deliveries; activating again unparks them, due at once
  (``next_attempt_at`` no later than now), a retry's backoff included. The trigger runs
  as the writer, under its row-level security. A delivery on its way when its
  endpoint is deactivated is parked too, and stays so when its attempt is recorded.
- The claim's index on ``(org_id, next_attempt_at)`` leaves parked deliveries out
  (``WHERE status = 'pending' AND NOT parked``), and ``webhook_claim_due`` reads
  through it: 0012's function with ``AND NOT d.parked`` beside each
  ``d.status = 'pending'``, under the same signature, so deliverers running need no
  restart. It still checks ``w.active``: a delivery enqueued while its endpoint's
  deactivation was committing is written unparked, and the claim passes over it as
  before (it costs that one index entry).
- ``failure``: why a failed delivery was given up (its attempts ran out, the
  endpoint answered 410 Gone, the endpoint stopped subscribing to its event type).
  Deliveries that failed before this migration ran out of attempts, the only way
  they could fail: they say so.

Existing deliveries of inactive endpoints are parked here (the updates take the
table's lock for as long as they run: deliverers wait that long for their next claim).

The downgrade puts 0012's claim and index back and drops the trigger and the columns;
deliveries that were parked stay pending, waiting for their endpoint as before.

Revision ID: 0017
Revises: 0016
Create Date: 2026-11-26
"""

import importlib
from collections.abc import Sequence

from alembic import op

revision: str = "0017"
down_revision: str | None = "0016"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

#: Migration 0012's claim, as it created it (a migration is never edited once shipped).
CLAIM_OF_0012: str = importlib.import_module("migrations.versions.0012_webhook_fairness").CLAIM
PENDING = "d.status = 'pending'"
# The two probes of the walk over organisations, the ranking's due delivery and the
# claimed one: every read of the claim's index.
if CLAIM_OF_0012.count(PENDING) != 4:
    raise RuntimeError("Migration 0012's claim is not the one this migration amends.")
REPLACED_0012 = CLAIM_OF_0012.replace("CREATE FUNCTION", "CREATE OR REPLACE FUNCTION", 1)
CLAIM = REPLACED_0012.replace(PENDING, f"{PENDING} AND NOT d.parked")

INDEX = "ix_webhook_deliveries_pending_org_id_next_attempt_at"

COLUMNS = """
ALTER TABLE webhook_deliveries
    ADD COLUMN parked BOOLEAN DEFAULT false NOT NULL,
    ADD COLUMN failure VARCHAR(200),
    ADD CONSTRAINT ck_webhook_deliveries_failure_only_when_failed
        CHECK (status = 'failed' OR failure IS NULL);
"""

BACKFILL = """
UPDATE webhook_deliveries SET failure = format('No 2xx answer in %s attempts.', attempts)
WHERE status = 'failed';

UPDATE webhook_deliveries d SET parked = true
FROM webhooks w
WHERE w.org_id = d.org_id AND w.id = d.webhook_id AND NOT w.active AND d.status = 'pending';
"""

# Once per endpoint whose ``active`` changed. Its pending deliveries are found through
# the (org_id, webhook_id, created_at) index of its delivery log.
PARKING = """
CREATE FUNCTION webhook_park_deliveries() RETURNS trigger
LANGUAGE plpgsql SET search_path = public, pg_temp AS $$
BEGIN
    UPDATE webhook_deliveries d
    SET parked = NOT NEW.active,
        next_attempt_at = CASE WHEN NEW.active THEN LEAST(d.next_attempt_at, now())
                               ELSE d.next_attempt_at END
    WHERE d.org_id = NEW.org_id AND d.webhook_id = NEW.id AND d.status = 'pending'
      AND d.parked = NEW.active;
    RETURN NULL;
END
$$;

CREATE TRIGGER webhook_deliveries_parked AFTER UPDATE OF active ON webhooks
    FOR EACH ROW WHEN (OLD.active IS DISTINCT FROM NEW.active)
    EXECUTE FUNCTION webhook_park_deliveries();
"""


def _claim_index(where: str) -> None:
    op.execute(f"DROP INDEX {INDEX}")
    op.execute(
        f"CREATE INDEX {INDEX} ON webhook_deliveries (org_id, next_attempt_at) WHERE {where}"
    )


def upgrade() -> None:
    op.execute(COLUMNS)
    op.execute(BACKFILL)
    op.execute(PARKING)
    _claim_index("status = 'pending' AND NOT parked")
    op.execute(CLAIM)


def downgrade() -> None:
    op.execute(REPLACED_0012)
    _claim_index("status = 'pending'")
    op.execute("DROP TRIGGER IF EXISTS webhook_deliveries_parked ON webhooks")
    op.execute("DROP FUNCTION IF EXISTS webhook_park_deliveries()")
    op.execute(
        "ALTER TABLE webhook_deliveries"
        " DROP CONSTRAINT IF EXISTS ck_webhook_deliveries_failure_only_when_failed,"
        " DROP COLUMN IF EXISTS failure, DROP COLUMN IF EXISTS parked"
    )
