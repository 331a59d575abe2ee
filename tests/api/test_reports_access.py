"""Who may read reports, about what: roles, scopes, tenants and cycle states."""

from __future__ import annotations

import uuid

import pytest
from flask import Flask

from tests.support.api import ApiClient, OrgFactory, expect
from tests.support.cycles import CYCLES, new_cycle
from tests.support.report_world import METRICS, READINESS, Reviewed, build_world

REPORTS = (READINESS, METRICS)


@pytest.fixture(scope="module")
def world(app: Flask) -> Reviewed:
    return build_world(app)


@pytest.mark.parametrize("path", REPORTS)
def test_a_pm_is_refused_even_with_reports_of_their_own(world: Reviewed, path: str) -> None:
    answer = expect(world.people["A"].api.get(f"{path}?cycle_id={world.cycles['Q3']}"), 403)
    assert answer["code"] == 403


@pytest.mark.parametrize("path", REPORTS)
def test_a_head_of_product_sees_only_their_subtree(world: Reviewed, path: str) -> None:
    body = expect(world.people["H2"].api.get(f"{path}?cycle_id={world.cycles['Q3']}"), 200)
    if path == READINESS:
        assert [r["member_id"] for r in body["rows"]] == [world.people["F"].id]
    else:
        assert body["participants"] == 1


@pytest.mark.parametrize("path", REPORTS)
def test_another_organisations_ids_answer_like_random_ones(
    world: Reviewed, orgs: OrgFactory, path: str
) -> None:
    other = orgs.create()
    q3 = world.cycles["Q3"]
    foreign = expect(other.admin.api.get(f"{path}?cycle_id={q3}"), 404)
    missing = expect(other.admin.api.get(f"{path}?cycle_id={uuid.uuid4()}"), 404)
    assert foreign == missing
    other_team = expect(other.admin.api.post("/api/v1/teams", json={"name": "Core"}), 201)["id"]
    answer = expect(world.org.admin.api.get(f"{path}?cycle_id={q3}&team_id={other_team}"), 404)
    assert answer["message"] == "Team not found."


@pytest.mark.parametrize("path", REPORTS)
def test_tokens_need_the_read_scope(world: Reviewed, path: str) -> None:
    api = world.org.admin.api
    url = f"{path}?cycle_id={world.cycles['Q3']}"

    def token(scopes: list[str]) -> ApiClient:
        made = expect(api.post("/api/v1/api-tokens", json={"name": "bi", "scopes": scopes}), 201)
        return ApiClient(api.client, made["token"])

    expect(token(["read"]).get(url), 200)
    expect(token(["write"]).get(url), 403)
    expect(ApiClient(api.client, None).get(url), 401)


@pytest.mark.parametrize("path", REPORTS)
def test_a_draft_or_cancelled_cycle_has_no_report(world: Reviewed, path: str) -> None:
    api = world.org.admin.api
    draft = new_cycle(api, name="Later")
    answer = expect(api.get(f"{path}?cycle_id={draft['id']}"), 409)
    assert "draft" in answer["message"]
    expect(api.post(f"{CYCLES}/{draft['id']}/cancel"), 200)
    expect(api.get(f"{path}?cycle_id={draft['id']}", headers={"Accept": "text/csv"}), 409)


@pytest.mark.parametrize("path", REPORTS)
def test_a_cycle_a_head_of_product_may_not_see_answers_like_a_missing_one(
    world: Reviewed, path: str
) -> None:
    """Another head's draft is none of H2's business: not even that it is a draft."""
    draft = new_cycle(world.org.admin.api, name="Someone else's")
    head = world.people["H2"].api
    hidden = expect(head.get(f"{path}?cycle_id={draft['id']}"), 404)
    assert hidden == expect(head.get(f"{path}?cycle_id={uuid.uuid4()}"), 404)
    expect(world.org.admin.api.post(f"{CYCLES}/{draft['id']}/cancel"), 200)


@pytest.mark.parametrize("path", REPORTS)
def test_malformed_queries(world: Reviewed, path: str) -> None:
    api = world.org.admin.api
    assert expect(api.get(path), 422)["errors"] == {
        "cycle_id": ["Missing data for required field."]
    }
    expect(api.get(f"{path}?cycle_id=nope"), 422)


def test_errors_stay_json_when_csv_was_asked_for(world: Reviewed) -> None:
    answer = world.org.admin.api.get(
        f"{READINESS}?cycle_id={uuid.uuid4()}", headers={"Accept": "text/csv"}
    )
    assert answer.status_code == 404
    assert answer.mimetype == "application/json"
