"""Review cycles: the cycle, its launch snapshot, participants, reviews, ratings, calibrations.

Revision ID: 0002
Revises: 0001
Create Date: 2026-11-25
"""

from collections.abc import Sequence

from alembic import op

from migrations.rls import protect

revision: str = "0002"
down_revision: str | None = "0001"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

TABLES = """
CREATE TABLE review_cycles (
    org_id UUID NOT NULL,
    id UUID NOT NULL,
    name VARCHAR(200) NOT NULL,
    period_start DATE NOT NULL,
    period_end DATE NOT NULL,
    review_types VARCHAR(16)[] NOT NULL,
    self_review_due DATE,
    manager_review_due DATE,
    peer_review_due DATE,
    max_peers_per_reviewee INTEGER DEFAULT 5 NOT NULL,
    allow_self_nomination BOOLEAN DEFAULT false NOT NULL,
    team_ids UUID[],
    member_ids UUID[],
    state VARCHAR(16) DEFAULT 'draft' NOT NULL,
    created_by UUID,
    scale_min INTEGER,
    scale_max INTEGER,
    scale_labels JSONB,
    peer_anonymity_threshold INTEGER,
    ready_soon_max_gap NUMERIC(8, 4),
    ready_soon_min_mean_gap NUMERIC(8, 4),
    launched_at TIMESTAMP WITH TIME ZONE,
    calibrating_at TIMESTAMP WITH TIME ZONE,
    released_at TIMESTAMP WITH TIME ZONE,
    cancelled_at TIMESTAMP WITH TIME ZONE,
    version INTEGER DEFAULT 1 NOT NULL,
    created_at TIMESTAMP WITH TIME ZONE DEFAULT now() NOT NULL,
    CONSTRAINT pk_review_cycles PRIMARY KEY (org_id, id),
    CONSTRAINT fk_review_cycles_org_id_organisations FOREIGN KEY(org_id) REFERENCES organisations (id) ON DELETE CASCADE,
    CONSTRAINT fk_review_cycles_org_id_created_by_members FOREIGN KEY(org_id, created_by) REFERENCES members (org_id, id),
    CONSTRAINT ck_review_cycles_state CHECK (state IN ('draft', 'active', 'calibrating', 'released', 'cancelled')),
    CONSTRAINT ck_review_cycles_period CHECK (period_start <= period_end),
    CONSTRAINT ck_review_cycles_max_peers CHECK (max_peers_per_reviewee BETWEEN 0 AND 50)
);

CREATE INDEX ix_review_cycles_org_id_period_end ON review_cycles (org_id, period_end);

CREATE INDEX ix_review_cycles_org_id_state ON review_cycles (org_id, state);

CREATE TABLE cycle_competencies (
    org_id UUID NOT NULL,
    id UUID NOT NULL,
    cycle_id UUID NOT NULL,
    competency_id UUID NOT NULL,
    key VARCHAR(64) NOT NULL,
    name VARCHAR(200) NOT NULL,
    description TEXT,
    position INTEGER DEFAULT 0 NOT NULL,
    CONSTRAINT pk_cycle_competencies PRIMARY KEY (org_id, id),
    CONSTRAINT uq_cycle_competencies_org_id_cycle_id_competency_id UNIQUE (org_id, cycle_id, competency_id),
    CONSTRAINT fk_cycle_competencies_org_id_cycle_id_review_cycles FOREIGN KEY(org_id, cycle_id) REFERENCES review_cycles (org_id, id) ON DELETE CASCADE,
    CONSTRAINT fk_cycle_competencies_org_id_competency_id_competencies FOREIGN KEY(org_id, competency_id) REFERENCES competencies (org_id, id)
);

CREATE TABLE cycle_roles (
    org_id UUID NOT NULL,
    id UUID NOT NULL,
    cycle_id UUID NOT NULL,
    role_id UUID NOT NULL,
    name VARCHAR(200) NOT NULL,
    track VARCHAR(64) NOT NULL,
    level INTEGER NOT NULL,
    pay_currency VARCHAR(3),
    pay_min NUMERIC(14, 2),
    pay_max NUMERIC(14, 2),
    next_role_id UUID,
    CONSTRAINT pk_cycle_roles PRIMARY KEY (org_id, id),
    CONSTRAINT uq_cycle_roles_org_id_cycle_id_role_id UNIQUE (org_id, cycle_id, role_id),
    CONSTRAINT fk_cycle_roles_org_id_cycle_id_review_cycles FOREIGN KEY(org_id, cycle_id) REFERENCES review_cycles (org_id, id) ON DELETE CASCADE
);

CREATE TABLE cycle_expectations (
    org_id UUID NOT NULL,
    id UUID NOT NULL,
    cycle_id UUID NOT NULL,
    role_id UUID NOT NULL,
    competency_id UUID NOT NULL,
    expected_score INTEGER NOT NULL,
    weight NUMERIC(8, 4) NOT NULL,
    description TEXT,
    CONSTRAINT pk_cycle_expectations PRIMARY KEY (org_id, id),
    CONSTRAINT uq_cycle_expectations_org_id_cycle_id_role_id_competency_id UNIQUE (org_id, cycle_id, role_id, competency_id),
    CONSTRAINT fk_cycle_expectations_org_id_cycle_id_role_id_cycle_roles FOREIGN KEY(org_id, cycle_id, role_id) REFERENCES cycle_roles (org_id, cycle_id, role_id) ON DELETE CASCADE,
    CONSTRAINT fk_cycle_expectations_org_id_cycle_id_competency_id_cyc_b839 FOREIGN KEY(org_id, cycle_id, competency_id) REFERENCES cycle_competencies (org_id, cycle_id, competency_id)
);

CREATE TABLE cycle_participants (
    org_id UUID NOT NULL,
    id UUID NOT NULL,
    cycle_id UUID NOT NULL,
    member_id UUID NOT NULL,
    product_role_id UUID,
    manager_id UUID,
    calibration_note TEXT,
    calibrated_at TIMESTAMP WITH TIME ZONE,
    calibrated_by UUID,
    version INTEGER DEFAULT 1 NOT NULL,
    CONSTRAINT pk_cycle_participants PRIMARY KEY (org_id, id),
    CONSTRAINT uq_cycle_participants_org_id_cycle_id_member_id UNIQUE (org_id, cycle_id, member_id),
    CONSTRAINT fk_cycle_participants_org_id_cycle_id_review_cycles FOREIGN KEY(org_id, cycle_id) REFERENCES review_cycles (org_id, id) ON DELETE CASCADE,
    CONSTRAINT fk_cycle_participants_org_id_member_id_members FOREIGN KEY(org_id, member_id) REFERENCES members (org_id, id),
    CONSTRAINT fk_cycle_participants_org_id_manager_id_members FOREIGN KEY(org_id, manager_id) REFERENCES members (org_id, id),
    CONSTRAINT fk_cycle_participants_org_id_calibrated_by_members FOREIGN KEY(org_id, calibrated_by) REFERENCES members (org_id, id)
);

CREATE INDEX ix_cycle_participants_org_id_cycle_id_manager_id ON cycle_participants (org_id, cycle_id, manager_id);

CREATE INDEX ix_cycle_participants_org_id_member_id ON cycle_participants (org_id, member_id);

CREATE TABLE reviews (
    org_id UUID NOT NULL,
    id UUID NOT NULL,
    cycle_id UUID NOT NULL,
    reviewee_id UUID NOT NULL,
    reviewer_id UUID NOT NULL,
    type VARCHAR(16) NOT NULL,
    status VARCHAR(16) DEFAULT 'not_started' NOT NULL,
    summary TEXT,
    promotion_recommendation VARCHAR(16),
    potential VARCHAR(8),
    nominated_by UUID,
    submitted_at TIMESTAMP WITH TIME ZONE,
    version INTEGER DEFAULT 1 NOT NULL,
    created_at TIMESTAMP WITH TIME ZONE DEFAULT now() NOT NULL,
    updated_at TIMESTAMP WITH TIME ZONE DEFAULT now() NOT NULL,
    CONSTRAINT pk_reviews PRIMARY KEY (org_id, id),
    CONSTRAINT uq_reviews_org_id_cycle_id_reviewee_id_reviewer_id_type UNIQUE (org_id, cycle_id, reviewee_id, reviewer_id, type),
    CONSTRAINT fk_reviews_org_id_cycle_id_review_cycles FOREIGN KEY(org_id, cycle_id) REFERENCES review_cycles (org_id, id) ON DELETE CASCADE,
    CONSTRAINT fk_reviews_org_id_reviewee_id_members FOREIGN KEY(org_id, reviewee_id) REFERENCES members (org_id, id),
    CONSTRAINT fk_reviews_org_id_reviewer_id_members FOREIGN KEY(org_id, reviewer_id) REFERENCES members (org_id, id),
    CONSTRAINT fk_reviews_org_id_nominated_by_members FOREIGN KEY(org_id, nominated_by) REFERENCES members (org_id, id),
    CONSTRAINT ck_reviews_type CHECK (type IN ('self', 'manager', 'peer', 'upward')),
    CONSTRAINT ck_reviews_status CHECK (status IN ('not_started', 'in_progress', 'submitted')),
    CONSTRAINT ck_reviews_promotion_recommendation CHECK (promotion_recommendation IS NULL OR promotion_recommendation IN ('ready_now', 'ready_soon', 'not_ready')),
    CONSTRAINT ck_reviews_potential CHECK (potential IS NULL OR potential IN ('low', 'medium', 'high')),
    CONSTRAINT ck_reviews_not_self CHECK (type = 'self' OR reviewer_id <> reviewee_id)
);

CREATE INDEX ix_reviews_org_id_reviewer_id_cycle_id ON reviews (org_id, reviewer_id, cycle_id);

CREATE INDEX ix_reviews_org_id_reviewee_id_cycle_id ON reviews (org_id, reviewee_id, cycle_id);

CREATE INDEX ix_reviews_org_id_cycle_id_type_status ON reviews (org_id, cycle_id, type, status);

CREATE TABLE review_ratings (
    org_id UUID NOT NULL,
    id UUID NOT NULL,
    review_id UUID NOT NULL,
    competency_id UUID NOT NULL,
    score INTEGER,
    comment TEXT,
    evidence JSONB DEFAULT '[]'::jsonb NOT NULL,
    CONSTRAINT pk_review_ratings PRIMARY KEY (org_id, id),
    CONSTRAINT uq_review_ratings_org_id_review_id_competency_id UNIQUE (org_id, review_id, competency_id),
    CONSTRAINT fk_review_ratings_org_id_review_id_reviews FOREIGN KEY(org_id, review_id) REFERENCES reviews (org_id, id) ON DELETE CASCADE,
    CONSTRAINT fk_review_ratings_org_id_competency_id_competencies FOREIGN KEY(org_id, competency_id) REFERENCES competencies (org_id, id)
);

CREATE TABLE calibrations (
    org_id UUID NOT NULL,
    id UUID NOT NULL,
    cycle_id UUID NOT NULL,
    member_id UUID NOT NULL,
    competency_id UUID NOT NULL,
    score INTEGER NOT NULL,
    CONSTRAINT pk_calibrations PRIMARY KEY (org_id, id),
    CONSTRAINT uq_calibrations_org_id_cycle_id_member_id_competency_id UNIQUE (org_id, cycle_id, member_id, competency_id),
    CONSTRAINT fk_calibrations_org_id_cycle_id_member_id_cycle_participants FOREIGN KEY(org_id, cycle_id, member_id) REFERENCES cycle_participants (org_id, cycle_id, member_id) ON DELETE CASCADE,
    CONSTRAINT fk_calibrations_org_id_cycle_id_competency_id_cycle_com_8d41 FOREIGN KEY(org_id, cycle_id, competency_id) REFERENCES cycle_competencies (org_id, cycle_id, competency_id)
);
"""

CYCLE_TABLES = (
    "review_cycles",
    "cycle_competencies",
    "cycle_roles",
    "cycle_expectations",
    "cycle_participants",
    "reviews",
    "review_ratings",
    "calibrations",
)


def upgrade() -> None:
    op.execute(TABLES)
    for table in CYCLE_TABLES:
        protect(table)


def downgrade() -> None:
    for table in reversed(CYCLE_TABLES):
        op.execute(f"DROP TABLE IF EXISTS {table} CASCADE")
