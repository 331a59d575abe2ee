"""Reports: covering indexes for their queries, and the frozen outcomes of released cycles.

The plans that justify each index are in docs/report-plans.md.

Revision ID: 0004
Revises: 0003
Create Date: 2026-11-25
"""

from collections.abc import Sequence

from alembic import op

from migrations.rls import protect

revision: str = "0004"
# After the idempotency keys (0003), which were written first against 0002: one head.
down_revision: str | None = "0003"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

SCHEMA = """
-- A report reads each participant's manager (and self) review's ratings by review:
-- with the score in the unique key's index, one index-only probe per review, no
-- heap visit, and no second index with the same key to maintain.
ALTER TABLE review_ratings
    DROP CONSTRAINT uq_review_ratings_org_id_review_id_competency_id,
    ADD CONSTRAINT uq_review_ratings_org_id_review_id_competency_id
        UNIQUE (org_id, review_id, competency_id) INCLUDE (score);

-- Completion counts reviews of a cycle by type and status, within the people in
-- scope: an index-only scan with the reviewee and reviewer at hand. The index of
-- 0002 on the same key gains them rather than being repeated.
DROP INDEX ix_reviews_org_id_cycle_id_type_status;
CREATE INDEX ix_reviews_org_id_cycle_id_type_status
    ON reviews (org_id, cycle_id, type, status) INCLUDE (reviewee_id, reviewer_id);

-- Calibrations of one cycle, as the reports join them to every participant.
-- (The unique key (org_id, cycle_id, member_id, competency_id) already serves.)

-- What a released cycle gave each participant, computed once by the report SQL
-- (a released cycle never changes): reports on it, its outlook and the change
-- since it read one row per participant (service/adapters/reports/outcomes_sql.py).
CREATE TABLE cycle_outcomes (
    org_id UUID NOT NULL,
    id UUID NOT NULL,
    cycle_id UUID NOT NULL,
    member_id UUID NOT NULL,
    product_role_id UUID,
    next_role_id UUID,
    overall_score NUMERIC(12, 4),
    weighted_mean_gap NUMERIC(12, 4),
    readiness VARCHAR(16),
    reviewer_id UUID,
    promotion_recommendation VARCHAR(16),
    potential VARCHAR(8),
    cost_currency VARCHAR(3),
    cost_amount NUMERIC,
    final_ratings JSONB NOT NULL,
    manager_ratings JSONB NOT NULL,
    self_ratings JSONB NOT NULL,
    calibrated_ratings JSONB NOT NULL,
    final_list JSON,
    gap_list JSON,
    frozen_at TIMESTAMP WITH TIME ZONE DEFAULT now() NOT NULL,
    CONSTRAINT pk_cycle_outcomes PRIMARY KEY (org_id, id),
    -- The outlook reads the weighted mean gaps of a few cycles for thousands of
    -- people: an index-only scan of the unique key, never the wide rows.
    CONSTRAINT uq_cycle_outcomes_org_id_cycle_id_member_id
        UNIQUE (org_id, cycle_id, member_id) INCLUDE (weighted_mean_gap),
    CONSTRAINT fk_cycle_outcomes_org_id_cycle_id_member_id_cycle_participants FOREIGN KEY(org_id, cycle_id, member_id) REFERENCES cycle_participants (org_id, cycle_id, member_id) ON DELETE CASCADE,
    CONSTRAINT ck_cycle_outcomes_readiness CHECK (readiness IS NULL OR readiness IN ('ready_now', 'ready_soon', 'not_ready', 'top_of_track'))
);
"""


def upgrade() -> None:
    op.execute(SCHEMA)
    protect("cycle_outcomes")


DOWNGRADE = """
DROP TABLE IF EXISTS cycle_outcomes CASCADE;
DROP INDEX ix_reviews_org_id_cycle_id_type_status;
CREATE INDEX ix_reviews_org_id_cycle_id_type_status ON reviews (org_id, cycle_id, type, status);
ALTER TABLE review_ratings
    DROP CONSTRAINT uq_review_ratings_org_id_review_id_competency_id,
    ADD CONSTRAINT uq_review_ratings_org_id_review_id_competency_id
        UNIQUE (org_id, review_id, competency_id);
"""


def downgrade() -> None:
    op.execute(DOWNGRADE)
