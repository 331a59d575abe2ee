from __future__ import annotations

import marshmallow as ma
from marshmallow import validate

from service.api.base import Schema
from service.api.fields import StrictInteger
from service.api.schema_forms import sometimes_absent
from service.api.spec_fields import one_of
from service.domain.cycle import ReviewType
from service.domain.review import (
    MAX_EVIDENCE,
    MAX_TITLE_LENGTH,
    MAX_URL_LENGTH,
    Potential,
    Recommendation,
    ReviewAction,
    ReviewStatus,
)

TYPES = [t.value for t in ReviewType]
STATUSES = [s.value for s in ReviewStatus]
RECOMMENDATIONS = [r.value for r in Recommendation]
POTENTIALS = [p.value for p in Potential]
MAX_COMMENT = 10_000
MAX_SUMMARY = 20_000
#: Times could hint at who wrote an anonymous review.
WITH_REVIEWER = "Shown with `reviewer_id` only: absent where it is."


class EvidenceSchema(Schema):
    """The shape of a link; its rules (lengths, http/https) are the domain's, which
    answers 422 per field. The limits are documented here from the same constants."""

    title = ma.fields.String(
        required=True, metadata={"minLength": 1, "maxLength": MAX_TITLE_LENGTH}
    )
    url = ma.fields.String(
        required=True,
        metadata={
            "minLength": 1,
            "maxLength": MAX_URL_LENGTH,
            "description": "An absolute http or https URL: a PRD, a launch, a metric.",
        },
    )


class ReviewRatingSchema(Schema):
    competency_id = ma.fields.UUID(required=True)
    score = StrictInteger(
        allow_none=True, metadata={"description": "On the cycle's scale; null while a draft."}
    )
    comment = ma.fields.String(allow_none=True, validate=validate.Length(max=MAX_COMMENT))
    evidence = ma.fields.List(
        ma.fields.Nested(EvidenceSchema),
        metadata={"maxItems": MAX_EVIDENCE, "description": f"At most {MAX_EVIDENCE} links."},
    )


class ReviewExpectationSchema(Schema):
    competency_id = ma.fields.UUID(dump_only=True)
    expected_score = StrictInteger(
        dump_only=True,
        allow_none=True,
        metadata={"description": "On the cycle's scale; null where the role sets none for it."},
    )
    description = ma.fields.String(
        dump_only=True,
        allow_none=True,
        metadata={"description": "What the competency looks like at the role's level."},
    )


class ReviewSchema(Schema):
    id = ma.fields.UUID(dump_only=True)
    cycle_id = ma.fields.UUID(dump_only=True)
    reviewee_id = ma.fields.UUID(dump_only=True)
    reviewer_id = ma.fields.UUID(
        dump_only=True,
        metadata=sometimes_absent(
            "Absent where the caller may not know it: peer and upward reviews "
            "are anonymous to everyone but their author and admins."
        ),
    )
    type = ma.fields.String(
        dump_only=True, metadata=one_of(ReviewType, "self, manager, peer or upward")
    )
    status = ma.fields.String(
        dump_only=True, metadata=one_of(ReviewStatus, "not_started, in_progress or submitted")
    )
    ratings = ma.fields.List(ma.fields.Nested(ReviewRatingSchema))
    expectations = ma.fields.List(
        ma.fields.Nested(ReviewExpectationSchema),
        dump_only=True,
        allow_none=True,
        metadata=sometimes_absent(
            "What the reviewee's role expects of each competency of the cycle, in the "
            "cycle's order, as launch snapshotted the ladder and the reviewee's role (later "
            "edits of the ladder change nothing): shown beside the ratings to whoever may "
            "read the review. Null when the reviewee has no role in the snapshot: an "
            "upward review's manager who does not take part in the cycle. Only where one "
            "review is answered (`GET /reviews/{id}` "
            "and the writes): absent from lists."
        ),
    )
    summary = ma.fields.String(allow_none=True, validate=validate.Length(max=MAX_SUMMARY))
    promotion_recommendation = ma.fields.String(
        allow_none=True,
        validate=validate.OneOf(RECOMMENDATIONS),
        metadata={"description": "Manager reviews only: ready_now, ready_soon or not_ready."},
    )
    potential = ma.fields.String(
        allow_none=True,
        validate=validate.OneOf(POTENTIALS),
        metadata={"description": "Manager reviews only: low, medium or high."},
    )
    allowed_actions = ma.fields.List(
        ma.fields.String(metadata=one_of(ReviewAction)),
        dump_only=True,
        metadata={"description": "What the caller may do next: update, submit, reopen."},
    )
    submitted_at = ma.fields.DateTime(
        dump_only=True, allow_none=True, metadata=sometimes_absent(WITH_REVIEWER)
    )
    updated_at = ma.fields.DateTime(
        dump_only=True, allow_none=True, metadata=sometimes_absent(WITH_REVIEWER)
    )


class ReviewPatchSchema(Schema):
    ratings = ma.fields.List(
        ma.fields.Nested(ReviewRatingSchema),
        validate=validate.Length(max=100),
        metadata={
            "description": "Ratings to save, by competency: fields left out of an entry keep "
            "their value; competencies left out keep theirs."
        },
    )
    summary = ma.fields.String(allow_none=True, validate=validate.Length(max=MAX_SUMMARY))
    promotion_recommendation = ma.fields.String(
        allow_none=True, validate=validate.OneOf(RECOMMENDATIONS)
    )
    potential = ma.fields.String(allow_none=True, validate=validate.OneOf(POTENTIALS))


class ReviewQuerySchema(Schema):
    cycle_id = ma.fields.UUID()
    reviewee_id = ma.fields.UUID()
    reviewer_id = ma.fields.UUID()
    type = ma.fields.String(validate=validate.OneOf(TYPES))
    status = ma.fields.String(validate=validate.OneOf(STATUSES))


class MyReviewQuerySchema(Schema):
    cycle_id = ma.fields.UUID()
    status = ma.fields.String(validate=validate.OneOf(STATUSES))
