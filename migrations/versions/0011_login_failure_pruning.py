"""Failed log-ins of every identity leave once their window has passed.

A failure used to be deleted only when the same identity failed again, so every
organisation and email that was tried once (a scan varies them freely) left a row for
good. Recording a failure now also deletes up to ten of the oldest failures of any
identity that are past the window: each new row clears more than it adds, until none
past the window is left. ``ix_login_failures_failed_at`` finds them without a scan.

The function is replaced in place (``CREATE OR REPLACE``): its owner, SECURITY DEFINER
and the request role's EXECUTE stay as migration 0001 granted them.

Revision ID: 0011
Revises: 0010
Create Date: 2026-11-27
"""

from collections.abc import Sequence

from alembic import op

revision: str = "0011"
down_revision: str | None = "0010"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

#: How many expired failures of other identities one recorded failure clears.
PRUNED_PER_FAILURE = 10

RECORD_AND_PRUNE = f"""
CREATE OR REPLACE FUNCTION auth_record_login_failure(p_identity text, p_window_seconds integer)
RETURNS void
LANGUAGE sql VOLATILE SECURITY DEFINER SET search_path = public, pg_temp AS $$
    DELETE FROM login_failures
    WHERE identity = p_identity
      AND failed_at <= now() - make_interval(secs => p_window_seconds);
    -- Rows another failure is deleting right now are left to it, not waited for.
    DELETE FROM login_failures
    WHERE id IN (
        SELECT id FROM login_failures
        WHERE failed_at <= now() - make_interval(secs => p_window_seconds)
        ORDER BY failed_at
        LIMIT {PRUNED_PER_FAILURE}
        FOR UPDATE SKIP LOCKED
    );
    INSERT INTO login_failures (identity) VALUES (p_identity);
$$;
"""

#: Migration 0001's body, as it was.
RECORD_ONLY = """
CREATE OR REPLACE FUNCTION auth_record_login_failure(p_identity text, p_window_seconds integer)
RETURNS void
LANGUAGE sql VOLATILE SECURITY DEFINER SET search_path = public, pg_temp AS $$
    DELETE FROM login_failures
    WHERE identity = p_identity
      AND failed_at <= now() - make_interval(secs => p_window_seconds);
    INSERT INTO login_failures (identity) VALUES (p_identity);
$$;
"""


def upgrade() -> None:
    op.create_index("ix_login_failures_failed_at", "login_failures", ["failed_at"])
    op.execute(RECORD_AND_PRUNE)


def downgrade() -> None:
    op.execute(RECORD_ONLY)
    op.drop_index("ix_login_failures_failed_at", table_name="login_failures")
