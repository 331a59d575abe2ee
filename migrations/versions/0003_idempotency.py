"""Idempotency keys for retried POSTs.

Revision ID: 0003
Revises: 0002
Create Date: 2026-11-25
"""

from collections.abc import Sequence

from alembic import op

from migrations.rls import protect

revision: str = "0003"
down_revision: str | None = "0002"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

TABLE = """
CREATE TABLE idempotency_keys (
    org_id UUID NOT NULL,
    id UUID NOT NULL,
    member_id UUID NOT NULL,
    key VARCHAR(255) NOT NULL,
    fingerprint VARCHAR(64) NOT NULL,
    status_code INTEGER,
    response_body TEXT,
    response_headers JSONB DEFAULT '{}'::jsonb NOT NULL,
    created_at TIMESTAMP WITH TIME ZONE DEFAULT now() NOT NULL,
    CONSTRAINT pk_idempotency_keys PRIMARY KEY (org_id, id),
    CONSTRAINT uq_idempotency_keys_org_id_member_id_key UNIQUE (org_id, member_id, key),
    CONSTRAINT fk_idempotency_keys_org_id_member_id_members FOREIGN KEY(org_id, member_id) REFERENCES members (org_id, id) ON DELETE CASCADE
);
"""


def upgrade() -> None:
    op.execute(TABLE)
    protect("idempotency_keys")


def downgrade() -> None:
    op.execute("DROP TABLE IF EXISTS idempotency_keys")
