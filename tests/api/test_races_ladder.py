"""The ladder's rules hold when its parts change at once: every expectation on the
rating scale, none on a retired competency.

Writing a role's expectations checks them against the scale and the catalogue;
narrowing the scale checks the expectations, and retiring a competency takes it off
every role. Each reads what the other writes, so both could pass and commit together
what neither allows (write skew). All three take the organisation's ladder lock: one
waits for the other to commit, then checks against what it left. Each test holds one
request inside its transaction, just after its check (``Held``), runs the other
against it, and lets the first commit once the second is seen waiting
(``interleave``).
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

import pytest
from flask import Flask
from werkzeug.test import TestResponse

from service.application import competencies, organisations, product_roles
from tests.api.test_cycles_state_locks import Held, Interleaved, interleave
from tests.support.api import ApiClient, Org, OrgFactory, expect
from tests.support.career import ladder

ORG = "/api/v1/org"
ROLES = "/api/v1/product-roles"


@dataclass(frozen=True)
class Write:
    """A request, and the function after which it is held when it goes first (its check)."""

    request: Callable[[], TestResponse]
    owner: object
    check: str


@dataclass(frozen=True)
class Racing:
    app: Flask
    owner_url: str
    monkeypatch: pytest.MonkeyPatch

    def admin(self, org: Org) -> ApiClient:
        """A client of its own, for a request on another thread."""
        return ApiClient(self.app.test_client(), org.admin.api.token)

    def run(self, first: Write, then: Write) -> Interleaved:
        held = Held(self.monkeypatch, first.owner, first.check, lambda ctx: ctx.uow.session)
        return interleave(self.owner_url, held, first.request, then.request)


@pytest.fixture
def racing(app: Flask, owner_url: str, monkeypatch: pytest.MonkeyPatch) -> Racing:
    return Racing(app, owner_url, monkeypatch)


def _scale(high: int) -> dict[str, Any]:
    labels = [f"point {n}" for n in range(1, high + 1)]
    return {"settings": {"rating_scale": {"min": 1, "max": high, "labels": labels}}}


def _writing_expectations(
    racing: Racing, org: Org, change: Callable[[list[Any]], list[Any]]
) -> Write:
    """A write of the first product role's expectations, as ``change`` makes them."""
    role = next(r for r in ladder(org.admin.api) if r["track"] == "product" and r["level"] == 1)
    body = {"expectations": change(role["expectations"])}
    admin = racing.admin(org)
    return Write(lambda: admin.patch(f"{ROLES}/{role['id']}", json=body), product_roles, "_check")


def _on_the_scale(org: Org) -> bool:
    high = expect(org.admin.api.get(ORG), 200)["settings"]["rating_scale"]["max"]
    return all(
        e["expected_score"] <= high for r in ladder(org.admin.api) for e in r["expectations"]
    )


@pytest.mark.parametrize(
    ("order", "refusal"),
    [
        # The role write waits for the narrowing, then meets the five-point scale.
        pytest.param(
            ("scale", "role"), "Must be on the organisation's scale, 1 to 5.", id="scale-first"
        ),
        # The narrowing waits for the role write, then finds the six it expects.
        pytest.param(("role", "scale"), "expects 6 in", id="role-first"),
    ],
)
def test_the_scale_narrowed_while_an_expectation_is_raised_strands_nothing(
    orgs: OrgFactory, racing: Racing, order: tuple[str, str], refusal: str
) -> None:
    org = orgs.create()
    expect(org.admin.api.patch(ORG, json=_scale(6)), 200)
    admin = racing.admin(org)
    writes = {
        "scale": Write(
            lambda: admin.patch(ORG, json=_scale(5)), organisations, "check_scale_change"
        ),
        "role": _writing_expectations(
            racing, org, lambda found: [{**e, "expected_score": 6} for e in found]
        ),
    }

    race = racing.run(*(writes[name] for name in order))

    assert _on_the_scale(org)
    expect(race.held, 200)
    assert refusal in race.then.get_data(as_text=True)
    expect(race.then, 422)
    assert race.waited, "the second write did not wait for the first"


@pytest.mark.parametrize(
    ("order", "second_status"),
    [
        # The retirement waits for the role write, then takes the competency off it.
        pytest.param(("role", "retirement"), 200, id="role-first"),
        # The role write waits for the retirement, then finds the competency retired.
        pytest.param(("retirement", "role"), 422, id="retirement-first"),
    ],
)
def test_a_competency_retired_while_a_role_adds_it_is_expected_nowhere(
    orgs: OrgFactory, racing: Racing, order: tuple[str, str], second_status: int
) -> None:
    org = orgs.create()
    body = {"key": "data", "name": "Data fluency"}
    competency = expect(org.admin.api.post("/api/v1/competencies", json=body), 201)
    path = f"/api/v1/competencies/{competency['id']}"
    added = {"competency_id": competency["id"], "expected_score": 3, "weight": 1}
    admin = racing.admin(org)
    writes = {
        "retirement": Write(
            lambda: admin.patch(path, json={"retired": True}), competencies, "_take_off_the_ladder"
        ),
        "role": _writing_expectations(racing, org, lambda found: [*found, added]),
    }

    race = racing.run(*(writes[name] for name in order))

    expected = [e["competency_id"] for r in ladder(org.admin.api) for e in r["expectations"]]
    assert competency["id"] not in expected
    expect(race.held, 200)
    expect(race.then, second_status)
    assert expect(org.admin.api.get(path), 200)["retired"] is True
    assert race.waited, "the second write did not wait for the first"
