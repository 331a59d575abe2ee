from __future__ import annotations

import marshmallow as ma

from service.api.base import Schema
from service.api.fields import StrictFloat, StrictInteger
from service.api.reports.schemas import ReadinessOutlookSchema
from service.api.reviews.schemas import ReviewRatingSchema
from service.api.schema_forms import sometimes_absent
from service.api.spec_fields import one_of
from service.domain.readiness import Readiness


class FeedbackScoreSchema(Schema):
    competency_id = ma.fields.UUID()
    score = StrictInteger()


class WrittenReviewSchema(Schema):
    ratings = ma.fields.List(ma.fields.Nested(ReviewRatingSchema))
    summary = ma.fields.String(allow_none=True)


class AnonymousCommentSchema(Schema):
    competency_id = ma.fields.UUID(
        allow_none=True, metadata={"description": "Null for a review's summary."}
    )
    text = ma.fields.String()


class MeanScoreSchema(Schema):
    competency_id = ma.fields.UUID()
    mean = StrictFloat()
    count = StrictInteger()


class AnonymousFeedbackSchema(Schema):
    count = StrictInteger(metadata={"description": "Reviews submitted."})
    comments = ma.fields.List(
        ma.fields.Nested(AnonymousCommentSchema),
        metadata=sometimes_absent(
            "Present only when `count` reaches the cycle's "
            "`peer_anonymity_threshold`; sorted by competency and text, never attributed."
        ),
    )
    ratings = ma.fields.List(
        ma.fields.Nested(MeanScoreSchema),
        metadata=sometimes_absent("Mean score per competency, under the same threshold."),
    )


class FeedbackSchema(Schema):
    cycle_id = ma.fields.UUID()
    cycle_name = ma.fields.String()
    period_start = ma.fields.Date()
    period_end = ma.fields.Date()
    released_at = ma.fields.DateTime(allow_none=True)
    final_ratings = ma.fields.List(
        ma.fields.Nested(FeedbackScoreSchema),
        metadata={"description": "Calibrated where set, else the manager's rating."},
    )
    overall_score = StrictFloat(
        allow_none=True,
        metadata={
            "description": "Weighted mean of the final ratings, with the weights of "
            "the role the cycle snapshotted."
        },
    )
    manager_review = ma.fields.Nested(WrittenReviewSchema, allow_none=True)
    self_review = ma.fields.Nested(WrittenReviewSchema, allow_none=True)
    peer_feedback = ma.fields.Nested(AnonymousFeedbackSchema)
    upward_feedback = ma.fields.Nested(
        AnonymousFeedbackSchema,
        allow_none=True,
        metadata={"description": "For managers: their reports' upward reviews, aggregated."},
    )
    readiness = ma.fields.String(
        allow_none=True,
        metadata=one_of(
            Readiness,
            "Against the next role: ready_now, ready_soon, not_ready or "
            "top_of_track (null without a role or a final rating it needs).",
        ),
    )
    outlook = ma.fields.Nested(
        ReadinessOutlookSchema,
        allow_none=True,
        metadata={
            "description": "When the person may be ready for the next role, as the "
            "promotion-readiness report on this cycle shows it (null where they only "
            "received upward reviews)."
        },
    )
