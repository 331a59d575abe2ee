"""The report shapes of PRODUCT.md, for the OpenAPI document and generated clients.

Responses are rendered by PostgreSQL and streamed (see ``routes``); these schemas
describe them and are never used to serialise.
"""

from __future__ import annotations

import marshmallow as ma

from service.api.base import Schema
from service.api.fields import StrictBoolean, StrictFloat, StrictInteger
from service.api.spec_fields import one_of
from service.domain.metrics import LEVELS
from service.domain.readiness import Readiness
from service.domain.review import Recommendation

NUMBER = "A decimal number, rounded half up to 4 places."


class ReportQuerySchema(Schema):
    cycle_id = ma.fields.UUID(required=True, metadata={"description": "The cycle reported on."})
    team_id = ma.fields.UUID(
        metadata={
            "description": "Only the participants who were in this team when the cycle "
            "launched: later moves change no past cycle."
        }
    )


class ReadinessFinalRatingSchema(Schema):
    competency_id = ma.fields.UUID()
    score = StrictInteger()


class ReadinessGapSchema(Schema):
    competency_id = ma.fields.UUID()
    final = StrictInteger(allow_none=True, metadata={"description": "null when missing."})
    expected = StrictInteger()
    gap = StrictInteger(allow_none=True, metadata={"description": "final - expected."})


class ReadinessOutlookSchema(Schema):
    trend_per_cycle = StrictFloat(
        allow_none=True,
        metadata={
            "description": "Least-squares slope of the weighted mean gaps of the person's "
            "released cycles that ended no later than this one, plus this one, ordered by "
            "period end (positions 0..n-1); null with fewer than two points. " + NUMBER
        },
    )
    cycles_to_ready = StrictInteger(
        allow_none=True,
        metadata={
            "description": "0 when the latest weighted mean gap is >= 0; ceil(-latest / trend) "
            "when it is below zero and the trend is positive; otherwise null."
        },
    )


class PromotionCostSchema(Schema):
    currency = ma.fields.String()
    amount = ma.fields.Decimal(as_string=False)


class PromotionCostTotalSchema(PromotionCostSchema):
    count = StrictInteger()


class ReadinessRowSchema(Schema):
    member_id = ma.fields.UUID()
    name = ma.fields.String(metadata={"description": "The member's current name."})
    current_role_id = ma.fields.UUID(allow_none=True, metadata={"description": "As snapshotted."})
    next_role_id = ma.fields.UUID(allow_none=True)
    final_ratings = ma.fields.List(
        ma.fields.Nested(ReadinessFinalRatingSchema),
        metadata={"description": "Calibrated rating if set, else the submitted manager review's."},
    )
    overall_score = StrictFloat(
        allow_none=True,
        metadata={
            "description": "Weighted mean of final ratings with the role's weights; null "
            "until every competency of the role has a final rating. " + NUMBER
        },
    )
    readiness = ma.fields.String(
        allow_none=True,
        metadata=one_of(
            Readiness,
            "ready_now, ready_soon, not_ready or top_of_track; null when it "
            "cannot be computed yet (a final rating of a next-role competency is missing, "
            "or the person has no role in the cycle's snapshot).",
        ),
    )
    gaps = ma.fields.List(ma.fields.Nested(ReadinessGapSchema))
    weighted_mean_gap = StrictFloat(allow_none=True, metadata={"description": NUMBER})
    manager_recommendation = ma.fields.String(
        allow_none=True,
        metadata=one_of(Recommendation, "From the submitted manager review only."),
    )
    disagreement = StrictBoolean(
        metadata={
            "description": "A recommendation was given and differs from the computed class "
            "(never for top_of_track, nor when the class cannot be computed)."
        }
    )
    outlook = ma.fields.Nested(ReadinessOutlookSchema)
    promotion_cost = ma.fields.Nested(
        PromotionCostSchema,
        allow_none=True,
        metadata={
            "description": "For ready_now with pay bands on both roles: next midpoint minus "
            "current midpoint, in the next band's currency."
        },
    )


class PromotionReadinessSchema(Schema):
    cycle_id = ma.fields.UUID()
    rows = ma.fields.List(ma.fields.Nested(ReadinessRowSchema))
    promotion_cost = ma.fields.List(
        ma.fields.Nested(PromotionCostTotalSchema), metadata={"description": "Summed per currency."}
    )


class CompletionCountsSchema(Schema):
    assigned = StrictInteger()
    submitted = StrictInteger()
    rate = StrictFloat(allow_none=True, metadata={"description": "0 to 1; null if none."})


class MetricsCompletionSchema(CompletionCountsSchema):
    by_type = ma.fields.Dict(
        keys=ma.fields.String(),
        values=ma.fields.Nested(CompletionCountsSchema),
        metadata={"description": "Keyed by review type: self, manager, peer, upward."},
    )


class MetricsCompetencySchema(Schema):
    competency_id = ma.fields.UUID()
    mean = StrictFloat(allow_none=True)
    median = StrictFloat(allow_none=True)
    stddev = StrictFloat(allow_none=True, metadata={"description": "Population."})
    distribution = ma.fields.Dict(
        keys=ma.fields.String(), values=StrictInteger(), metadata={"description": "By point."}
    )


class MetricsCompetencyValueSchema(Schema):
    competency_id = ma.fields.UUID()
    value = StrictFloat(allow_none=True)


class MetricsCalibrationSchema(Schema):
    changed = StrictInteger()
    mean_shift = ma.fields.List(ma.fields.Nested(MetricsCompetencyValueSchema))


class MetricsLeniencySchema(Schema):
    reviewer_id = ma.fields.UUID()
    mean_given = StrictFloat()
    delta = StrictFloat()
    count = StrictInteger()


class MetricsNineBoxSchema(Schema):
    performance = ma.fields.String(metadata=one_of(LEVELS))
    potential = ma.fields.String(metadata=one_of(LEVELS))
    count = StrictInteger()


class TeamMetricsSchema(Schema):
    cycle_id = ma.fields.UUID()
    participants = StrictInteger()
    completion = ma.fields.Nested(MetricsCompletionSchema)
    competencies = ma.fields.List(ma.fields.Nested(MetricsCompetencySchema))
    overall_distribution = ma.fields.Dict(keys=ma.fields.String(), values=StrictInteger())
    readiness_counts = ma.fields.Dict(keys=ma.fields.String(), values=StrictInteger())
    calibration = ma.fields.Nested(MetricsCalibrationSchema)
    reviewer_leniency = ma.fields.List(ma.fields.Nested(MetricsLeniencySchema))
    self_awareness = ma.fields.List(ma.fields.Nested(MetricsCompetencyValueSchema))
    change_since_previous = ma.fields.List(
        ma.fields.Nested(MetricsCompetencyValueSchema),
        allow_none=True,
        metadata={"description": "null when no released cycle ended before this one."},
    )
    nine_box = ma.fields.List(ma.fields.Nested(MetricsNineBoxSchema))
    nine_box_unplaced = StrictInteger(
        metadata={
            "description": "Participants in no box: without an overall score (no final "
            "rating yet) or without the manager's `potential`."
        }
    )
