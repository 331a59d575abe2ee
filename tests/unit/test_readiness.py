"""The readiness formulas of PRODUCT.md, on hand-computed examples."""

from __future__ import annotations

import uuid
from decimal import Decimal
from fractions import Fraction

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from service.domain.readiness import (
    Cost,
    CostTotal,
    Expected,
    PayBand,
    Readiness,
    Thresholds,
    assess,
    classify,
    disagreement,
    final_ratings,
    gaps,
    outlook,
    promotion_cost,
    rounded,
    total_costs,
    weighted_mean,
)

S, L, E = uuid.uuid4(), uuid.uuid4(), uuid.uuid4()
D = Decimal


def _next(*expected: tuple[int, str]) -> dict[uuid.UUID, Expected]:
    return {k: Expected(e, D(w)) for k, (e, w) in zip((S, L, E), expected, strict=False)}


def test_a_calibrated_rating_overrides_the_managers() -> None:
    assert final_ratings({S: 3, L: 2, E: None}, {L: 4}) == {S: 3, L: 4}


def test_rounding_is_half_up_away_from_zero_like_postgres() -> None:
    assert rounded(Fraction(1, 3)) == D("0.3333")
    assert rounded(Fraction(1, 20000)) == D("0.0001")
    assert rounded(Fraction(-1, 20000)) == D("-0.0001")
    assert rounded(D("2.50005")) == D("2.5001")
    assert rounded(None) is None


def test_weighted_mean_needs_every_value() -> None:
    assert weighted_mean({S: 4, L: 2}, {S: D(3), L: D(1)}) == Fraction(14, 4)
    assert weighted_mean({S: 4}, {S: D(3), L: D(1)}) is None
    assert weighted_mean({S: 4}, {}) is None


@pytest.mark.parametrize(
    ("finals", "expected"),
    [
        ({S: 4, L: 4, E: 4}, Readiness.READY_NOW),  # every gap >= 0
        ({S: 3, L: 4, E: 4}, Readiness.READY_SOON),  # -1 >= -1, mean -0.5 >= -0.5 (a tie)
        ({S: 2, L: 4, E: 4}, Readiness.NOT_READY),  # a gap of -2
        ({S: 3, L: 3, E: 4}, Readiness.NOT_READY),  # mean -0.5 * 2 + ... below -0.5
        ({S: 3, L: 4}, None),  # a missing final rating: not computable
    ],
)
def test_classes(finals: dict[uuid.UUID, int], expected: Readiness | None) -> None:
    target = _next((4, "2"), (4, "1"), (4, "1"))
    found = assess(finals, target, target, Thresholds())
    assert found.readiness is expected


def test_the_mean_threshold_compares_exactly() -> None:
    # gaps -1, 0, 0 with weights 1, 1, 1: mean -1/3 >= -0.5 -> ready_soon; with
    # min_mean_gap -0.3333 (above -1/3), not_ready, although rounded it reads -0.3333.
    target = _next((4, "1"), (4, "1"), (4, "1"))
    listed = gaps({S: 3, L: 4, E: 4}, target)
    weights = {k: e.weight for k, e in target.items()}
    assert classify(listed, weights, Thresholds()) is Readiness.READY_SOON
    strict = Thresholds(D(1), D("-0.3333"))
    assert classify(listed, weights, strict) is Readiness.NOT_READY


def test_top_of_track_and_no_role() -> None:
    own = _next((4, "1"))
    top = assess({S: 5}, own, None, Thresholds())
    assert top.readiness is Readiness.TOP_OF_TRACK
    assert top.overall_score == D(5)
    assert assess({S: 5}, None, None, Thresholds()).readiness is None


def test_a_next_role_without_expectations_is_ready_now_with_no_mean() -> None:
    found = assess({S: 1}, _next((4, "1")), {}, Thresholds())
    assert found.readiness is Readiness.READY_NOW
    assert found.weighted_mean_gap is None


def test_gaps_list_missing_finals() -> None:
    assert [g.gap for g in gaps({S: 3}, _next((4, "1"), (2, "1")))] == [-1, None]


def test_disagreement() -> None:
    assert disagreement("ready_now", Readiness.NOT_READY)
    assert not disagreement("ready_now", Readiness.READY_NOW)
    assert not disagreement(None, Readiness.NOT_READY)
    assert not disagreement("ready_now", Readiness.TOP_OF_TRACK)
    assert not disagreement("ready_now", None)


@pytest.mark.parametrize(
    ("series", "trend", "cycles"),
    [
        ([], None, None),
        ([D("-1")], None, None),
        ([D("0.5")], None, 0),
        ([D("-1.5"), D("-1"), D("-0.5")], D("0.5"), 1),  # rising: ceil(0.5 / 0.5)
        ([D("-1"), D("-0.75")], D("0.25"), 3),  # ceil(0.75 / 0.25) = 3 exactly
        ([D("-0.5"), D("-1")], D("-0.5"), None),  # falling
        ([D("-1"), D("-1")], D(0), None),  # flat
        ([D("-1"), D(0)], D(1), 0),  # ready at the latest
    ],
)
def test_outlook(series: list[Decimal], trend: Decimal | None, cycles: int | None) -> None:
    assert outlook(series) == (outlook(series).__class__(trend, cycles))


@settings(max_examples=50, deadline=None)
@given(st.lists(st.integers(-40, 40), min_size=2, max_size=8))
def test_the_slope_is_the_least_squares_slope(values: list[int]) -> None:
    series = [Fraction(v, 10) for v in values]
    n = len(series)
    mean_x, mean_y = Fraction(n - 1, 2), sum(series) / n
    slope = sum((x - mean_x) * (y - mean_y) for x, y in enumerate(series)) / sum(
        (x - mean_x) ** 2 for x in range(n)
    )
    assert outlook(series).trend_per_cycle == rounded(slope)


def test_promotion_cost_and_totals() -> None:
    eur = PayBand("EUR", D(50000), D(60000))
    usd = PayBand("USD", D(90000), D(110001))
    assert promotion_cost(Readiness.READY_NOW, eur, usd) == Cost("USD", D("45000.5"))
    assert promotion_cost(Readiness.READY_SOON, eur, usd) is None
    assert promotion_cost(Readiness.READY_NOW, None, usd) is None
    totals = total_costs([Cost("USD", D(1)), None, Cost("EUR", D(2)), Cost("USD", D(3))])
    assert totals == [CostTotal("EUR", D(2), 1), CostTotal("USD", D(4), 2)]
