from __future__ import annotations

from typing import Any

import marshmallow as ma
from marshmallow import validate

from service.api.base import Schema
from service.api.fields import Name, StrictBoolean, StrictInteger
from service.api.schema_forms import sometimes_absent
from service.api.spec_fields import one_of
from service.domain.cycle import MAX_PEERS_LIMIT, CycleAction, CycleState, ReviewType

REVIEW_TYPES = [t.value for t in ReviewType]
STATES = [s.value for s in CycleState]
MAX_CHOSEN = 10_000


def _review_types(required: bool) -> ma.fields.List[Any]:
    return ma.fields.List(
        ma.fields.String(validate=validate.OneOf(REVIEW_TYPES)),
        required=required,
        validate=validate.Length(min=1, max=len(REVIEW_TYPES)),
        metadata={"description": "Any of self, manager, peer and upward, each once."},
    )


def _due(what: str) -> ma.fields.Date:
    return ma.fields.Date(allow_none=True, metadata={"description": f"When {what} are due."})


class CycleScaleSchema(Schema):
    min = StrictInteger()
    max = StrictInteger()
    labels = ma.fields.List(ma.fields.String())


class CycleCompetencySchema(Schema):
    competency_id = ma.fields.UUID()
    key = ma.fields.String()
    name = ma.fields.String()
    description = ma.fields.String(allow_none=True)


class CycleSchema(Schema):
    id = ma.fields.UUID(dump_only=True)
    name = Name(required=True)
    period_start = ma.fields.Date(required=True)
    period_end = ma.fields.Date(required=True, metadata={"description": "On or after the start."})
    review_types = _review_types(required=True)
    self_review_due = _due("self reviews")
    manager_review_due = _due("manager reviews")
    peer_review_due = _due("peer (and upward) reviews")
    max_peers_per_reviewee = StrictInteger(
        load_default=5,
        validate=validate.Range(min=0, max=MAX_PEERS_LIMIT),
        metadata={"description": "Peer reviews at most per reviewee (default 5)."},
    )
    allow_self_nomination = StrictBoolean(
        load_default=False,
        metadata={"description": "Whether reviewees may nominate their own peers."},
    )
    team_ids = ma.fields.List(
        ma.fields.UUID(),
        allow_none=True,
        validate=validate.Length(max=MAX_CHOSEN),
        metadata={
            "description": "Participants: active members with a product role in these teams."
        },
    )
    member_ids = ma.fields.List(
        ma.fields.UUID(),
        allow_none=True,
        validate=validate.Length(max=MAX_CHOSEN),
        metadata=sometimes_absent(
            "Participants: exactly these active members. Absent for a caller who does"
            " not run cycles (a PM): who else was chosen is not theirs to know."
        ),
    )
    state = ma.fields.String(
        dump_only=True,
        metadata=one_of(CycleState, "draft, active, calibrating, released or cancelled"),
    )
    allowed_actions = ma.fields.List(
        ma.fields.String(metadata=one_of(CycleAction)),
        dump_only=True,
        metadata={
            "description": "What the caller may do next: update, launch, calibrate, "
            "release, cancel."
        },
    )
    participant_count = StrictInteger(dump_only=True)
    created_by = ma.fields.UUID(dump_only=True, allow_none=True)
    rating_scale = ma.fields.Nested(
        CycleScaleSchema,
        dump_only=True,
        allow_none=True,
        metadata={"description": "The scale snapshotted at launch (null while draft)."},
    )
    peer_anonymity_threshold = StrictInteger(
        dump_only=True,
        allow_none=True,
        metadata={"description": "Snapshotted at launch (null while draft)."},
    )
    competencies = ma.fields.List(
        ma.fields.Nested(CycleCompetencySchema),
        dump_only=True,
        metadata=sometimes_absent(
            "The competencies snapshotted at launch, in order "
            "(`GET /cycles/{id}` only: absent from other answers)."
        ),
    )
    launched_at = ma.fields.DateTime(dump_only=True, allow_none=True)
    calibrating_at = ma.fields.DateTime(dump_only=True, allow_none=True)
    released_at = ma.fields.DateTime(dump_only=True, allow_none=True)
    cancelled_at = ma.fields.DateTime(dump_only=True, allow_none=True)
    created_at = ma.fields.DateTime(dump_only=True)


class CyclePatchSchema(Schema):
    name = Name()
    period_start = ma.fields.Date()
    period_end = ma.fields.Date()
    review_types = _review_types(required=False)
    self_review_due = _due("self reviews")
    manager_review_due = _due("manager reviews")
    peer_review_due = _due("peer (and upward) reviews")
    max_peers_per_reviewee = StrictInteger(validate=validate.Range(min=0, max=MAX_PEERS_LIMIT))
    allow_self_nomination = StrictBoolean()
    team_ids = ma.fields.List(
        ma.fields.UUID(), allow_none=True, validate=validate.Length(max=MAX_CHOSEN)
    )
    member_ids = ma.fields.List(
        ma.fields.UUID(), allow_none=True, validate=validate.Length(max=MAX_CHOSEN)
    )


class CycleQuerySchema(Schema):
    state = ma.fields.String(validate=validate.OneOf(STATES))


class StartCalibrationSchema(Schema):
    force = StrictBoolean(
        load_default=False,
        metadata={"description": "Start even though manager reviews are still open."},
    )


class ProgressSchema(Schema):
    assigned = StrictInteger(metadata={"description": "Reviews about the participant."})
    submitted = StrictInteger()


class FinalScoreSchema(Schema):
    competency_id = ma.fields.UUID(required=True)
    score = StrictInteger(required=True)


class ParticipantSchema(Schema):
    member_id = ma.fields.UUID()
    product_role_id = ma.fields.UUID(
        allow_none=True,
        metadata={"description": "As snapshotted at launch (while draft: the current one)."},
    )
    manager_id = ma.fields.UUID(allow_none=True, metadata={"description": "As snapshotted."})
    progress = ma.fields.Nested(ProgressSchema)
    final_ratings = ma.fields.List(
        ma.fields.Nested(FinalScoreSchema),
        metadata=sometimes_absent(
            "Calibrated, else the submitted manager rating; only to "
            "admins and the head of product over the participant (absent for others)."
        ),
    )
    calibrated = StrictBoolean(
        metadata=sometimes_absent("A calibration was set; with `final_ratings` only.")
    )
    calibration_note = ma.fields.String(
        allow_none=True, metadata=sometimes_absent("With `final_ratings` only.")
    )


class ParticipantCalibrationSchema(Schema):
    ratings = ma.fields.List(
        ma.fields.Nested(FinalScoreSchema),
        required=True,
        validate=validate.Length(max=100),
        metadata={"description": "The final ratings; competencies left out lose theirs."},
    )
    note = ma.fields.String(allow_none=True, load_default=None, validate=validate.Length(max=5000))


class PeerNominationSchema(Schema):
    reviewee_id = ma.fields.UUID(required=True)
    reviewer_ids = ma.fields.List(
        ma.fields.UUID(),
        required=True,
        validate=validate.Length(min=1, max=MAX_PEERS_LIMIT),
        metadata={"description": "Active members, not the reviewee, not nominated before."},
    )
    peer_count = StrictInteger(
        dump_only=True,
        metadata={"description": "Peer reviews of the reviewee in the cycle, these included."},
    )
