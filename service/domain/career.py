"""The career framework: competencies, teams and the product-role ladder.

Also the rules of the organisation's structure that span many people (reporting
loops across a whole chart), so that an import and a single change obey the same
rule.
"""

from __future__ import annotations

import re
import uuid
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from datetime import datetime
from decimal import Decimal
from uuid import UUID

from service.domain.errors import Conflict, Invalid
from service.domain.tenancy import TenantOwned

#: Competency keys and track names: stable identifiers integrators use in code.
KEY_PATTERN = re.compile(r"^[a-z][a-z0-9_]{0,63}$")
KEY_RULE = "Use 1 to 64 lowercase letters, digits and underscores, starting with a letter."
CURRENCY_PATTERN = re.compile(r"^[A-Z]{3}$")
WEIGHT_PLACES = Decimal("0.0001")
MONEY_PLACES = Decimal("0.01")
#: The most a pay band's end can be, as kept (rounded to ``MONEY_PLACES``): 14 digits.
MAX_MONEY = Decimal("999999999999.99")


def validate_key(value: str, field_name: str) -> None:
    if not KEY_PATTERN.match(value):
        raise Invalid(f"The {field_name} is not valid.", {field_name: [KEY_RULE]})


@dataclass(eq=False)
class Team(TenantOwned):
    org_id: UUID
    id: UUID
    name: str
    description: str | None = None
    version: int = 1
    created_at: datetime | None = None


@dataclass(eq=False)
class Competency(TenantOwned):
    org_id: UUID
    id: UUID
    key: str
    name: str
    description: str | None = None
    retired: bool = False
    position: int = 0
    version: int = 1
    created_at: datetime | None = None

    def retire(self) -> None:
        """Retired competencies stay for the cycles that rated them; new ones skip them."""
        if self.retired:
            raise Conflict("The competency is already retired.")
        self.retired = True

    def reinstate(self) -> None:
        if not self.retired:
            raise Conflict("The competency is not retired.")
        self.retired = False


@dataclass(eq=False)
class Expectation(TenantOwned):
    org_id: UUID
    id: UUID
    role_id: UUID
    competency_id: UUID
    expected_score: int
    weight: Decimal
    description: str | None = None


@dataclass(frozen=True, slots=True)
class ExpectationSpec:
    """What an admin asks a role to expect of one competency."""

    competency_id: UUID
    expected_score: int
    weight: Decimal
    description: str | None = None


@dataclass(frozen=True, slots=True)
class PayBand:
    currency: str
    min: Decimal
    max: Decimal

    def __post_init__(self) -> None:
        errors: dict[str, list[str]] = {}
        if not CURRENCY_PATTERN.match(self.currency):
            errors["currency"] = ["Use an ISO 4217 code such as EUR or USD."]
        too_much = f"At most {MAX_MONEY}, once rounded to 2 decimal places."
        if self.min < 0:
            errors["min"] = ["Must be zero or more."]
        elif _over_money_limit(self.min):
            errors["min"] = [too_much]
        if _over_money_limit(self.max):
            errors["max"] = [too_much]
        elif self.max < self.min:
            errors["max"] = ["Must be at least min."]
        if errors:
            raise Invalid("The pay band is not valid.", {"pay_band": errors})

    @property
    def midpoint(self) -> Decimal:
        return (self.min + self.max) / 2


def _over_money_limit(value: Decimal) -> bool:
    """Whether ``value`` is more than ``MAX_MONEY`` as it would be kept (a huge value
    is, unrounded: rounding it would overflow the decimal context)."""
    return value > MAX_MONEY + 1 or value.quantize(MONEY_PLACES) > MAX_MONEY


@dataclass(eq=False)
class ProductRole(TenantOwned):
    org_id: UUID
    id: UUID
    name: str
    track: str
    level: int
    description: str | None = None
    pay_currency: str | None = None
    pay_min: Decimal | None = None
    pay_max: Decimal | None = None
    expectations: list[Expectation] = field(default_factory=list)
    version: int = 1
    created_at: datetime | None = None

    @property
    def pay_band(self) -> PayBand | None:
        if self.pay_currency is None or self.pay_min is None or self.pay_max is None:
            return None
        return PayBand(self.pay_currency, self.pay_min, self.pay_max)

    def set_pay_band(self, band: PayBand | None) -> None:
        self.pay_currency = band.currency if band else None
        self.pay_min = band.min.quantize(MONEY_PLACES) if band else None
        self.pay_max = band.max.quantize(MONEY_PLACES) if band else None

    def set_expectations(self, specs: Sequence[ExpectationSpec]) -> bool:
        """Replace the expectations with ``specs``; True when anything changed.

        Expectations are matched by competency and updated in place, so a
        competency's expectation keeps its identity across edits.
        """
        wanted = {spec.competency_id: spec for spec in specs}
        changed = False
        for expectation in list(self.expectations):
            spec = wanted.pop(expectation.competency_id, None)
            if spec is None:
                self.expectations.remove(expectation)
                changed = True
                continue
            weight = spec.weight.quantize(WEIGHT_PLACES)
            if (expectation.expected_score, expectation.weight, expectation.description) != (
                spec.expected_score,
                weight,
                spec.description,
            ):
                expectation.expected_score = spec.expected_score
                expectation.weight = weight
                expectation.description = spec.description
                changed = True
        for spec in specs:
            if wanted.pop(spec.competency_id, None) is not None:
                self.expectations.append(
                    Expectation(
                        org_id=self.org_id,
                        id=uuid.uuid4(),
                        role_id=self.id,
                        competency_id=spec.competency_id,
                        expected_score=spec.expected_score,
                        weight=spec.weight.quantize(WEIGHT_PLACES),
                        description=spec.description,
                    )
                )
                changed = True
        return changed

    def drop_competency(self, competency_id: UUID) -> bool:
        kept = [e for e in self.expectations if e.competency_id != competency_id]
        if len(kept) == len(self.expectations):
            return False
        self.expectations[:] = kept
        return True


def check_expectations(
    specs: Sequence[ExpectationSpec],
    scale: tuple[int, int],
    usable_competencies: Iterable[UUID],
) -> None:
    """Every expectation on the scale, of a usable competency, each competency once."""
    low, high = scale
    usable = set(usable_competencies)
    errors: dict[str, dict[str, list[str]]] = {}
    seen: set[UUID] = set()
    for index, spec in enumerate(specs):
        problems: dict[str, list[str]] = {}
        if spec.competency_id not in usable:
            problems["competency_id"] = ["No such competency, or it is retired."]
        elif spec.competency_id in seen:
            problems["competency_id"] = ["Each competency may appear only once."]
        seen.add(spec.competency_id)
        if not low <= spec.expected_score <= high:
            problems["expected_score"] = [f"Must be on the organisation's scale, {low} to {high}."]
        if spec.weight.quantize(WEIGHT_PLACES) <= 0:  # as it would be kept
            problems["weight"] = [f"Must be at least {WEIGHT_PLACES}."]
        if problems:
            errors[str(index)] = problems
    if errors:
        raise Invalid("The expectations are not valid.", {"expectations": errors})


def find_reporting_loops(managers: Mapping[UUID, UUID | None]) -> list[list[UUID]]:
    """Every loop in a whole reporting chart, each listed once.

    ``managers`` maps each person to their manager (None at the top). A loop is
    returned as the chain that closes it, starting and ending with the same
    person, e.g. ``[a, b, c, a]`` where a reports to b, b to c and c to a.
    """
    loops: list[list[UUID]] = []
    state: dict[UUID, int] = {}  # 1: on the current walk, 2: done
    for start in managers:
        if start in state:
            continue
        walk: list[UUID] = []
        current: UUID | None = start
        while current is not None and current not in state:
            state[current] = 1
            walk.append(current)
            current = managers.get(current)
        if current is not None and state[current] == 1:
            loop = walk[walk.index(current) :]
            loops.append([*loop, current])
        for person in walk:
            state[person] = 2
    return loops


def told_from(loop: Sequence[UUID], person: UUID) -> list[UUID]:
    """A loop as ``person`` on it would tell it: them, their manager, ..., them again."""
    ring = list(loop[:-1])
    start = ring.index(person)
    return [*ring[start:], *ring[: start + 1]]


def loop_closed_by(
    member_id: UUID, new_manager_id: UUID, managers: Mapping[UUID, UUID | None]
) -> list[UUID] | None:
    """The loop that ``member_id`` reporting to ``new_manager_id`` would close, told from
    the member (``[member, new manager, ..., member]``), or None.

    The import's rule applied to one change: ``find_reporting_loops`` over the chart
    after it. ``managers`` needs only the new manager's line upwards; a loop that
    does not pass through the member was there before and is not this change's.
    """
    for loop in find_reporting_loops({**managers, member_id: new_manager_id}):
        if member_id in loop:
            return told_from(loop, member_id)
    return None


def describe_chain(chain: Sequence[UUID], names: Mapping[UUID, str]) -> str:
    return " → ".join(names.get(person, str(person)) for person in chain)
