"""Maps the plain domain classes onto the tables (SQLAlchemy imperative mapping).

The domain stays free of SQLAlchemy, yet its objects are the ones the session
loads and saves: no second model to keep in step. Versioned entities use
``version_id_col``, so an UPDATE carries ``WHERE version = <read version>`` and
of two concurrent writers exactly one wins.
"""

from __future__ import annotations

from sqlalchemy.orm import registry, relationship

from service.adapters import tables, webhook_tables
from service.domain.audit import AuditEvent
from service.domain.calibration import Calibration, CycleParticipant
from service.domain.career import Competency, Expectation, ProductRole, Team
from service.domain.credentials import ApiToken, AuthSession, Invitation
from service.domain.cycle import ReviewCycle
from service.domain.idempotency import IdempotencyRecord
from service.domain.member import Member
from service.domain.organisation import Organisation
from service.domain.review import Rating, Review
from service.domain.webhooks import Webhook

mapper_registry = registry(metadata=tables.metadata)
_mapped = False


def _versioned(table: object) -> dict[str, object]:
    return {"version_id_col": table.c.version}  # type: ignore[attr-defined]


def start_mappers() -> None:
    """Idempotent: the app factory and tests both call it."""
    global _mapped
    if _mapped:
        return
    _mapped = True
    m = mapper_registry.map_imperatively
    m(Organisation, tables.organisations, **_versioned(tables.organisations))
    m(Member, tables.members, **_versioned(tables.members))
    m(Team, tables.teams, **_versioned(tables.teams))
    m(Competency, tables.competencies, **_versioned(tables.competencies))
    m(Expectation, tables.expectations)
    m(
        ProductRole,
        tables.product_roles,
        properties={
            # A role and its expectations are saved together; the expectations of a
            # page of roles load in one more query (selectin), whatever its length.
            "expectations": relationship(
                Expectation,
                cascade="all, delete-orphan",
                lazy="selectin",
                order_by=tables.expectations.c.id,
            ),
        },
        **_versioned(tables.product_roles),
    )
    m(ApiToken, tables.api_tokens)
    m(AuthSession, tables.auth_sessions)
    m(Invitation, tables.invitations)
    m(AuditEvent, tables.audit_events)
    m(IdempotencyRecord, tables.idempotency_keys)
    _map_review_cycles()


def _map_review_cycles() -> None:
    """Cycles, participants with their calibrations, reviews with their ratings.

    Children load with their parent (selectin: one more query, whatever the count)
    and are saved with it; the parent's UPDATE ... WHERE version = n runs before
    the children's writes, so a stale writer fails before touching a rating.
    """
    m = mapper_registry.map_imperatively
    m(ReviewCycle, tables.review_cycles, **_versioned(tables.review_cycles))
    m(Calibration, tables.calibrations)
    m(
        CycleParticipant,
        tables.cycle_participants,
        properties={
            "calibrations": relationship(
                Calibration,
                cascade="all, delete-orphan",
                lazy="selectin",
                order_by=tables.calibrations.c.id,
            ),
        },
        **_versioned(tables.cycle_participants),
    )
    m(Rating, tables.review_ratings)
    m(
        Review,
        tables.reviews,
        properties={
            "ratings": relationship(
                Rating,
                cascade="all, delete-orphan",
                lazy="selectin",
                order_by=tables.review_ratings.c.id,
            ),
        },
        # Written by the database for the list (migration 0006): no attribute of a review.
        exclude_properties=["ratings_json", "listed_json", "listed_author_json"],
        **_versioned(tables.reviews),
    )
    m(Webhook, webhook_tables.webhooks, **_versioned(webhook_tables.webhooks))
