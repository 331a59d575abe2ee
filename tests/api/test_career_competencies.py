"""The competency catalogue through the HTTP API."""

from __future__ import annotations

import uuid

import pytest

from tests.support.api import OrgFactory, api_token, audit_events, expect
from tests.support.career import competencies, ladder


def test_a_new_organisation_starts_with_three_competencies_worth_reading(
    orgs: OrgFactory,
) -> None:
    org = orgs.create()
    found = expect(org.admin.api.get("/api/v1/competencies"), 200)
    assert [c["key"] for c in found] == ["strategy", "leadership", "execution"]
    for competency in found:
        assert competency["name"]
        assert len(competency["description"]) > 100
        assert competency["retired"] is False


def test_admins_add_change_and_read_competencies(orgs: OrgFactory) -> None:
    org = orgs.create()
    api = org.admin.api
    answer = api.post(
        "/api/v1/competencies",
        json={"key": "customer_insight", "name": "Customer insight", "description": "Knows them."},
    )
    created = expect(answer, 201)
    assert answer.headers["ETag"] == '"v1"'
    assert created["position"] == 3  # after the defaults
    path = f"/api/v1/competencies/{created['id']}"
    assert expect(api.get(path), 200) == created

    changed = expect(
        api.patch(path, json={"name": "Customer empathy"}, headers={"If-Match": '"v1"'}), 200
    )
    assert changed["name"] == "Customer empathy"
    stale = api.patch(path, json={"name": "Again"}, headers={"If-Match": '"v1"'})
    assert expect(stale, 412)["code"] == 412

    events = audit_events(org, entity_type="competency", entity_id=created["id"])
    assert [e["action"] for e in events] == ["updated", "created"]
    assert events[0]["before"]["name"] == "Customer insight"
    assert events[0]["after"]["name"] == "Customer empathy"


@pytest.mark.parametrize(
    ("body", "field"),
    [
        ({"key": "Customer Insight", "name": "x"}, "key"),
        ({"key": "data", "name": ""}, "name"),
        ({"key": "data", "name": "Data", "retired": True}, "retired"),
        ({"key": "data", "name": "Data", "org_id": str(uuid.uuid4())}, "org_id"),
    ],
)
def test_invalid_competencies_answer_422_with_the_field(
    orgs: OrgFactory, body: dict[str, object], field: str
) -> None:
    org = orgs.create()
    errors = expect(org.admin.api.post("/api/v1/competencies", json=body), 422)["errors"]
    assert field in errors


def test_a_key_is_unique_within_its_organisation_only(orgs: OrgFactory) -> None:
    org, other = orgs.create(), orgs.create()
    duplicate = org.admin.api.post("/api/v1/competencies", json={"key": "strategy", "name": "x"})
    assert "key" in expect(duplicate, 409)["message"]
    expect(other.admin.api.post("/api/v1/competencies", json={"key": "data", "name": "Data"}), 201)
    expect(org.admin.api.post("/api/v1/competencies", json={"key": "data", "name": "Data"}), 201)
    strategy = competencies(org.admin.api)["strategy"]
    rename = org.admin.api.patch(
        f"/api/v1/competencies/{strategy['id']}", json={"key": "execution"}
    )
    expect(rename, 409)


def test_retiring_takes_a_competency_off_the_ladder_but_never_deletes_it(
    orgs: OrgFactory,
) -> None:
    org = orgs.create()
    api = org.admin.api
    strategy = competencies(api)["strategy"]
    path = f"/api/v1/competencies/{strategy['id']}"
    assert expect(api.delete(path), 405)["code"] == 405  # no deletion at all

    retired = expect(api.patch(path, json={"retired": True}), 200)
    assert retired["retired"] is True
    for role in ladder(api):
        assert strategy["id"] not in {e["competency_id"] for e in role["expectations"]}
        assert len(role["expectations"]) == 2
    assert expect(api.get(path), 200)["retired"] is True
    current = expect(api.get("/api/v1/competencies", query_string={"retired": "false"}), 200)
    assert [c["key"] for c in current] == ["leadership", "execution"]
    expect(api.patch(path, json={"retired": True}), 200)  # a PATCH to the same state: no change

    # A retired competency cannot be expected by a role again...
    role = ladder(api)[0]
    again = [
        *role["expectations"],
        {"competency_id": strategy["id"], "expected_score": 2, "weight": 1},
    ]
    answer = api.patch(f"/api/v1/product-roles/{role['id']}", json={"expectations": again})
    assert "competency_id" in expect(answer, 422)["errors"]["expectations"]["2"]
    # ...until it is reinstated.
    expect(api.patch(path, json={"retired": False}), 200)
    expect(api.patch(f"/api/v1/product-roles/{role['id']}", json={"expectations": again}), 200)

    actions = [e["action"] for e in audit_events(org, entity_id=strategy["id"])]
    assert actions[:2] == ["reinstated", "retired"]
    role_changes = audit_events(org, entity_type="product_role", entity_id=role["id"])
    dropped = role_changes[-2]  # the retirement's change, before the re-adding
    assert len(dropped["before"]["expectations"]) == 3
    assert len(dropped["after"]["expectations"]) == 2


def test_admins_and_heads_of_product_change_competencies_and_everyone_reads_them(
    orgs: OrgFactory,
) -> None:
    org = orgs.create()
    pm = org.add_member(access_role="pm")
    hop = org.add_member(access_role="head_of_product")
    reader = api_token(org, ["read"])
    strategy = competencies(org.admin.api)["strategy"]
    path = f"/api/v1/competencies/{strategy['id']}"
    for api in (pm.api, reader):
        assert len(expect(api.get("/api/v1/competencies"), 200)) == 3
        expect(api.get(path), 200)
        expect(api.post("/api/v1/competencies", json={"key": "data", "name": "Data"}), 403)
        expect(api.patch(path, json={"name": "x"}), 403)
    expect(api_token(org, ["write"]).patch(path, json={"name": "Product strategy"}), 200)
    expect(hop.api.patch(path, json={"name": "Strategy"}), 200)
    created = hop.api.post("/api/v1/competencies", json={"key": "data", "name": "Data"})
    assert expect(created, 201)["key"] == "data"


def test_another_organisations_competency_answers_404(orgs: OrgFactory) -> None:
    org, other = orgs.create(), orgs.create()
    theirs = competencies(other.admin.api)["strategy"]["id"]
    for path in (f"/api/v1/competencies/{theirs}", f"/api/v1/competencies/{uuid.uuid4()}"):
        assert expect(org.admin.api.get(path), 404)["message"] == "Competency not found."
        expect(org.admin.api.patch(path, json={"retired": True}), 404)
    assert competencies(other.admin.api)["strategy"]["retired"] is False
