"""The request role may read which revision the schema is at, for ``GET /ready``.

An API deployed ahead of its migrations answered ready while every request failed:
the probe only asked whether the database answered. It now also compares
``alembic_version`` with the revision the code was written for, which the request
role (owning nothing, reading through row-level security) could not read until now.
Until this migration has run, the probe cannot read it, and answers 503: rightly so.

Revision ID: 0013
Revises: 0012
Create Date: 2026-11-26
"""

from collections.abc import Sequence

from alembic import op

from migrations.rls import app_role

revision: str = "0013"
down_revision: str | None = "0012"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    op.execute(f"GRANT SELECT ON alembic_version TO {app_role()}")


def downgrade() -> None:
    op.execute(f"REVOKE SELECT ON alembic_version FROM {app_role()}")
