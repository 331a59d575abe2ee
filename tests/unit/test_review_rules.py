"""Review rules as plain objects: drafts, submission, evidence, nominations, anonymity."""

from __future__ import annotations

import random
import uuid
from datetime import UTC, datetime
from urllib.parse import urlsplit

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from service.domain.cycle import CycleState, ReviewType
from service.domain.errors import Conflict, Invalid
from service.domain.review import (
    RatingChange,
    Review,
    ReviewRules,
    ReviewStatus,
    check_nomination,
    evidence_problems,
)
from service.domain.scoring import RatingContent, ReviewContent, anonymous_feedback

NOW = datetime(2026, 7, 1, tzinfo=UTC)
A, B = uuid.uuid4(), uuid.uuid4()
RULES = ReviewRules(1, 5, (A, B))
ACTIVE = CycleState.ACTIVE


def review(kind: ReviewType = ReviewType.SELF) -> Review:
    person = uuid.uuid4()
    other = person if kind is ReviewType.SELF else uuid.uuid4()
    return Review(uuid.uuid4(), uuid.uuid4(), uuid.uuid4(), person, other, kind)


def test_a_draft_keeps_what_is_not_sent() -> None:
    r = review()
    r.save_draft(
        [RatingChange(A, {"score": 4, "comment": "good"})], {"summary": "s"}, RULES, ACTIVE, NOW
    )
    r.save_draft([RatingChange(A, {"comment": "better"})], {}, RULES, ACTIVE, NOW)
    rating = r.rating_for(A)
    assert rating is not None
    assert (rating.score, rating.comment, r.summary) == (4, "better", "s")
    assert r.status is ReviewStatus.IN_PROGRESS


def test_submission_needs_every_score() -> None:
    r = review()
    r.save_draft([RatingChange(A, {"score": 4})], {}, RULES, ACTIVE, NOW)
    with pytest.raises(Invalid) as missing:
        r.submit(RULES, ACTIVE, NOW)
    assert set(missing.value.errors["ratings"]) == {str(B)}
    r.save_draft([RatingChange(B, {"score": 1})], {}, RULES, ACTIVE, NOW)
    r.submit(RULES, ACTIVE, NOW)
    assert r.is_submitted
    with pytest.raises(Conflict):
        r.save_draft([], {"summary": "late"}, RULES, ACTIVE, NOW)
    r.reopen(ACTIVE, NOW)
    assert r.status is ReviewStatus.IN_PROGRESS
    assert r.submitted_at is None


@pytest.mark.parametrize("state", [s for s in CycleState if s is not CycleState.ACTIVE])
def test_nothing_is_written_outside_an_active_cycle(state: CycleState) -> None:
    r = review()
    with pytest.raises(Conflict):
        r.save_draft([RatingChange(A, {"score": 3})], {}, RULES, state, NOW)
    with pytest.raises(Conflict):
        r.submit(RULES, state, NOW)
    assert r.ratings == []
    assert r.status is ReviewStatus.NOT_STARTED


def test_only_manager_reviews_carry_recommendation_and_potential() -> None:
    with pytest.raises(Invalid):
        review(ReviewType.PEER).save_draft([], {"potential": "high"}, RULES, ACTIVE, NOW)
    manager = review(ReviewType.MANAGER)
    manager.save_draft(
        [], {"potential": "high", "promotion_recommendation": "ready_now"}, RULES, ACTIVE, NOW
    )
    assert (manager.potential, manager.promotion_recommendation) == ("high", "ready_now")


@settings(max_examples=200)
@given(
    url=st.text(max_size=60)
    | st.from_regex(r"[a-z]{2,8}://[a-z0-9.\-]{0,20}(/[a-z]*)?", fullmatch=True)
)
def test_accepted_evidence_is_always_an_absolute_http_or_https_url(url: str) -> None:
    if not evidence_problems([{"title": "t", "url": url}]):
        parts = urlsplit(url)
        assert parts.scheme.lower() in {"http", "https"}
        assert parts.netloc
        assert "@" not in parts.netloc


def test_evidence_limits() -> None:
    assert evidence_problems([{"title": "PRD", "url": "https://docs.example/prd"}]) == {}
    assert evidence_problems([{"title": "PRD", "url": "https://x.example/" + "a" * 2048}])
    assert evidence_problems([{"title": "", "url": "https://docs.example"}])
    assert evidence_problems([{"title": "x", "url": "https://d.example"}] * 11)
    # A credential in the link would be shown to the reviewee with it.
    for url in ("https://user:pass@docs.example/prd", "https://user@docs.example/"):
        assert evidence_problems([{"title": "PRD", "url": url}])


def test_nominations() -> None:
    me, p1, p2, p3 = (uuid.uuid4() for _ in range(4))
    check_nomination(me, [p1, p2], [], 2)
    for reviewers, maximum in (([], 5), ([p1, p1], 5), ([me], 5), ([p1, p2, p3], 2)):
        with pytest.raises(Invalid):
            check_nomination(me, reviewers, [], maximum)
    with pytest.raises(Conflict):
        check_nomination(me, [p1], [p1], 5)  # already nominated
    with pytest.raises(Conflict):
        check_nomination(me, [p2, p3], [p1], 2)  # over the maximum with those before


contents = st.lists(
    st.builds(
        ReviewContent,
        summary=st.one_of(st.none(), st.text(max_size=12)),
        ratings=st.lists(
            st.builds(
                RatingContent,
                competency_id=st.sampled_from([A, B]),
                score=st.one_of(st.none(), st.integers(1, 5)),
                comment=st.one_of(st.none(), st.text(max_size=12)),
            ),
            max_size=2,
        ).map(tuple),
    ),
    max_size=6,
)


@settings(max_examples=100)
@given(reviews=contents, threshold=st.integers(1, 5), seed=st.integers(0, 1000))
def test_anonymous_feedback_shows_text_only_at_the_threshold_and_in_no_telling_order(
    reviews: list[ReviewContent], threshold: int, seed: int
) -> None:
    feedback = anonymous_feedback(reviews, threshold, [A, B])
    assert feedback.count == len(reviews)
    if len(reviews) < threshold:
        assert feedback.comments is None
        assert feedback.mean_scores is None
        return
    # The same reviews in any order give exactly the same answer.
    shuffled = list(reviews)
    random.Random(seed).shuffle(shuffled)
    assert anonymous_feedback(shuffled, threshold, [A, B]) == feedback
    assert feedback.comments is not None
    texts = sorted(c.text for c in feedback.comments)
    expected = sorted(
        [r.comment.strip() for x in reviews for r in x.ratings if r.comment and r.comment.strip()]
        + [x.summary.strip() for x in reviews if x.summary and x.summary.strip()]
    )
    assert texts == expected


@pytest.mark.parametrize(
    "url",
    ["http://[::1", "https://docs.example/a b", "https://docs.example/\x00", " https://d.example"],
)
def test_evidence_refuses_malformed_urls_as_a_field_error(url: str) -> None:
    problems = evidence_problems([{"title": "PRD", "url": url}])
    assert problems == {"0": {"url": ["Use an absolute http or https URL."]}}
