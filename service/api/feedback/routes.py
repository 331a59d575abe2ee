"""``/me/feedback``: what released cycles say to the caller."""

from __future__ import annotations

from typing import Any

from flask.views import MethodView

from service.api.base import Blueprint, page_request, paginated
from service.api.feedback.schemas import FeedbackSchema
from service.api.operations import operation
from service.api.requests import context
from service.application.cycle_ports import RatingRecord
from service.application.feedback import FeedbackItem, WrittenReview, my_feedback
from service.domain.access import Scope
from service.domain.scoring import AnonymousFeedback

blp = Blueprint(
    "feedback",
    __name__,
    url_prefix="/api/v1",
    description="Feedback released to the caller: one item per released cycle.",
)


def _ratings(ratings: tuple[RatingRecord, ...]) -> list[dict[str, Any]]:
    return [
        {
            "competency_id": r.competency_id,
            "score": r.score,
            "comment": r.comment,
            "evidence": r.evidence,
        }
        for r in ratings
    ]


def _written(review: WrittenReview | None) -> dict[str, Any] | None:
    if review is None:
        return None
    return {"ratings": _ratings(review.ratings), "summary": review.summary}


def _anonymous(feedback: AnonymousFeedback | None) -> dict[str, Any] | None:
    if feedback is None:
        return None
    shown: dict[str, Any] = {"count": feedback.count}
    if feedback.comments is not None:  # below the threshold: the count alone
        shown["comments"] = [
            {"competency_id": c.competency_id, "text": c.text} for c in feedback.comments
        ]
    if feedback.mean_scores is not None:
        shown["ratings"] = [
            {"competency_id": m.competency_id, "mean": m.mean, "count": m.count}
            for m in feedback.mean_scores
        ]
    return shown


def present(item: FeedbackItem) -> dict[str, Any]:
    cycle = item.cycle
    return {
        "cycle_id": cycle.cycle_id,
        "cycle_name": cycle.name,
        "period_start": cycle.period_start,
        "period_end": cycle.period_end,
        "released_at": cycle.released_at,
        "final_ratings": [
            {"competency_id": competency_id, "score": score}
            for competency_id, score in item.final_ratings
        ],
        "overall_score": item.overall_score,
        "manager_review": _written(item.manager_review),
        "self_review": _written(item.self_review),
        "peer_feedback": _anonymous(item.peer_feedback),
        "upward_feedback": _anonymous(item.upward_feedback),
        "readiness": None if item.readiness is None else item.readiness.value,
        "outlook": None
        if item.outlook is None
        else {
            "trend_per_cycle": item.outlook.trend_per_cycle,
            "cycles_to_ready": item.outlook.cycles_to_ready,
        },
    }


@blp.route("/me/feedback")
class MyFeedback(MethodView):
    @operation("getMyFeedback", scope=Scope.READ, summary="Feedback released to the caller")
    @blp.response(200, FeedbackSchema(many=True))
    @blp.paginate()
    def get(self, pagination_parameters: Any) -> list[dict[str, Any]]:
        """One item per released cycle the caller took part in, latest period first: final
        ratings, overall score, the manager's ratings and summary, their own self review,
        peer feedback (a count, and the comments only from the cycle's
        `peer_anonymity_threshold` on, never attributed) and readiness for the next role.
        Managers also get `upward_feedback` from their reports, under the same threshold."""
        page = my_feedback(context(), page_request(pagination_parameters))
        return [present(item) for item in paginated(pagination_parameters, page)]
