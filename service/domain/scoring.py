"""What a person receives from a released cycle besides their final ratings.

Final ratings, the overall score and readiness are the formulas of
``service.domain.readiness``; this module holds the anonymity rule for peer and
upward reviews: below the cycle's ``peer_anonymity_threshold`` only a count,
at or above it the comments (and, for upward reviews, mean scores), never
attributed and in an order that says nothing about who wrote what.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from decimal import Decimal
from fractions import Fraction
from uuid import UUID

from service.domain.cycle import in_competency_order
from service.domain.readiness import rounded


@dataclass(frozen=True, slots=True)
class RatingContent:
    competency_id: UUID
    score: int | None
    comment: str | None


@dataclass(frozen=True, slots=True)
class ReviewContent:
    """The content of one submitted review, with nothing that names its author."""

    summary: str | None
    ratings: tuple[RatingContent, ...]


@dataclass(frozen=True, slots=True)
class AnonymousComment:
    #: None for a review's summary.
    competency_id: UUID | None
    text: str


@dataclass(frozen=True, slots=True)
class MeanScore:
    competency_id: UUID
    mean: Decimal
    count: int


@dataclass(frozen=True, slots=True)
class AnonymousFeedback:
    count: int
    #: None below the threshold: the caller then shows only the count.
    comments: list[AnonymousComment] | None
    mean_scores: list[MeanScore] | None


def anonymous_feedback(
    reviews: Sequence[ReviewContent], threshold: int, competency_order: Sequence[UUID]
) -> AnonymousFeedback:
    """Pooled comments of submitted reviews, shown only at or above ``threshold``.

    Comments are sorted by competency (in the cycle's order, summaries last) and
    then by their text, so their order carries nothing of the reviews they came from.
    """
    count = len(reviews)
    if count < max(threshold, 1):
        return AnonymousFeedback(count, None, None)
    position = {competency_id: index for index, competency_id in enumerate(competency_order)}
    last = len(position)
    comments: list[AnonymousComment] = []
    scores: dict[UUID, list[int]] = {}
    for review in reviews:
        for rating in review.ratings:
            if rating.comment and rating.comment.strip():
                comments.append(AnonymousComment(rating.competency_id, rating.comment.strip()))
            if rating.score is not None:
                scores.setdefault(rating.competency_id, []).append(rating.score)
        if review.summary and review.summary.strip():
            comments.append(AnonymousComment(None, review.summary.strip()))
    comments.sort(
        key=lambda c: (
            last if c.competency_id is None else position.get(c.competency_id, last - 1),
            c.text,
        )
    )
    means = [
        MeanScore(competency_id, _mean(values), len(values))
        for competency_id, values in in_competency_order(
            scores.items(), competency_order, lambda kv: kv[0]
        )
    ]
    return AnonymousFeedback(count, comments, means)


def _mean(values: Sequence[int]) -> Decimal:
    result = rounded(Fraction(sum(values), len(values)))
    assert result is not None
    return result
