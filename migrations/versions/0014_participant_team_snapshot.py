"""Each participant's team, as it was at launch: a report by team describes the cycle.

Reports filtered by team read each participant's team now, so moving a person to
another team changed a released cycle's team metrics, where PRODUCT.md has later edits
change no past cycle. Launch now keeps the team beside the role and manager it already
keeps. Cycles launched before this migration get each participant's team as it is
now: the best there is. No foreign key: a team may be deleted once unused by people,
and a past cycle keeps the id it had.

Revision ID: 0014
Revises: 0013
Create Date: 2026-11-26
"""

from collections.abc import Sequence

from alembic import op

revision: str = "0014"
down_revision: str | None = "0013"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    op.execute("ALTER TABLE cycle_participants ADD COLUMN team_id UUID")
    op.execute(
        """
        UPDATE cycle_participants p SET team_id = m.team_id
        FROM members m, review_cycles c
        WHERE m.org_id = p.org_id AND m.id = p.member_id
          AND c.org_id = p.org_id AND c.id = p.cycle_id AND c.state <> 'draft'
        """
    )
    op.create_index(
        "ix_cycle_participants_org_id_cycle_id_team_id",
        "cycle_participants",
        ["org_id", "cycle_id", "team_id"],
    )


def downgrade() -> None:
    op.drop_index("ix_cycle_participants_org_id_cycle_id_team_id", table_name="cycle_participants")
    op.execute("ALTER TABLE cycle_participants DROP COLUMN team_id")
