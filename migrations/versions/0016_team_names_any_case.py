"""Team names unique in any case: "Payments" and "payments" are one team.

The people CSV names teams in any case, so two teams whose names differ only in case
sent people to whichever it met first. The unique constraint on the exact name becomes
a unique index on the lower-case name, under the same name (a clash still reads "A
team with this name already exists.").

Existing duplicates are not renamed or merged here: which one people meant is the
organisation's to say. The migration stops, naming them, and runs once they are
renamed (PATCH /api/v1/teams/{id}) or merged.

Revision ID: 0016
Revises: 0015
Create Date: 2026-11-26
"""

from collections.abc import Sequence

from alembic import op

revision: str = "0016"
down_revision: str | None = "0015"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    op.execute(
        """
        DO $$
        DECLARE
            clashes text;
        BEGIN
            SELECT string_agg(format('organisation %s: %s', org_id, names), '; ')
            INTO clashes
            FROM (
                SELECT org_id, string_agg(quote_literal(name), ', ' ORDER BY name) AS names
                FROM teams
                GROUP BY org_id, lower(name)
                HAVING count(*) > 1
                ORDER BY org_id
                LIMIT 50
            ) AS duplicates;
            IF clashes IS NOT NULL THEN
                RAISE EXCEPTION 'Team names that differ only in case: %', clashes
                    USING HINT = 'Rename or merge these teams, then migrate again.';
            END IF;
        END
        $$
        """
    )
    op.execute("ALTER TABLE teams DROP CONSTRAINT uq_teams_org_id_name")
    op.execute("CREATE UNIQUE INDEX uq_teams_org_id_name ON teams (org_id, lower(name))")


def downgrade() -> None:
    op.execute("DROP INDEX uq_teams_org_id_name")
    op.execute("ALTER TABLE teams ADD CONSTRAINT uq_teams_org_id_name UNIQUE (org_id, name)")
