"""Promotion readiness: final ratings, overall score, gaps, class, outlook and cost.

The formulas of PRODUCT.md ("Results and reports"), once, in plain Python.
Production computes these numbers in SQL (``service/adapters/reports``); these
functions are the specification the property tests hold that SQL to.
``/me/feedback`` applies them directly, to the inputs the SQL reads.

Arithmetic is exact (``Fraction``) and every fractional number a report shows
is rounded half up to ``PLACES`` decimals (``rounded``), as the SQL does with
``round(x, 4)``. Decisions where PRODUCT.md is silent:

- Only *submitted* manager reviews count; drafts never become final ratings.
- Readiness needs a final rating for every competency of the next role. When one
  is missing, the readiness (and the weighted mean gap) cannot be computed and is
  ``None``; the gaps still list that competency with ``final``/``gap`` ``None``.
  The same holds for the overall score and the role's own competencies.
- A participant without a role in the cycle's snapshot has no readiness (``None``).
- A next role without expectations leaves nothing to fall short of: ``ready_now``
  (every gap, of none, is ``>= 0``), with no weighted mean gap.
- The classification compares exact sums (``sum(w * gap) >= min_mean_gap * sum(w)``),
  never a rounded mean, so a mean gap of exactly the threshold is ``ready_soon``.
- The outlook series holds the rounded weighted mean gaps (what the report
  shows); its slope is exact, and ``cycles_to_ready`` is the exact ceiling.
"""

from __future__ import annotations

import math
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass
from decimal import Decimal
from enum import StrEnum
from fractions import Fraction
from uuid import UUID

from service.domain.career import PayBand

Number = int | Decimal | Fraction

PLACES = 4


class Readiness(StrEnum):
    READY_NOW = "ready_now"
    READY_SOON = "ready_soon"
    NOT_READY = "not_ready"
    TOP_OF_TRACK = "top_of_track"


@dataclass(frozen=True, slots=True)
class Thresholds:
    """The organisation's readiness thresholds, as snapshotted in the cycle."""

    ready_soon_max_gap: Decimal = Decimal(1)
    ready_soon_min_mean_gap: Decimal = Decimal("-0.5")


@dataclass(frozen=True, slots=True)
class Expected:
    """A role's expectation for one competency."""

    expected_score: int
    weight: Decimal


@dataclass(frozen=True, slots=True)
class Gap:
    competency_id: UUID
    final: int | None
    expected: int
    gap: int | None


@dataclass(frozen=True, slots=True)
class Cost:
    currency: str
    amount: Decimal


@dataclass(frozen=True, slots=True)
class CostTotal:
    currency: str
    amount: Decimal
    count: int


@dataclass(frozen=True, slots=True)
class Outlook:
    trend_per_cycle: Decimal | None
    cycles_to_ready: int | None


@dataclass(frozen=True, slots=True)
class Assessment:
    """Everything the readiness report shows about one participant in one cycle."""

    final_ratings: dict[UUID, int]
    overall_score: Decimal | None
    gaps: list[Gap]
    weighted_mean_gap: Decimal | None
    readiness: Readiness | None


def rounded(value: Number | None) -> Decimal | None:
    """Half up (away from zero) to ``PLACES`` decimals, exactly, like PostgreSQL's ``round``."""
    if value is None:
        return None
    scaled = Fraction(value) * 10**PLACES
    magnitude = math.floor(abs(scaled) + Fraction(1, 2))
    return Decimal(magnitude if scaled >= 0 else -magnitude).scaleb(-PLACES)


def final_ratings(
    manager: Mapping[UUID, int | None], calibrated: Mapping[UUID, int | None]
) -> dict[UUID, int]:
    """The calibrated rating where one was set, else the (submitted) manager review's."""
    finals: dict[UUID, int] = {k: v for k, v in manager.items() if v is not None}
    finals.update({k: v for k, v in calibrated.items() if v is not None})
    return finals


def weighted_mean(
    values: Mapping[UUID, Number | None], weights: Mapping[UUID, Number]
) -> Fraction | None:
    """The exact weighted mean over the keys of ``weights``; None if any value is missing."""
    if not weights:
        return None
    total = Fraction(0)
    weight_sum = Fraction(0)
    for key, weight in weights.items():
        value = values.get(key)
        if value is None:
            return None
        total += Fraction(weight) * Fraction(value)
        weight_sum += Fraction(weight)
    return total / weight_sum


def overall_score(
    finals: Mapping[UUID, int], expectations: Mapping[UUID, Expected] | None
) -> Fraction | None:
    """Weighted mean of final ratings with the participant's own role's weights."""
    if not expectations:
        return None
    return weighted_mean(finals, {k: e.weight for k, e in expectations.items()})


def gaps(finals: Mapping[UUID, int], next_expectations: Mapping[UUID, Expected]) -> list[Gap]:
    """``final - expected`` per competency of the next role, in the mapping's order."""
    result = []
    for key, expected in next_expectations.items():
        final = finals.get(key)
        gap = None if final is None else final - expected.expected_score
        result.append(Gap(key, final, expected.expected_score, gap))
    return result


def weighted_mean_gap(gap_list: Sequence[Gap], weights: Mapping[UUID, Number]) -> Fraction | None:
    return weighted_mean({g.competency_id: g.gap for g in gap_list}, weights)


def classify(
    gap_list: Sequence[Gap],
    weights: Mapping[UUID, Number],
    thresholds: Thresholds,
    *,
    has_next_role: bool = True,
) -> Readiness | None:
    """The readiness class, or None when a final rating of the next role is missing."""
    if not has_next_role:
        return Readiness.TOP_OF_TRACK
    values = [g.gap for g in gap_list]
    if any(v is None for v in values):
        return None
    known = [v for v in values if v is not None]
    if all(v >= 0 for v in known):
        return Readiness.READY_NOW
    total = sum((Fraction(weights[g.competency_id]) * (g.gap or 0) for g in gap_list), Fraction(0))
    weight_sum = sum((Fraction(weights[g.competency_id]) for g in gap_list), Fraction(0))
    if (
        min(known) >= -Fraction(thresholds.ready_soon_max_gap)
        and total >= Fraction(thresholds.ready_soon_min_mean_gap) * weight_sum
    ):
        return Readiness.READY_SOON
    return Readiness.NOT_READY


def assess(
    finals: Mapping[UUID, int],
    current: Mapping[UUID, Expected] | None,
    next_role: Mapping[UUID, Expected] | None,
    thresholds: Thresholds,
) -> Assessment:
    """Overall score, gaps, weighted mean gap and class of one participant.

    ``current`` is None when the participant has no role in the snapshot;
    ``next_role`` is None at the top of the track.
    """
    overall = overall_score(finals, current)
    if current is None:
        return Assessment(dict(finals), None, [], None, None)
    if next_role is None:
        return Assessment(dict(finals), rounded(overall), [], None, Readiness.TOP_OF_TRACK)
    gap_list = gaps(finals, next_role)
    weights = {k: e.weight for k, e in next_role.items()}
    return Assessment(
        dict(finals),
        rounded(overall),
        gap_list,
        rounded(weighted_mean_gap(gap_list, weights)),
        classify(gap_list, weights, thresholds),
    )


def disagreement(recommendation: str | None, readiness: Readiness | None) -> bool:
    """A recommendation was given and differs from the computed class."""
    if recommendation is None or readiness is None or readiness is Readiness.TOP_OF_TRACK:
        return False
    return recommendation != readiness.value


def outlook(series: Sequence[Number]) -> Outlook:
    """Trend (least-squares slope over positions 0..n-1) and cycles until ready.

    ``series`` holds the weighted mean gaps of the released cycles (and the
    report's own), oldest first, as the report shows them.
    """
    points = [Fraction(y) for y in series]
    n = len(points)
    slope: Fraction | None = None
    if n >= 2:
        # Closed form with x = 0..n-1: sum((x - mean_x)^2) = n(n^2 - 1)/12.
        sxy = sum((Fraction(x) * y for x, y in enumerate(points)), Fraction(0))
        sy = sum(points, Fraction(0))
        slope = (12 * sxy - 6 * (n - 1) * sy) / (n * (n * n - 1))
    cycles: int | None = None
    if points:
        latest = points[-1]
        if latest >= 0:
            cycles = 0
        elif slope is not None and slope > 0:
            cycles = math.ceil(-latest / slope)
    return Outlook(rounded(slope), cycles)


def promotion_cost(
    readiness: Readiness | None, current: PayBand | None, next_band: PayBand | None
) -> Cost | None:
    """Next band's midpoint minus the current one's, in the next band's currency."""
    if readiness is not Readiness.READY_NOW or current is None or next_band is None:
        return None
    return Cost(next_band.currency, next_band.midpoint - current.midpoint)


def total_costs(costs: Iterable[Cost | None]) -> list[CostTotal]:
    """Summed per currency, ordered by currency."""
    totals: dict[str, tuple[Decimal, int]] = {}
    for cost in costs:
        if cost is None:
            continue
        amount, count = totals.get(cost.currency, (Decimal(0), 0))
        totals[cost.currency] = (amount + cost.amount, count + 1)
    return [CostTotal(c, a, n) for c, (a, n) in sorted(totals.items())]
