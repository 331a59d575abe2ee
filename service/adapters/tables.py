"""The relational schema as SQLAlchemy Core tables.

Every tenant-owned table has ``org_id`` first in its primary key, in every
unique constraint and in every foreign key between tenant tables, so the
database itself refuses a cross-tenant reference and the schema distributes by
``org_id`` on Citus unchanged. ``migrations/`` creates exactly this schema (a
test compares them); row-level security lives only in the migrations.
"""

from __future__ import annotations

from sqlalchemy import (
    BigInteger,
    Boolean,
    CheckConstraint,
    Column,
    Computed,
    Date,
    DateTime,
    ForeignKeyConstraint,
    Identity,
    Index,
    Integer,
    MetaData,
    Numeric,
    PrimaryKeyConstraint,
    String,
    Table,
    Text,
    UniqueConstraint,
    func,
    text,
)
from sqlalchemy.dialects.postgresql import ARRAY, JSON, JSONB, UUID

from service.adapters.columns import StrEnumColumn
from service.domain.access import AccessRole
from service.domain.cycle import CycleState, ReviewType
from service.domain.member import MemberStatus
from service.domain.review import Potential, Recommendation, ReviewStatus

metadata = MetaData(
    naming_convention={
        "pk": "pk_%(table_name)s",
        "uq": "uq_%(table_name)s_%(column_0_N_name)s",
        "fk": "fk_%(table_name)s_%(column_0_N_name)s_%(referred_table_name)s",
        "ck": "ck_%(table_name)s_%(constraint_name)s",
        "ix": "ix_%(table_name)s_%(column_0_N_name)s",
    }
)


def created_at_column() -> Column[object]:
    return Column("created_at", DateTime(timezone=True), nullable=False, server_default=func.now())


organisations = Table(
    "organisations",
    metadata,
    Column("id", UUID(as_uuid=True), primary_key=True),
    Column("name", String(200), nullable=False),
    Column("slug", String(64), nullable=False, unique=True),
    Column("settings", JSONB, nullable=False),
    Column("version", Integer, nullable=False, server_default=text("1")),
    created_at_column(),
)

teams = Table(
    "teams",
    metadata,
    Column("org_id", UUID(as_uuid=True), nullable=False),
    Column("id", UUID(as_uuid=True), nullable=False),
    Column("name", String(200), nullable=False),
    Column("description", Text),
    Column("version", Integer, nullable=False, server_default=text("1")),
    created_at_column(),
    PrimaryKeyConstraint("org_id", "id"),
    ForeignKeyConstraint(["org_id"], ["organisations.id"], ondelete="CASCADE"),
)
# Names are unique in any case (migration 0016): the people CSV names teams in any case.
Index("uq_teams_org_id_name", teams.c.org_id, func.lower(teams.c.name), unique=True)

competencies = Table(
    "competencies",
    metadata,
    Column("org_id", UUID(as_uuid=True), nullable=False),
    Column("id", UUID(as_uuid=True), nullable=False),
    Column("key", String(64), nullable=False),
    Column("name", String(200), nullable=False),
    Column("description", Text),
    Column("retired", Boolean, nullable=False, server_default=text("false")),
    Column("position", Integer, nullable=False, server_default=text("0")),
    Column("version", Integer, nullable=False, server_default=text("1")),
    created_at_column(),
    PrimaryKeyConstraint("org_id", "id"),
    UniqueConstraint("org_id", "key"),
    ForeignKeyConstraint(["org_id"], ["organisations.id"], ondelete="CASCADE"),
)

product_roles = Table(
    "product_roles",
    metadata,
    Column("org_id", UUID(as_uuid=True), nullable=False),
    Column("id", UUID(as_uuid=True), nullable=False),
    Column("name", String(200), nullable=False),
    Column("track", String(64), nullable=False),
    Column("level", Integer, nullable=False),
    Column("description", Text),
    Column("pay_currency", String(3)),
    Column("pay_min", Numeric(14, 2)),
    Column("pay_max", Numeric(14, 2)),
    Column("version", Integer, nullable=False, server_default=text("1")),
    created_at_column(),
    PrimaryKeyConstraint("org_id", "id"),
    UniqueConstraint("org_id", "track", "level"),
    ForeignKeyConstraint(["org_id"], ["organisations.id"], ondelete="CASCADE"),
    CheckConstraint(
        "(pay_currency IS NULL AND pay_min IS NULL AND pay_max IS NULL)"
        " OR (pay_currency IS NOT NULL AND pay_min IS NOT NULL AND pay_max IS NOT NULL"
        " AND pay_min <= pay_max)",
        name="pay_band",
    ),
)

expectations = Table(
    "expectations",
    metadata,
    Column("org_id", UUID(as_uuid=True), nullable=False),
    Column("id", UUID(as_uuid=True), nullable=False),
    Column("role_id", UUID(as_uuid=True), nullable=False),
    Column("competency_id", UUID(as_uuid=True), nullable=False),
    Column("expected_score", Integer, nullable=False),
    Column("weight", Numeric(8, 4), nullable=False),
    Column("description", Text),
    PrimaryKeyConstraint("org_id", "id"),
    UniqueConstraint("org_id", "role_id", "competency_id"),
    ForeignKeyConstraint(
        ["org_id", "role_id"], ["product_roles.org_id", "product_roles.id"], ondelete="CASCADE"
    ),
    ForeignKeyConstraint(["org_id", "competency_id"], ["competencies.org_id", "competencies.id"]),
    CheckConstraint("weight > 0", name="weight_positive"),
)

members = Table(
    "members",
    metadata,
    Column("org_id", UUID(as_uuid=True), nullable=False),
    Column("id", UUID(as_uuid=True), nullable=False),
    Column("email", String(320), nullable=False),
    Column("name", String(200), nullable=False),
    Column("title", String(200)),
    Column("access_role", StrEnumColumn(AccessRole, 32), nullable=False),
    Column("product_role_id", UUID(as_uuid=True)),
    Column("manager_id", UUID(as_uuid=True)),
    Column("team_id", UUID(as_uuid=True)),
    Column(
        "status", StrEnumColumn(MemberStatus, 16), nullable=False, server_default=text("'active'")
    ),
    Column("password_hash", String(255)),
    Column("version", Integer, nullable=False, server_default=text("1")),
    created_at_column(),
    PrimaryKeyConstraint("org_id", "id"),
    UniqueConstraint("org_id", "email"),
    ForeignKeyConstraint(["org_id"], ["organisations.id"], ondelete="CASCADE"),
    ForeignKeyConstraint(["org_id", "manager_id"], ["members.org_id", "members.id"]),
    ForeignKeyConstraint(["org_id", "team_id"], ["teams.org_id", "teams.id"]),
    ForeignKeyConstraint(
        ["org_id", "product_role_id"], ["product_roles.org_id", "product_roles.id"]
    ),
    CheckConstraint("access_role IN ('admin', 'head_of_product', 'pm')", name="access_role"),
    CheckConstraint("status IN ('active', 'deactivated')", name="status"),
    CheckConstraint("email = lower(email)", name="email_lowercase"),
    Index("ix_members_org_id_manager_id", "org_id", "manager_id"),
    Index("ix_members_org_id_team_id", "org_id", "team_id"),
    Index("ix_members_org_id_product_role_id", "org_id", "product_role_id"),
)

api_tokens = Table(
    "api_tokens",
    metadata,
    Column("org_id", UUID(as_uuid=True), nullable=False),
    Column("id", UUID(as_uuid=True), nullable=False),
    Column("member_id", UUID(as_uuid=True), nullable=False),
    Column("name", String(200), nullable=False),
    Column("prefix", String(16), nullable=False),
    Column("token_hash", String(64), nullable=False),
    Column("scopes", ARRAY(String(16)), nullable=False),
    created_at_column(),
    Column("last_used_at", DateTime(timezone=True)),
    Column("expires_at", DateTime(timezone=True)),
    Column("revoked_at", DateTime(timezone=True)),
    PrimaryKeyConstraint("org_id", "id"),
    UniqueConstraint("org_id", "token_hash"),
    ForeignKeyConstraint(["org_id", "member_id"], ["members.org_id", "members.id"]),
    # Look-up by hash happens before the tenant is known (see auth functions).
    Index("ix_api_tokens_token_hash", "token_hash"),
)

auth_sessions = Table(
    "auth_sessions",
    metadata,
    Column("org_id", UUID(as_uuid=True), nullable=False),
    Column("id", UUID(as_uuid=True), nullable=False),
    Column("member_id", UUID(as_uuid=True), nullable=False),
    Column("token_hash", String(64), nullable=False),
    created_at_column(),
    Column("expires_at", DateTime(timezone=True), nullable=False),
    PrimaryKeyConstraint("org_id", "id"),
    UniqueConstraint("org_id", "token_hash"),
    ForeignKeyConstraint(
        ["org_id", "member_id"], ["members.org_id", "members.id"], ondelete="CASCADE"
    ),
    Index("ix_auth_sessions_token_hash", "token_hash"),
)

invitations = Table(
    "invitations",
    metadata,
    Column("org_id", UUID(as_uuid=True), nullable=False),
    Column("id", UUID(as_uuid=True), nullable=False),
    Column("member_id", UUID(as_uuid=True), nullable=False),
    Column("token_hash", String(64), nullable=False),
    created_at_column(),
    Column("expires_at", DateTime(timezone=True), nullable=False),
    Column("accepted_at", DateTime(timezone=True)),
    PrimaryKeyConstraint("org_id", "id"),
    UniqueConstraint("org_id", "token_hash"),
    ForeignKeyConstraint(
        ["org_id", "member_id"], ["members.org_id", "members.id"], ondelete="CASCADE"
    ),
    Index("ix_invitations_token_hash", "token_hash"),
)

audit_events = Table(
    "audit_events",
    metadata,
    Column("org_id", UUID(as_uuid=True), nullable=False),
    Column("id", UUID(as_uuid=True), nullable=False),
    Column("actor_id", UUID(as_uuid=True)),
    Column("entity_type", String(64), nullable=False),
    Column("entity_id", UUID(as_uuid=True), nullable=False),
    Column("action", String(64), nullable=False),
    Column("before", JSONB),
    Column("after", JSONB),
    created_at_column(),
    PrimaryKeyConstraint("org_id", "id"),
    ForeignKeyConstraint(["org_id"], ["organisations.id"], ondelete="CASCADE"),
    ForeignKeyConstraint(["org_id", "actor_id"], ["members.org_id", "members.id"]),
    Index("ix_audit_events_org_id_created_at", "org_id", "created_at"),
    Index("ix_audit_events_org_id_entity", "org_id", "entity_type", "entity_id"),
)

# Failed log-ins per identity (a hash of organisation slug and email), shared by
# every worker. Not tenant data: only the SECURITY DEFINER auth functions touch it.
login_failures = Table(
    "login_failures",
    metadata,
    Column("id", BigInteger, Identity(), primary_key=True),
    Column("identity", String(64), nullable=False),
    Column("failed_at", DateTime(timezone=True), nullable=False, server_default=func.now()),
    Index("ix_login_failures_identity_failed_at", "identity", "failed_at"),
    # Each recorded failure prunes the oldest ones past the window (migration 0011).
    Index("ix_login_failures_failed_at", "failed_at"),
)


# --- Review cycles -----------------------------------------------------------
# Launching a cycle copies the scale, thresholds, competencies, roles with their
# expectations, and each participant's role and manager into the cycle_* tables
# below, so later edits of the ladder or the people never change a past cycle.

review_cycles = Table(
    "review_cycles",
    metadata,
    Column("org_id", UUID(as_uuid=True), nullable=False),
    Column("id", UUID(as_uuid=True), nullable=False),
    Column("name", String(200), nullable=False),
    Column("period_start", Date, nullable=False),
    Column("period_end", Date, nullable=False),
    Column("review_types", ARRAY(String(16)), nullable=False),
    Column("self_review_due", Date),
    Column("manager_review_due", Date),
    Column("peer_review_due", Date),
    Column("max_peers_per_reviewee", Integer, nullable=False, server_default=text("5")),
    Column("allow_self_nomination", Boolean, nullable=False, server_default=text("false")),
    Column("team_ids", ARRAY(UUID(as_uuid=True))),
    Column("member_ids", ARRAY(UUID(as_uuid=True))),
    Column("state", StrEnumColumn(CycleState, 16), nullable=False, server_default=text("'draft'")),
    Column("created_by", UUID(as_uuid=True)),
    # Snapshotted at launch (null while draft).
    Column("scale_min", Integer),
    Column("scale_max", Integer),
    Column("scale_labels", JSONB),
    Column("peer_anonymity_threshold", Integer),
    Column("ready_soon_max_gap", Numeric(8, 4)),
    Column("ready_soon_min_mean_gap", Numeric(8, 4)),
    Column("launched_at", DateTime(timezone=True)),
    Column("calibrating_at", DateTime(timezone=True)),
    Column("released_at", DateTime(timezone=True)),
    Column("cancelled_at", DateTime(timezone=True)),
    Column("version", Integer, nullable=False, server_default=text("1")),
    created_at_column(),
    PrimaryKeyConstraint("org_id", "id"),
    ForeignKeyConstraint(["org_id"], ["organisations.id"], ondelete="CASCADE"),
    ForeignKeyConstraint(["org_id", "created_by"], ["members.org_id", "members.id"]),
    CheckConstraint(
        "state IN ('draft', 'active', 'calibrating', 'released', 'cancelled')", name="state"
    ),
    CheckConstraint("period_start <= period_end", name="period"),
    CheckConstraint("max_peers_per_reviewee BETWEEN 0 AND 50", name="max_peers"),
    Index("ix_review_cycles_org_id_state", "org_id", "state"),
    Index("ix_review_cycles_org_id_period_end", "org_id", "period_end"),
)

cycle_competencies = Table(
    "cycle_competencies",
    metadata,
    Column("org_id", UUID(as_uuid=True), nullable=False),
    Column("id", UUID(as_uuid=True), nullable=False),
    Column("cycle_id", UUID(as_uuid=True), nullable=False),
    Column("competency_id", UUID(as_uuid=True), nullable=False),
    Column("key", String(64), nullable=False),
    Column("name", String(200), nullable=False),
    Column("description", Text),
    Column("position", Integer, nullable=False, server_default=text("0")),
    PrimaryKeyConstraint("org_id", "id"),
    UniqueConstraint("org_id", "cycle_id", "competency_id"),
    ForeignKeyConstraint(
        ["org_id", "cycle_id"], ["review_cycles.org_id", "review_cycles.id"], ondelete="CASCADE"
    ),
    ForeignKeyConstraint(["org_id", "competency_id"], ["competencies.org_id", "competencies.id"]),
)

cycle_roles = Table(
    "cycle_roles",
    metadata,
    Column("org_id", UUID(as_uuid=True), nullable=False),
    Column("id", UUID(as_uuid=True), nullable=False),
    Column("cycle_id", UUID(as_uuid=True), nullable=False),
    # The ladder role as it was; no foreign key, so a role deleted later stays here.
    Column("role_id", UUID(as_uuid=True), nullable=False),
    Column("name", String(200), nullable=False),
    Column("track", String(64), nullable=False),
    Column("level", Integer, nullable=False),
    Column("pay_currency", String(3)),
    Column("pay_min", Numeric(14, 2)),
    Column("pay_max", Numeric(14, 2)),
    # Derived at launch from the snapshot: lowest higher level on the same track.
    Column("next_role_id", UUID(as_uuid=True)),
    PrimaryKeyConstraint("org_id", "id"),
    UniqueConstraint("org_id", "cycle_id", "role_id"),
    ForeignKeyConstraint(
        ["org_id", "cycle_id"], ["review_cycles.org_id", "review_cycles.id"], ondelete="CASCADE"
    ),
)

cycle_expectations = Table(
    "cycle_expectations",
    metadata,
    Column("org_id", UUID(as_uuid=True), nullable=False),
    Column("id", UUID(as_uuid=True), nullable=False),
    Column("cycle_id", UUID(as_uuid=True), nullable=False),
    Column("role_id", UUID(as_uuid=True), nullable=False),
    Column("competency_id", UUID(as_uuid=True), nullable=False),
    Column("expected_score", Integer, nullable=False),
    Column("weight", Numeric(8, 4), nullable=False),
    Column("description", Text),
    PrimaryKeyConstraint("org_id", "id"),
    UniqueConstraint("org_id", "cycle_id", "role_id", "competency_id"),
    ForeignKeyConstraint(
        ["org_id", "cycle_id", "role_id"],
        ["cycle_roles.org_id", "cycle_roles.cycle_id", "cycle_roles.role_id"],
        ondelete="CASCADE",
    ),
    ForeignKeyConstraint(
        ["org_id", "cycle_id", "competency_id"],
        [
            "cycle_competencies.org_id",
            "cycle_competencies.cycle_id",
            "cycle_competencies.competency_id",
        ],
    ),
)

cycle_participants = Table(
    "cycle_participants",
    metadata,
    Column("org_id", UUID(as_uuid=True), nullable=False),
    Column("id", UUID(as_uuid=True), nullable=False),
    Column("cycle_id", UUID(as_uuid=True), nullable=False),
    Column("member_id", UUID(as_uuid=True), nullable=False),
    # Role, manager and team as they were at launch (null while draft). The team has no
    # foreign key: a team may go once nobody is in it, and a past cycle keeps its id.
    Column("product_role_id", UUID(as_uuid=True)),
    Column("manager_id", UUID(as_uuid=True)),
    Column("team_id", UUID(as_uuid=True)),
    Column("calibration_note", Text),
    Column("calibrated_at", DateTime(timezone=True)),
    Column("calibrated_by", UUID(as_uuid=True)),
    Column("version", Integer, nullable=False, server_default=text("1")),
    PrimaryKeyConstraint("org_id", "id"),
    UniqueConstraint("org_id", "cycle_id", "member_id"),
    ForeignKeyConstraint(
        ["org_id", "cycle_id"], ["review_cycles.org_id", "review_cycles.id"], ondelete="CASCADE"
    ),
    ForeignKeyConstraint(["org_id", "member_id"], ["members.org_id", "members.id"]),
    ForeignKeyConstraint(["org_id", "manager_id"], ["members.org_id", "members.id"]),
    ForeignKeyConstraint(["org_id", "calibrated_by"], ["members.org_id", "members.id"]),
    Index("ix_cycle_participants_org_id_member_id", "org_id", "member_id"),
    Index("ix_cycle_participants_org_id_cycle_id_manager_id", "org_id", "cycle_id", "manager_id"),
    Index("ix_cycle_participants_org_id_cycle_id_team_id", "org_id", "cycle_id", "team_id"),
)

_LISTED_JSON = """'{"id":"' || id::text
    || '","cycle_id":"' || cycle_id::text
    || '","reviewee_id":"' || reviewee_id::text
    || '","type":"' || type
    || '","status":"' || status
    || '","ratings":' || ratings_json
    || ',"summary":' || COALESCE(json_string(summary), 'null')
    || ',"promotion_recommendation":' || COALESCE('"' || promotion_recommendation || '"', 'null')
    || ',"potential":' || COALESCE('"' || potential || '"', 'null')"""

_LISTED_AUTHOR_JSON = """',"reviewer_id":"' || reviewer_id::text
    || '","submitted_at":' || json_time(submitted_at)
    || ',"updated_at":' || json_time(updated_at)"""

reviews = Table(
    "reviews",
    metadata,
    Column("org_id", UUID(as_uuid=True), nullable=False),
    Column("id", UUID(as_uuid=True), nullable=False),
    Column("cycle_id", UUID(as_uuid=True), nullable=False),
    Column("reviewee_id", UUID(as_uuid=True), nullable=False),
    Column("reviewer_id", UUID(as_uuid=True), nullable=False),
    Column("type", StrEnumColumn(ReviewType, 16), nullable=False),
    Column(
        "status",
        StrEnumColumn(ReviewStatus, 16),
        nullable=False,
        server_default=text("'not_started'"),
    ),
    Column("summary", Text),
    Column("promotion_recommendation", StrEnumColumn(Recommendation, 16)),
    Column("potential", StrEnumColumn(Potential, 8)),
    Column("nominated_by", UUID(as_uuid=True)),
    Column("submitted_at", DateTime(timezone=True)),
    Column("version", Integer, nullable=False, server_default=text("1")),
    created_at_column(),
    Column("updated_at", DateTime(timezone=True), nullable=False, server_default=func.now()),
    # The review as the list answers it (migration 0006), never written by the service:
    # its ratings (JSON), kept by triggers on review_ratings; the review's object up to
    # "potential", left open; the author's part, for those who may know the author.
    Column("ratings_json", Text, nullable=False, server_default=text("'[]'")),
    Column("listed_json", Text, Computed(_LISTED_JSON, persisted=True)),
    Column("listed_author_json", Text, Computed(_LISTED_AUTHOR_JSON, persisted=True)),
    PrimaryKeyConstraint("org_id", "id"),
    # A second launch or a repeated nomination cannot duplicate an assignment.
    UniqueConstraint("org_id", "cycle_id", "reviewee_id", "reviewer_id", "type"),
    ForeignKeyConstraint(
        ["org_id", "cycle_id"], ["review_cycles.org_id", "review_cycles.id"], ondelete="CASCADE"
    ),
    ForeignKeyConstraint(["org_id", "reviewee_id"], ["members.org_id", "members.id"]),
    ForeignKeyConstraint(["org_id", "reviewer_id"], ["members.org_id", "members.id"]),
    ForeignKeyConstraint(["org_id", "nominated_by"], ["members.org_id", "members.id"]),
    CheckConstraint("type IN ('self', 'manager', 'peer', 'upward')", name="type"),
    CheckConstraint("status IN ('not_started', 'in_progress', 'submitted')", name="status"),
    CheckConstraint(
        "promotion_recommendation IS NULL"
        " OR promotion_recommendation IN ('ready_now', 'ready_soon', 'not_ready')",
        name="promotion_recommendation",
    ),
    CheckConstraint(
        "potential IS NULL OR potential IN ('low', 'medium', 'high')", name="potential"
    ),
    CheckConstraint("type = 'self' OR reviewer_id <> reviewee_id", name="not_self"),
    Index("ix_reviews_org_id_reviewer_id_cycle_id", "org_id", "reviewer_id", "cycle_id"),
    # Reviews about a person (their feedback, a manager's view of their subtree).
    Index("ix_reviews_org_id_reviewee_id_cycle_id", "org_id", "reviewee_id", "cycle_id"),
    # With the people (migration 0004): report completion counts are index-only.
    Index(
        "ix_reviews_org_id_cycle_id_type_status",
        "org_id",
        "cycle_id",
        "type",
        "status",
        postgresql_include=["reviewee_id", "reviewer_id"],
    ),
    # One manager review per person and cycle (migration 0015), whoever writes it: the
    # snapshotted manager, or the manager it was handed to when they left. Results
    # read "the manager review" of a person by this key.
    Index(
        "uq_reviews_one_manager_review",
        "org_id",
        "cycle_id",
        "reviewee_id",
        unique=True,
        postgresql_where=text("type = 'manager'"),
    ),
)

review_ratings = Table(
    "review_ratings",
    metadata,
    Column("org_id", UUID(as_uuid=True), nullable=False),
    Column("id", UUID(as_uuid=True), nullable=False),
    Column("review_id", UUID(as_uuid=True), nullable=False),
    Column("competency_id", UUID(as_uuid=True), nullable=False),
    # Null while a draft leaves it open; submitting requires every score.
    Column("score", Integer),
    Column("comment", Text),
    Column("evidence", JSONB, nullable=False, server_default=text("'[]'::jsonb")),
    PrimaryKeyConstraint("org_id", "id"),
    # With the score (migration 0004): a report's rating probes are index-only.
    UniqueConstraint("org_id", "review_id", "competency_id", postgresql_include=["score"]),
    ForeignKeyConstraint(
        ["org_id", "review_id"], ["reviews.org_id", "reviews.id"], ondelete="CASCADE"
    ),
    ForeignKeyConstraint(["org_id", "competency_id"], ["competencies.org_id", "competencies.id"]),
)

calibrations = Table(
    "calibrations",
    metadata,
    Column("org_id", UUID(as_uuid=True), nullable=False),
    Column("id", UUID(as_uuid=True), nullable=False),
    Column("cycle_id", UUID(as_uuid=True), nullable=False),
    Column("member_id", UUID(as_uuid=True), nullable=False),
    Column("competency_id", UUID(as_uuid=True), nullable=False),
    Column("score", Integer, nullable=False),
    PrimaryKeyConstraint("org_id", "id"),
    UniqueConstraint("org_id", "cycle_id", "member_id", "competency_id"),
    ForeignKeyConstraint(
        ["org_id", "cycle_id", "member_id"],
        [
            "cycle_participants.org_id",
            "cycle_participants.cycle_id",
            "cycle_participants.member_id",
        ],
        ondelete="CASCADE",
    ),
    ForeignKeyConstraint(
        ["org_id", "cycle_id", "competency_id"],
        [
            "cycle_competencies.org_id",
            "cycle_competencies.cycle_id",
            "cycle_competencies.competency_id",
        ],
    ),
)

# Idempotency-Key of authenticated POSTs: claimed before the use case runs,
# answered from here on a retry within 24 hours.
idempotency_keys = Table(
    "idempotency_keys",
    metadata,
    Column("org_id", UUID(as_uuid=True), nullable=False),
    Column("id", UUID(as_uuid=True), nullable=False),
    Column("member_id", UUID(as_uuid=True), nullable=False),
    Column("key", String(255), nullable=False),
    Column("fingerprint", String(64), nullable=False),
    Column("status_code", Integer),
    Column("response_body", Text),
    Column("response_headers", JSONB, nullable=False, server_default=text("'{}'::jsonb")),
    created_at_column(),
    PrimaryKeyConstraint("org_id", "id"),
    UniqueConstraint("org_id", "member_id", "key"),
    ForeignKeyConstraint(
        ["org_id", "member_id"], ["members.org_id", "members.id"], ondelete="CASCADE"
    ),
    Index("ix_idempotency_keys_org_id_created_at", "org_id", "created_at"),
)

# Idempotency-Key of POSTs sent without a token (migration 0009): one record per key,
# held by digest. Not tenant data: only SECURITY DEFINER functions touch it, so the
# request role never reads another caller's answer (``application.idempotency``).
public_idempotency_keys = Table(
    "public_idempotency_keys",
    metadata,
    Column("key_hash", String(64), primary_key=True),
    Column("request_hash", String(64), nullable=False),
    Column("status_code", Integer),
    Column("response_body", Text),
    Column("response_headers", JSONB, nullable=False, server_default=text("'{}'::jsonb")),
    created_at_column(),
    Index("ix_public_idempotency_keys_created_at", "created_at"),
)

# --- Reports (migration 0004) ----------------------------------------------------
# Its covering columns sit on the keys of review_ratings and reviews above (plans in
# docs/report-plans.md).

# What a released cycle gave each participant, computed once by the report SQL (a
# released cycle never changes): reports on it, its outlook and the change since it
# read one row per participant (service/adapters/reports/outcomes_sql.py).
cycle_outcomes = Table(
    "cycle_outcomes",
    metadata,
    Column("org_id", UUID(as_uuid=True), nullable=False),
    Column("id", UUID(as_uuid=True), nullable=False),
    Column("cycle_id", UUID(as_uuid=True), nullable=False),
    Column("member_id", UUID(as_uuid=True), nullable=False),
    Column("product_role_id", UUID(as_uuid=True)),
    Column("next_role_id", UUID(as_uuid=True)),
    Column("overall_score", Numeric(12, 4)),
    Column("weighted_mean_gap", Numeric(12, 4)),
    Column("readiness", String(16)),
    Column("reviewer_id", UUID(as_uuid=True)),
    Column("promotion_recommendation", String(16)),
    Column("potential", String(8)),
    Column("cost_currency", String(3)),
    Column("cost_amount", Numeric),
    # competency id -> score, as JSON objects
    Column("final_ratings", JSONB, nullable=False),
    Column("manager_ratings", JSONB, nullable=False),
    Column("self_ratings", JSONB, nullable=False),
    Column("calibrated_ratings", JSONB, nullable=False),
    # The report row's lists, as the report renders them.
    Column("final_list", JSON),
    Column("gap_list", JSON),
    Column("frozen_at", DateTime(timezone=True), nullable=False, server_default=func.now()),
    PrimaryKeyConstraint("org_id", "id"),
    # With the gap: the outlook reads earlier cycles' gaps index-only.
    UniqueConstraint("org_id", "cycle_id", "member_id", postgresql_include=["weighted_mean_gap"]),
    ForeignKeyConstraint(
        ["org_id", "cycle_id", "member_id"],
        [
            "cycle_participants.org_id",
            "cycle_participants.cycle_id",
            "cycle_participants.member_id",
        ],
        ondelete="CASCADE",
    ),
    CheckConstraint(
        "readiness IS NULL"
        " OR readiness IN ('ready_now', 'ready_soon', 'not_ready', 'top_of_track')",
        name="readiness",
    ),
)

# The webhook tables are declared in their own module, on this metadata: importing
# them here makes every user of ``metadata`` (migrations' drift test included) see them.
from service.adapters import webhook_tables as _webhook_tables  # noqa: E402, F401
