"""Reviews: reading, saving drafts, submitting and reopening, with ETags."""

from __future__ import annotations

import json
from functools import lru_cache
from typing import Any
from uuid import UUID

from flask import Response, current_app
from flask.views import MethodView

from service.api.base import Blueprint, page_request
from service.api.operations import operation
from service.api.requests import context
from service.api.reviews.schemas import (
    MyReviewQuerySchema,
    ReviewPatchSchema,
    ReviewQuerySchema,
    ReviewSchema,
)
from service.api.versions import if_match_version, set_etag
from service.application import reviews as use_cases
from service.application.cycle_ports import ReviewFilters
from service.application.reviews import ListingRules, ReviewListing, ReviewView
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


def present(view: ReviewView) -> dict[str, Any]:
    """The review as ``ReviewSchema`` documents it."""
    record = view.record
    shown: dict[str, Any] = {
        "id": record.id,
        "cycle_id": record.cycle_id,
        "reviewee_id": record.reviewee_id,
        "type": record.type.value,
        "status": record.status.value,
        "ratings": [
            {
                "competency_id": r.competency_id,
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
        # One review only: lists (``listed``) leave it out.
        "expectations": None
        if view.expectations is None
        else [
            {
                "competency_id": e.competency_id,
                "expected_score": e.expected_score,
                "description": e.description,
            }
            for e in view.expectations
        ],
    }
    if view.reviewer_shown:
        # Times could hint at who wrote an anonymous review: shown with the author only.
        shown["reviewer_id"] = record.reviewer_id
        shown["submitted_at"] = record.submitted_at
        shown["updated_at"] = record.updated_at
    return shown


def listed(pagination_parameters: Any, listing: ReviewListing) -> Response:
    """A page of reviews as JSON, spliced from what PostgreSQL wrote.

    The hot path of the API (a page of 100 reviews with their ratings): building and
    dumping dictionaries would cost several times what the database spends. Each row
    brings its review as JSON text; only what the viewer's terms decide is added here.
    A test holds every listed review equal to the same review read alone through
    ``ReviewSchema``, after every kind of write.
    """
    pagination_parameters.item_count = listing.reviews.total
    endings = _endings(listing.rules)
    parts = ["["]
    for row in listing.reviews.rows:
        shown, ending = endings[row[:4]]  # the kind: authored, type, status, cycle state
        parts.append(row[4])
        if shown:
            parts.append(row[5])
        parts.append(ending)
    parts[-1] = parts[-1].removesuffix(",") + "]"
    return current_app.response_class("".join(parts), mimetype="application/json")


#: A listed row's kind, as the database writes it: enumerations' values.
_Kind = tuple[bool, str, str, str]


@lru_cache(maxsize=256)
def _endings(rules: ListingRules) -> dict[_Kind, tuple[bool, str]]:
    """Per kind of review (its members are ``str`` enumerations, found by their values):
    whether its author's part is shown, and the end of its object, ``allowed_actions``
    and the comma before the next one (taken off the last)."""
    return {
        kind: (
            terms.reviewer_shown,
            ',"allowed_actions":' + json.dumps(list(terms.allowed_actions)) + "},",
        )
        for kind, terms in rules.terms.items()
    }


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
        return listed(pagination_parameters, page)


@blp.route("/me/reviews")
class MyReviews(MethodView):
    @operation("listMyReviews", scope=Scope.READ, summary="Reviews assigned to the caller")
    @blp.arguments(MyReviewQuerySchema, location="query")
    @blp.response(200, ReviewSchema(many=True))
    @blp.paginate()
    def get(self, query: dict[str, Any], pagination_parameters: Any) -> Response:
        """The reviews the caller writes (self, manager, peer and upward), but for those of
        cancelled cycles, which nobody writes any more (`GET /reviews` still lists them,
        with no actions)."""
        status = query.get("status")
        page = use_cases.list_my_reviews(
            context(),
            query.get("cycle_id"),
            None if status is None else ReviewStatus(status),
            page_request(pagination_parameters),
        )
        return listed(pagination_parameters, page)


@blp.route("/reviews/<uuid:review_id>")
class ReviewById(MethodView):
    @operation("getReview", scope=Scope.READ, summary="One review")
    @blp.response(200, ReviewSchema)
    @blp.alt_response(404, description="No such review for you.")
    @blp.answers_with_etag
    def get(self, review_id: UUID) -> dict[str, Any]:
        """Its ETag is the `If-Match` of the next write."""
        return _with_etag(use_cases.get_review(context(), review_id))

    @operation("updateReview", scope=Scope.WRITE, summary="Save a draft")
    @blp.arguments(ReviewPatchSchema)
    @blp.response(200, ReviewSchema)
    @_documented
    @blp.takes_if_match(required=True)
    @blp.answers_with_etag
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
    @blp.takes_if_match(required=True)
    @blp.answers_with_etag
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
    @blp.takes_if_match(required=True)
    @blp.answers_with_etag
    def post(self, review_id: UUID) -> dict[str, Any]:
        """An admin makes a submitted review editable again, while the cycle is active."""
        expected = if_match_version()
        return _with_etag(use_cases.reopen_review(context(), review_id, expected))
