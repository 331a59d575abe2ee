"""One manager review per person and cycle, whoever writes it.

When a manager leaves mid-cycle, their open manager reviews are handed to each
reviewee's manager now; results then read a person's manager review by its type, not
by the snapshotted manager (who no longer writes it). Launch creates one manager review
per participant with a manager and the hand-over never adds a second: this index makes
that a guarantee the results can rest on.

Revision ID: 0015
Revises: 0014
Create Date: 2026-11-26
"""

from collections.abc import Sequence

from alembic import op

revision: str = "0015"
down_revision: str | None = "0014"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    op.execute(
        "CREATE UNIQUE INDEX uq_reviews_one_manager_review"
        " ON reviews (org_id, cycle_id, reviewee_id) WHERE type = 'manager'"
    )


def downgrade() -> None:
    op.execute("DROP INDEX uq_reviews_one_manager_review")
