"""The ladder's rules and default data, and the chart-wide loop rule, in plain Python."""

from __future__ import annotations

import uuid
from dataclasses import dataclass
from decimal import Decimal
from uuid import UUID

import pytest

from service.domain.career import (
    ExpectationSpec,
    PayBand,
    ProductRole,
    check_expectations,
    describe_chain,
    find_reporting_loops,
)
from service.domain.errors import Invalid
from service.domain.ladder import (
    DEFAULT_COMPETENCIES,
    DEFAULT_LADDER,
    default_competencies,
    default_ladder,
    next_role_ids,
)

ORG = uuid.uuid4()


@dataclass(frozen=True)
class Rung:
    id: UUID
    track: str
    level: int


def rung(track: str, level: int) -> Rung:
    return Rung(uuid.uuid4(), track, level)


def test_next_role_is_the_lowest_higher_level_on_the_same_track() -> None:
    ic1, ic3, ic7 = rung("ic", 1), rung("ic", 3), rung("ic", 7)
    m2, m5 = rung("management", 2), rung("management", 5)
    ladder = [ic7, m5, ic1, m2, ic3]
    next_role_id = next_role_ids(ladder)
    assert next_role_id[ic1.id] == ic3.id  # levels may skip
    assert next_role_id[ic3.id] == ic7.id
    assert next_role_id[ic7.id] is None  # top of its track
    assert next_role_id[m2.id] == m5.id  # never jumps track
    assert next_role_ids(ladder) == {
        ic1.id: ic3.id,
        ic3.id: ic7.id,
        ic7.id: None,
        m2.id: m5.id,
        m5.id: None,
    }


def test_the_default_framework_has_three_competencies_and_eight_rungs() -> None:
    assert [c.key for c in DEFAULT_COMPETENCIES] == ["strategy", "leadership", "execution"]
    assert all(len(c.description) > 100 for c in DEFAULT_COMPETENCIES)
    assert [r.name for r in DEFAULT_LADDER] == [
        "Associate PM",
        "Product Manager",
        "Senior PM",
        "Product Lead",
        "Head of Product",
        "Director of Product",
        "VP Product",
        "Chief Product Officer",
    ]
    assert [r.level for r in DEFAULT_LADDER] == list(range(1, 9))


def test_default_expectations_rise_with_level_and_stay_on_the_default_scale() -> None:
    competencies = default_competencies(ORG)
    roles = default_ladder(ORG, competencies)
    previous: dict[UUID, int] = {}
    previous_total = 0
    for role in roles:
        scores = {e.competency_id: e.expected_score for e in role.expectations}
        assert set(scores) == {c.id for c in competencies}
        assert all(1 <= s <= 5 for s in scores.values())
        assert all(scores[c] >= previous.get(c, 0) for c in scores)  # never falls
        assert sum(scores.values()) > previous_total  # and rises as a whole
        assert all(e.weight > 0 for e in role.expectations)
        assert sum(e.weight for e in role.expectations) == Decimal(1)
        assert all(e.description and len(e.description) > 40 for e in role.expectations)
        previous, previous_total = scores, sum(scores.values())


def test_set_expectations_updates_in_place_adds_and_removes() -> None:
    a, b, c = uuid.uuid4(), uuid.uuid4(), uuid.uuid4()
    role = ProductRole(org_id=ORG, id=uuid.uuid4(), name="PM", track="product", level=2)
    assert role.set_expectations(
        [ExpectationSpec(a, 2, Decimal("0.5")), ExpectationSpec(b, 3, Decimal(1))]
    )
    kept = next(e for e in role.expectations if e.competency_id == a)
    assert not role.set_expectations(
        [ExpectationSpec(a, 2, Decimal("0.5")), ExpectationSpec(b, 3, Decimal(1))]
    )
    assert role.set_expectations(
        [ExpectationSpec(a, 4, Decimal("0.5")), ExpectationSpec(c, 1, Decimal(2))]
    )
    assert {e.competency_id: e.expected_score for e in role.expectations} == {a: 4, c: 1}
    assert next(e for e in role.expectations if e.competency_id == a) is kept


def test_check_expectations_reports_each_problem_by_index() -> None:
    a, retired = uuid.uuid4(), uuid.uuid4()
    specs = [
        ExpectationSpec(a, 3, Decimal(1)),
        ExpectationSpec(a, 6, Decimal(0)),
        ExpectationSpec(retired, 2, Decimal(1)),
    ]
    with pytest.raises(Invalid) as caught:
        check_expectations(specs, (1, 5), [a])
    errors = caught.value.errors["expectations"]
    assert set(errors) == {"1", "2"}
    assert set(errors["1"]) == {"competency_id", "expected_score", "weight"}
    assert set(errors["2"]) == {"competency_id"}


def test_a_pay_band_needs_a_currency_code_and_min_at_most_max() -> None:
    with pytest.raises(Invalid) as caught:
        PayBand("eur", Decimal(10), Decimal(5))
    assert set(caught.value.errors["pay_band"]) == {"currency", "max"}


def test_reporting_loops_across_a_whole_chart() -> None:
    a, b, c, d, e, f = (uuid.uuid4() for _ in range(6))
    assert find_reporting_loops({a: None, b: a, c: b, d: b}) == []
    loops = find_reporting_loops({a: b, b: c, c: a, d: a, e: f, f: e})
    assert len(loops) == 2
    assert {frozenset(loop) for loop in loops} == {frozenset({a, b, c}), frozenset({e, f})}
    for loop in loops:
        assert loop[0] == loop[-1]
    assert describe_chain([a, b, a], {a: "Ann", b: "Bo"}) == "Ann → Bo → Ann"


def test_a_long_chain_is_walked_without_recursion() -> None:
    people = [uuid.uuid4() for _ in range(50_000)]
    managers: dict[UUID, UUID | None] = dict(zip(people, [None, *people[:-1]], strict=True))
    assert find_reporting_loops(managers) == []
    managers[people[0]] = people[-1]
    assert len(find_reporting_loops(managers)[0]) == 50_001
