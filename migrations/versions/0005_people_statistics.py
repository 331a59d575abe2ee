"""Fresh planner statistics after a bulk import of people.

Revision ID: 0005
Revises: 0004
Create Date: 2026-11-25
"""

from collections.abc import Sequence

from alembic import op

from migrations.rls import grant_execute

revision: str = "0005"
down_revision: str | None = "0004"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

# ANALYZE needs the table's owner; the request role may ask for exactly this one,
# after an import has written many people, instead of waiting for autovacuum (until
# then the planner takes the new organisation for a handful of rows and scans where it
# should probe: the subtree of 10,000 people took 100 ms instead of 30).
FUNCTION = """
CREATE FUNCTION refresh_people_statistics() RETURNS void
LANGUAGE plpgsql VOLATILE SECURITY DEFINER SET search_path = public, pg_temp AS $$
BEGIN
    ANALYZE members;
    ANALYZE teams;
END
$$;
"""


def upgrade() -> None:
    op.execute(FUNCTION)
    grant_execute("refresh_people_statistics()")


def downgrade() -> None:
    op.execute("DROP FUNCTION IF EXISTS refresh_people_statistics()")
