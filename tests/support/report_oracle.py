"""The reports, computed in Python from a ``Dataset`` with the domain's formulas.

Property tests seed a random organisation with ``bench.seed_reports.write``, ask the
SQL for the reports, and compare with what this module derives from the same data
through ``service.domain.readiness`` and ``service.domain.metrics``.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass
from decimal import Decimal
from typing import Any
from uuid import UUID

from bench.seed_reports import Cycle, Dataset, Review, next_roles
from service.domain import metrics
from service.domain.readiness import (
    Assessment,
    Expected,
    PayBand,
    Readiness,
    Thresholds,
    assess,
    disagreement,
    final_ratings,
    outlook,
    promotion_cost,
    total_costs,
)


@dataclass(frozen=True)
class Visibility:
    """Who the caller sees: everyone, or a head of product's subtree; maybe one team."""

    subtree_of: UUID | None = None
    team_id: UUID | None = None

    def members(self, data: Dataset) -> set[UUID]:
        people = {p.id for p in data.people}
        if self.subtree_of is not None:
            below: set[UUID] = set()
            frontier = {self.subtree_of}
            while frontier:
                frontier = {
                    p.id for p in data.people if p.manager_id in frontier and p.id not in below
                }
                below |= frontier
            people = below
        if self.team_id is not None:
            people = {p.id for p in data.people if p.id in people and p.team_id == self.team_id}
        return people


def _order(data: Dataset, cycle: Cycle) -> list[UUID]:
    return [c.id for c in sorted(data.competencies_of(cycle), key=lambda c: (c.position, c.key))]


def manager_review(cycle: Cycle, member: UUID) -> Review | None:
    participant = next(p for p in cycle.participants if p.member_id == member)
    for review in cycle.reviews:
        if (
            review.type == "manager"
            and review.reviewee_id == member
            and review.reviewer_id == participant.manager_id
            and review.status == "submitted"
        ):
            return review
    return None


def self_review(cycle: Cycle, member: UUID) -> Review | None:
    for review in cycle.reviews:
        if review.type == "self" and review.reviewee_id == member and review.status == "submitted":
            return review
    return None


def _scores(review: Review | None, competencies: list[UUID]) -> dict[UUID, int]:
    if review is None:
        return {}
    return {c: s for c, s in review.ratings.items() if s is not None and c in competencies}


@dataclass(frozen=True)
class Assessed:
    member_id: UUID
    role_id: UUID | None
    next_role_id: UUID | None
    manager: dict[UUID, int]
    calibrated: dict[UUID, int]
    review: Review | None
    assessment: Assessment


def assess_cycle(data: Dataset, cycle: Cycle) -> dict[UUID, Assessed]:
    """Every participant of ``cycle``, assessed with the cycle's snapshot."""
    order = _order(data, cycle)
    roles = {r.id: r for r in data.roles_of(cycle)}
    following = next_roles(data.roles_of(cycle))
    thresholds = Thresholds(cycle.ready_soon_max_gap, cycle.ready_soon_min_mean_gap)
    found = {}
    for participant in cycle.participants:
        member = participant.member_id
        review = manager_review(cycle, member)
        manager = _scores(review, order)
        calibrated = {
            c: s for (m, c), s in cycle.calibrations.items() if m == member and c in order
        }
        finals = final_ratings(manager, calibrated)
        role = roles.get(participant.role_id) if participant.role_id else None
        current = next_role = None
        next_id = None
        if role is not None:
            current = _expectations(role.expectations, order)
            next_id = following[role.id]
            if next_id is not None:
                next_role = _expectations(roles[next_id].expectations, order)
        found[member] = Assessed(
            member,
            participant.role_id,
            next_id,
            manager,
            calibrated,
            review,
            assess(finals, current, next_role, thresholds),
        )
    return found


def _expectations(
    expectations: dict[UUID, tuple[int, Decimal]], order: list[UUID]
) -> dict[UUID, Expected]:
    return {c: Expected(*expectations[c]) for c in order if c in expectations}


def _band(data: Dataset, cycle: Cycle, role_id: UUID | None) -> PayBand | None:
    role = next((r for r in data.roles_of(cycle) if r.id == role_id), None)
    if role is None or role.band is None:
        return None
    return PayBand(*role.band)


def readiness_report(data: Dataset, cycle: Cycle, seen: Visibility) -> dict[str, Any]:
    """The promotion-readiness report: rows keyed by member id, and the cost totals."""
    visible = seen.members(data)
    here = {m: a for m, a in assess_cycle(data, cycle).items() if m in visible}
    earlier = [
        c
        for c in data.cycles
        if c.state == "released" and c.id != cycle.id and c.period_end <= cycle.period_end
    ]
    history = {c.id: assess_cycle(data, c) for c in earlier}
    keyed = sorted(
        [*earlier, cycle],
        key=lambda c: (c.period_end, c.id == cycle.id, c.period_start, str(c.id)),
    )
    rows = {}
    costs = []
    for member, assessed in here.items():
        series = [
            point
            for c in keyed
            if (point := _gap_of(history.get(c.id, {}) if c.id != cycle.id else here, member))
            is not None
        ]
        result = assessed.assessment
        cost = promotion_cost(
            result.readiness,
            _band(data, cycle, assessed.role_id),
            _band(data, cycle, assessed.next_role_id),
        )
        costs.append(cost)
        recommendation = assessed.review.recommendation if assessed.review else None
        trend = outlook(series)
        rows[str(member)] = {
            "member_id": str(member),
            "current_role_id": _str(assessed.role_id),
            "next_role_id": _str(assessed.next_role_id),
            "final_ratings": [
                {"competency_id": str(c), "score": s}
                for c, s in _ordered(result.final_ratings, _order(data, cycle))
            ],
            "overall_score": result.overall_score,
            "readiness": None if result.readiness is None else result.readiness.value,
            "gaps": [
                {
                    "competency_id": str(g.competency_id),
                    "final": g.final,
                    "expected": g.expected,
                    "gap": g.gap,
                }
                for g in result.gaps
            ],
            "weighted_mean_gap": result.weighted_mean_gap,
            "manager_recommendation": recommendation,
            "disagreement": disagreement(recommendation, result.readiness),
            "outlook": {
                "trend_per_cycle": trend.trend_per_cycle,
                "cycles_to_ready": trend.cycles_to_ready,
            },
            "promotion_cost": None
            if cost is None
            else {"currency": cost.currency, "amount": cost.amount},
        }
    totals = [
        {"currency": t.currency, "amount": t.amount, "count": t.count} for t in total_costs(costs)
    ]
    return {"rows": rows, "promotion_cost": totals}


def _gap_of(assessed: dict[UUID, Assessed], member: UUID) -> Decimal | None:
    found = assessed.get(member)
    return None if found is None else found.assessment.weighted_mean_gap


def _ordered(values: dict[UUID, int], order: list[UUID]) -> list[tuple[UUID, int]]:
    return [(c, values[c]) for c in order if c in values]


def _str(value: UUID | None) -> str | None:
    return None if value is None else str(value)


def _in_scope(review: Review, members: set[UUID]) -> bool:
    concerned = review.reviewer_id if review.type == "upward" else review.reviewee_id
    return concerned in members


def team_metrics(data: Dataset, cycle: Cycle, seen: Visibility) -> dict[str, Any]:
    """The team-metrics document, as the API shapes it."""
    visible = seen.members(data)
    order = _order(data, cycle)
    assessed = {m: a for m, a in assess_cycle(data, cycle).items() if m in visible}
    people = [
        metrics.ParticipantScores(
            member_id=m,
            reviewer_id=a.review.reviewer_id if a.review else None,
            manager=a.manager,
            calibrated=a.calibrated,
            self_ratings=_scores(self_review(cycle, m), order),
            overall_score=a.assessment.overall_score,
            readiness=a.assessment.readiness,
            potential=a.review.potential if a.review else None,
        )
        for m, a in assessed.items()
    ]
    overall, by_type = metrics.completion(
        (r.type, r.status == "submitted") for r in cycle.reviews if _in_scope(r, set(assessed))
    )
    scale = cycle.scale
    summaries = {
        c: metrics.competency_summary([p.finals[c] for p in people if c in p.finals], scale)
        for c in order
    }
    previous = _previous(data, cycle)
    change = None
    if previous is not None:
        before = [a for m, a in assess_cycle(data, previous).items() if m in visible]
        change = [
            {
                "competency_id": str(c),
                "value": metrics.change_since_previous(
                    [p.finals[c] for p in people if c in p.finals],
                    [
                        b.assessment.final_ratings[c]
                        for b in before
                        if c in b.assessment.final_ratings
                    ],
                ),
            }
            for c in order
        ]
    return {
        "participants": len(people),
        "completion": _counts(overall)
        | {"by_type": {t: _counts(counts) for t, counts in by_type.items()}},
        "competencies": [
            {
                "competency_id": str(c),
                "mean": summaries[c].mean,
                "median": summaries[c].median,
                "stddev": summaries[c].stddev,
                "distribution": summaries[c].distribution,
            }
            for c in order
        ],
        "overall_distribution": metrics.overall_distribution(
            (p.overall_score for p in people), scale
        ),
        "readiness_counts": metrics.readiness_counts(p.readiness for p in people),
        "calibration": {
            "changed": metrics.calibration_changed(people),
            "mean_shift": [
                {"competency_id": str(c), "value": metrics.mean_shift(people, c)} for c in order
            ],
        },
        "reviewer_leniency": [
            {
                "reviewer_id": str(item.reviewer_id),
                "mean_given": item.mean_given,
                "delta": item.delta,
                "count": item.count,
            }
            for item in metrics.reviewer_leniency(people)
        ],
        "self_awareness": [
            {"competency_id": str(c), "value": metrics.self_awareness(people, c)} for c in order
        ],
        "change_since_previous": change,
        "nine_box": [
            {"performance": perf, "potential": pot, "count": n}
            for perf, pot, n in metrics.nine_box(people, scale)
        ],
        "nine_box_unplaced": metrics.nine_box_unplaced(people),
    }


def _counts(counts: metrics.Counts) -> dict[str, Any]:
    return {"assigned": counts.assigned, "submitted": counts.submitted, "rate": counts.rate}


def _previous(data: Dataset, cycle: Cycle) -> Cycle | None:
    earlier = [c for c in data.cycles if c.state == "released" and c.period_end < cycle.period_end]
    if not earlier:
        return None
    return max(earlier, key=lambda c: (c.period_end, c.period_start, str(c.id)))


def readiness_classes() -> Iterable[str]:
    return (r.value for r in Readiness)
