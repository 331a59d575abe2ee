"""Reviews: reading, saving drafts, submitting and reopening, with ETags."""

from __future__ import annotations

import json
from datetime import datetime
from typing import Any
from uuid import UUID

from flask import Response, current_app
from flask.views import MethodView

from service.api.base import (
    Blueprint,
    if_match_version,
    operation,
    page_request,
    paginated,
    set_etag,
)
from service.api.requests import context
from service.api.reviews.schemas import (
    MyReviewQuerySchema,
    ReviewPatchSchema,
    ReviewQuerySchema,
    ReviewSchema,
)
from service.application import reviews as use_cases
from service.application.cycle_ports import ReviewFilters
from service.application.reviews import ReviewView
from service.domain.access import AccessRole, Scope
from service.domain.cycle import ReviewType
from service.domain.review import RatingChange, ReviewStatus

blp = Blueprint(
    "reviews",
    __name__,
    url_prefix="/api/v1",
    description="Reviews are blind: no reviewer sees another review of the same person "
    "before both are submitted, and the reviewee sees nothing before release. Every write "
    "carries `If-Match` with the ETag last read (none: 428, stale: 412).",
)

WRITE_ERRORS = (
    (404, "No such review for you."),
    (409, "Submitted (read-only), or the cycle is not active."),
    (412, "If-Match is stale: read the review again."),
    (428, "If-Match is missing."),
)


def present(view: ReviewView, *, plain: bool = False) -> dict[str, Any]:
    """The review as ``ReviewSchema`` documents it; ``plain``: with ids and times
    already written as marshmallow writes them (for ``json.dumps``)."""
    record = view.record
    text: Any = str if plain else _same
    shown: dict[str, Any] = {
        "id": text(record.id),
        "cycle_id": text(record.cycle_id),
        "reviewee_id": text(record.reviewee_id),
        "type": record.type.value,
        "status": record.status.value,
        "ratings": [
            {
                "competency_id": text(r.competency_id),
                "score": r.score,
                "comment": r.comment,
                "evidence": r.evidence,
            }
            for r in record.ratings
        ],
        "summary": record.summary,
        "promotion_recommendation": _value(record.promotion_recommendation),
        "potential": _value(record.potential),
        "allowed_actions": view.allowed_actions,
    }
    if view.reviewer_shown:
        # Times could hint at who wrote an anonymous review: shown with the author only.
        shown["reviewer_id"] = text(record.reviewer_id)
        shown["submitted_at"] = _iso(record.submitted_at) if plain else record.submitted_at
        shown["updated_at"] = _iso(record.updated_at) if plain else record.updated_at
    return shown


def _same(value: Any) -> Any:
    return value


def _iso(value: datetime | None) -> str | None:
    return None if value is None else value.isoformat()


def listed(views: list[ReviewView]) -> Response:
    """A page of reviews as JSON, written directly.

    The hot path of the API (a page of 100 reviews with their ratings): marshmallow
    would spend more time dumping it than the database spends finding it. ``present``
    builds exactly what ``ReviewSchema`` documents, and a test holds every listed review
    equal to the same review read one by one through the schema.
    """
    body = json.dumps([present(v, plain=True) for v in views], separators=(",", ":"))
    return current_app.response_class(body, mimetype="application/json")


def _value(enum: Any) -> str | None:
    return None if enum is None else str(enum.value)


def _with_etag(view: ReviewView) -> dict[str, Any]:
    set_etag(view.record.version)
    return present(view)


def _documented(func: Any) -> Any:
    for status, description in WRITE_ERRORS:
        func = blp.alt_response(status, description=description)(func)
    return func


@blp.route("/reviews")
class Reviews(MethodView):
    @operation("listReviews", scope=Scope.READ, summary="Reviews the caller may see")
    @blp.arguments(ReviewQuerySchema, location="query")
    @blp.response(200, ReviewSchema(many=True))
    @blp.paginate()
    def get(self, query: dict[str, Any], pagination_parameters: Any) -> Response:
        """The reviews the caller writes; their own manager review once released; and,
        once submitted (and once their own review of the same person is submitted), the
        reviews of people in their reporting subtree. Admins see every review but those
        about people they review themselves, under the same blindness."""
        filters = ReviewFilters(
            cycle_id=query.get("cycle_id"),
            reviewee_id=query.get("reviewee_id"),
            reviewer_id=query.get("reviewer_id"),
            type=ReviewType(query["type"]) if "type" in query else None,
            status=ReviewStatus(query["status"]) if "status" in query else None,
        )
        page = use_cases.list_reviews(context(), filters, page_request(pagination_parameters))
        return listed(paginated(pagination_parameters, page))


@blp.route("/me/reviews")
class MyReviews(MethodView):
    @operation("listMyReviews", scope=Scope.READ, summary="Reviews assigned to the caller")
    @blp.arguments(MyReviewQuerySchema, location="query")
    @blp.response(200, ReviewSchema(many=True))
    @blp.paginate()
    def get(self, query: dict[str, Any], pagination_parameters: Any) -> Response:
        """The reviews the caller writes (self, manager, peer and upward)."""
        status = query.get("status")
        page = use_cases.list_my_reviews(
            context(),
            query.get("cycle_id"),
            None if status is None else ReviewStatus(status),
            page_request(pagination_parameters),
        )
        return listed(paginated(pagination_parameters, page))


@blp.route("/reviews/<uuid:review_id>")
class ReviewById(MethodView):
    @operation("getReview", scope=Scope.READ, summary="One review")
    @blp.response(200, ReviewSchema)
    @blp.alt_response(404, description="No such review for you.")
    def get(self, review_id: UUID) -> dict[str, Any]:
        """Its ETag is the `If-Match` of the next write."""
        return _with_etag(use_cases.get_review(context(), review_id))

    @operation("updateReview", scope=Scope.WRITE, summary="Save a draft")
    @blp.arguments(ReviewPatchSchema)
    @blp.response(200, ReviewSchema)
    @_documented
    def patch(self, body: dict[str, Any], review_id: UUID) -> dict[str, Any]:
        """Its reviewer saves what is sent and keeps the rest: a draft may leave scores
        open. Scores must be on the cycle's scale, competencies the cycle's; only manager
        reviews carry `promotion_recommendation` and `potential`."""
        expected = if_match_version()
        ratings = [
            RatingChange(r["competency_id"], {k: v for k, v in r.items() if k != "competency_id"})
            for r in body.pop("ratings", [])
        ]
        view = use_cases.save_review(context(), review_id, ratings, body, expected)
        return _with_etag(view)


@blp.route("/reviews/<uuid:review_id>/submit")
class Submit(MethodView):
    @operation("submitReview", scope=Scope.WRITE, summary="Submit a review")
    @blp.response(200, ReviewSchema)
    @blp.alt_response(422, description="Scores missing or off the scale, per competency.")
    @_documented
    def post(self, review_id: UUID) -> dict[str, Any]:
        """Every competency of the cycle needs a score on its scale (422 lists those that
        do not); the review is read-only afterwards."""
        expected = if_match_version()
        return _with_etag(use_cases.submit_review(context(), review_id, expected))


@blp.route("/reviews/<uuid:review_id>/reopen")
class Reopen(MethodView):
    @operation(
        "reopenReview",
        scope=Scope.WRITE,
        roles=[AccessRole.ADMIN],
        summary="Reopen a submitted review",
    )
    @blp.response(200, ReviewSchema)
    @_documented
    def post(self, review_id: UUID) -> dict[str, Any]:
        """An admin makes a submitted review editable again, while the cycle is active."""
        expected = if_match_version()
        return _with_etag(use_cases.reopen_review(context(), review_id, expected))
