"""Expired idempotency keys of members leave as new ones come: an index to find them.

A member's key used to be deleted only when the same member sent the same key again,
so expired rows piled up. Each claim now deletes a few of its organisation's oldest
expired ones (``application.idempotency.claim``), found by this index.

Revision ID: 0010
Revises: 0009
Create Date: 2026-11-26
"""

from collections.abc import Sequence

from alembic import op

revision: str = "0010"
down_revision: str | None = "0009"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    op.create_index(
        "ix_idempotency_keys_org_id_created_at", "idempotency_keys", ["org_id", "created_at"]
    )


def downgrade() -> None:
    op.drop_index("ix_idempotency_keys_org_id_created_at", table_name="idempotency_keys")
