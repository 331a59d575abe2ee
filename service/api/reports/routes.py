"""Reports: promotion readiness and team metrics, as JSON or CSV (``Accept: text/csv``)."""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

from flask import Response, request, stream_with_context
from flask.views import MethodView

from service.api.base import Blueprint
from service.api.operations import operation
from service.api.reports import formats
from service.api.reports.schemas import (
    PromotionReadinessSchema,
    ReportQuerySchema,
    TeamMetricsSchema,
)
from service.api.requests import context
from service.application import reports as use_cases
from service.domain.access import AccessRole, Scope

blp = Blueprint(
    "reports",
    __name__,
    url_prefix="/api/v1",
    description="Promotion readiness and team metrics of a cycle, computed in SQL, as JSON or, "
    "with `Accept: text/csv`, as CSV. Admins see every participant; a head of product only "
    "the people in their reporting subtree (current reporting lines, themselves excluded), "
    "whoever else the cycle includes; PMs read their own results at `/me/feedback`. Reports "
    "exist from launch on, with what is submitted so far; a draft or cancelled cycle "
    "answers 409. Fractional numbers are rounded half up to 4 decimals.",
)

READERS = [AccessRole.ADMIN, AccessRole.HEAD_OF_PRODUCT]
CSV = "text/csv"
JSON = "application/json"

RESPONSES = {
    404: "No such cycle or team in your organisation.",
    409: "The cycle is a draft or was cancelled.",
}


def _wants_csv() -> bool:
    return request.accept_mimetypes.best_match([JSON, CSV], default=JSON) == CSV


def _stream(chunks: Iterator[str], mimetype: str, filename: str) -> Response:
    response = Response(stream_with_context(chunks), mimetype=mimetype)
    if mimetype == CSV:
        response.headers["Content-Disposition"] = f'attachment; filename="{filename}"'
    return response


def _csv(columns: str) -> Any:
    """The CSV variant of a 200 answer, documented beside the JSON one."""
    return blp.alt_response(
        200,
        schema={"type": "string", "description": columns},
        content_type=CSV,
        description="The report as JSON, or as CSV with `Accept: text/csv`.",
    )


@blp.route("/reports/promotion-readiness")
class PromotionReadiness(MethodView):
    @operation(
        "getPromotionReadiness",
        scope=Scope.READ,
        roles=READERS,
        summary="Promotion readiness of a cycle's participants",
        description=(
            "One row per participant within your visibility, ordered by name: final ratings "
            "(calibrated, else the submitted manager review's), the overall score, the gaps "
            "against the next role's expectations in the cycle's snapshot, the readiness class "
            "with the snapshotted thresholds, the manager's recommendation and whether it "
            "disagrees, the outlook over the person's released cycles, and the promotion cost "
            "of those ready now, also summed per currency. Drafts of reviews never count. "
            "When a final rating of a next-role competency is missing, `readiness` and "
            "`weighted_mean_gap` are null and that gap shows `final: null`."
        ),
    )
    @blp.arguments(ReportQuerySchema, location="query")
    @blp.response(200, PromotionReadinessSchema)
    @_csv(
        "One line per participant: "
        + ", ".join(formats.READINESS_COLUMNS)
        + ", then final.<key>, expected.<key> and gap.<key> per competency of the cycle."
    )
    @blp.alt_response(404, description=RESPONSES[404])
    @blp.alt_response(409, description=RESPONSES[409])
    def get(self, query: dict[str, Any]) -> Response:
        report = use_cases.promotion_readiness(context(), query["cycle_id"], query.get("team_id"))
        if _wants_csv():
            chunks = formats.readiness_csv(report.cycle.competencies, report.parts)
            return _stream(chunks, CSV, "promotion-readiness.csv")
        return _stream(formats.readiness_json(str(report.cycle.id), report.parts), JSON, "")


@blp.route("/reports/team-metrics")
class TeamMetrics(MethodView):
    @operation(
        "getTeamMetrics",
        scope=Scope.READ,
        roles=READERS,
        summary="Team metrics of a cycle",
        description=(
            "Over the participants within your visibility (optionally one team): completion "
            "(an upward review counts with its writer), per competency the mean, median, "
            "population standard deviation and distribution of final ratings, the overall "
            "score distribution (rounded half up to a point), readiness counts (people whose "
            "readiness cannot be computed yet are not counted), the calibration shift "
            "(`changed`: people with a calibrated rating that differs from, or stands without, "
            "the manager's), reviewer leniency (most lenient first), self-awareness, the "
            "change since the previous released cycle of the organisation (by period end; "
            "null when there is none) and the nine-box grid against the manager's potential."
        ),
    )
    @blp.arguments(ReportQuerySchema, location="query")
    @blp.response(200, TeamMetricsSchema)
    @_csv(
        "One line per metric: metric, competency_id, key, value (for example "
        "`competencies.distribution,<id>,4,12`, `reviewer_leniency.delta,,<reviewer id>,0.25`, "
        "`nine_box,,high/medium,3`)."
    )
    @blp.alt_response(404, description=RESPONSES[404])
    @blp.alt_response(409, description=RESPONSES[409])
    def get(self, query: dict[str, Any]) -> Response:
        report = use_cases.team_metrics(context(), query["cycle_id"], query.get("team_id"))
        if _wants_csv():
            return _stream(formats.team_metrics_csv(report.document), CSV, "team-metrics.csv")
        return Response(report.document, mimetype=JSON)
