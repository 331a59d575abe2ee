"""Team-metric formulas on hand-computed examples."""

from __future__ import annotations

import uuid
from decimal import Decimal

from service.domain import metrics
from service.domain.metrics import ParticipantScores
from service.domain.readiness import Readiness

S, L = uuid.uuid4(), uuid.uuid4()
D = Decimal
A, B = uuid.UUID(int=1), uuid.UUID(int=2)


def test_completion_counts_and_rates() -> None:
    overall, by_type = metrics.completion(
        [("self", True), ("self", False), ("manager", True), ("peer", True)]
    )
    assert (overall.assigned, overall.submitted, overall.rate) == (4, 3, D("0.75"))
    assert by_type["self"].rate == D("0.5")
    assert by_type["upward"].assigned == 0
    assert by_type["upward"].rate is None


def test_competency_summary_with_ties_and_population_stddev() -> None:
    summary = metrics.competency_summary([2, 4, 4, 5], (1, 5))
    assert summary.mean == D("3.75")
    assert summary.median == D("4")
    assert summary.stddev == D("1.0897")  # sqrt(1.1875)
    assert summary.distribution == {"1": 0, "2": 1, "3": 0, "4": 2, "5": 1}
    empty = metrics.competency_summary([], (1, 3))
    assert empty.mean is None
    assert empty.distribution == {"1": 0, "2": 0, "3": 0}


def test_overall_scores_round_half_up_to_a_point() -> None:
    scores = [D("2.5"), D("2.4999"), D("4.5"), None, D("-1.5")]
    assert metrics.overall_distribution(scores, (1, 5)) == {"1": 0, "2": 1, "3": 1, "4": 0, "5": 1}
    assert metrics.nearest_point(D("-1.5")) == -1


def test_calibration_shift_and_self_awareness() -> None:
    people = [
        ParticipantScores(A, manager={S: 3, L: 4}, calibrated={S: 4}, self_ratings={S: 5}),
        ParticipantScores(B, manager={S: 2}, calibrated={L: 3}, self_ratings={S: 2, L: 1}),
        ParticipantScores(uuid.uuid4(), manager={S: 3}, calibrated={S: 3}),
    ]
    assert metrics.calibration_changed(people) == 2  # B: a calibration where none was given
    assert metrics.mean_shift(people, S) == D("0.3333")  # (1 + 0 + 0) / 3
    assert metrics.mean_shift(people, L) == D("0")  # only A has a manager rating for L
    assert metrics.self_awareness(people, S) == D("0.5")  # (5 - 4 + 2 - 2) / 2
    assert metrics.self_awareness(people, L) == D("-2")


def test_reviewer_leniency_most_lenient_first() -> None:
    people = [
        ParticipantScores(uuid.uuid4(), reviewer_id=A, manager={S: 5, L: 4}),
        ParticipantScores(uuid.uuid4(), reviewer_id=B, manager={S: 2, L: 3}),
        ParticipantScores(uuid.uuid4(), reviewer_id=B, manager={S: 3}),
    ]
    found = metrics.reviewer_leniency(people)  # all: 17 / 5 = 3.4
    assert [(x.reviewer_id, x.mean_given, x.delta, x.count) for x in found] == [
        (A, D("4.5"), D("1.1"), 2),
        (B, D("2.6667"), D("-0.7333"), 3),
    ]


def test_change_since_previous() -> None:
    assert metrics.change_since_previous([3, 4], [2, 2, 3]) == D("1.1667")
    assert metrics.change_since_previous([3], []) is None


def test_nine_box_has_every_box() -> None:
    people = [
        ParticipantScores(A, overall_score=D("2.3333"), potential="high"),  # < 1 + 4/3: low
        ParticipantScores(B, overall_score=D("2.3334"), potential="high"),  # medium
        ParticipantScores(uuid.uuid4(), overall_score=D("3.6667"), potential="low"),  # high
        ParticipantScores(uuid.uuid4(), overall_score=D(5), potential=None),  # left out
    ]
    boxes = metrics.nine_box(people, (1, 5))
    assert len(boxes) == 9
    assert ("low", "high", 1) in boxes
    assert ("medium", "high", 1) in boxes
    assert ("high", "low", 1) in boxes
    assert sum(n for *_, n in boxes) == 3


def test_readiness_counts_leave_out_the_unknown() -> None:
    counts = metrics.readiness_counts([Readiness.READY_NOW, None, Readiness.READY_NOW])
    assert counts == {"ready_now": 2, "ready_soon": 0, "not_ready": 0, "top_of_track": 0}
