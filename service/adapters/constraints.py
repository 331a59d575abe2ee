"""Constraint violations as the caller should read them: a 409 with a reason.

Every write path translates through ``conflict_from``: the unit of work's flush and
the bulk statements that bypass it (the CSV import's Core writes).
"""

from __future__ import annotations

from sqlalchemy.exc import IntegrityError

from service.domain.errors import Conflict

CONSTRAINT_MESSAGES = {
    "uq_organisations_slug": "An organisation with this slug already exists.",
    "uq_members_org_id_email": "A member with this email already exists.",
    "uq_teams_org_id_name": "A team with this name already exists.",
    "uq_competencies_org_id_key": "A competency with this key already exists.",
    "uq_idempotency_keys_org_id_member_id_key": (
        "A request with this Idempotency-Key is still being processed."
    ),
    "uq_product_roles_org_id_track_level": "A role with this level already exists on the track.",
    "uq_reviews_org_id_cycle_id_reviewee_id_reviewer_id_type": (
        "This review is already assigned in the cycle."
    ),
    "uq_cycle_participants_org_id_cycle_id_member_id": "This person already takes part.",
    "uq_cycle_competencies_org_id_cycle_id_competency_id": "The cycle is already launched.",
    "uq_cycle_roles_org_id_cycle_id_role_id": "The cycle is already launched.",
}


def conflict_from(error: IntegrityError) -> Conflict:
    """A constraint violation as the caller should read it (409)."""
    diag = getattr(error.orig, "diag", None)
    name = getattr(diag, "constraint_name", None) or ""
    if name in CONSTRAINT_MESSAGES:
        return Conflict(CONSTRAINT_MESSAGES[name])
    if name.startswith("fk_"):
        return Conflict("It is still in use, or refers to something that does not exist.")
    return Conflict("The change conflicts with the current state.")
