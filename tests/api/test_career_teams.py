"""Teams through the HTTP API."""

from __future__ import annotations

import uuid

from tests.support.api import OrgFactory, api_token, audit_events, expect
from tests.support.career import csv_of, import_csv, ladder, members_by_email
from tests.support.cycles import launched_cycle, new_cycle


def test_admins_create_change_and_delete_teams(orgs: OrgFactory) -> None:
    org = orgs.create()
    api = org.admin.api
    answer = api.post("/api/v1/teams", json={"name": "Payments", "description": "Checkout."})
    team = expect(answer, 201)
    assert answer.headers["ETag"] == '"v1"'
    expect(api.post("/api/v1/teams", json={"name": "Growth"}), 201)
    assert [t["name"] for t in expect(api.get("/api/v1/teams"), 200)] == ["Growth", "Payments"]
    path = f"/api/v1/teams/{team['id']}"
    assert expect(api.get(path), 200) == team

    renamed = expect(api.patch(path, json={"name": "Payments & Billing"}), 200)
    assert renamed["name"] == "Payments & Billing"
    expect(api.patch(path, json={"name": "x"}, headers={"If-Match": '"v1"'}), 412)
    assert api.delete(path, headers={"If-Match": '"v2"'}).status_code == 204
    expect(api.get(path), 404)

    actions = [e["action"] for e in audit_events(org, entity_type="team", entity_id=team["id"])]
    assert actions == ["deleted", "updated", "created"]
    updated = audit_events(org, entity_type="team", entity_id=team["id"])[1]
    assert (updated["before"]["name"], updated["after"]["name"]) == (
        "Payments",
        "Payments & Billing",
    )


def test_team_names_are_unique_and_required(orgs: OrgFactory) -> None:
    org = orgs.create()
    api = org.admin.api
    growth = expect(api.post("/api/v1/teams", json={"name": "Growth"}), 201)
    other = expect(api.post("/api/v1/teams", json={"name": "Core"}), 201)
    assert "name" in expect(api.post("/api/v1/teams", json={"name": "Growth"}), 409)["message"]
    expect(api.patch(f"/api/v1/teams/{other['id']}", json={"name": "Growth"}), 409)
    assert "name" in expect(api.post("/api/v1/teams", json={"name": ""}), 422)["errors"]
    assert (
        "org_id"
        in expect(api.post("/api/v1/teams", json={"name": "X", "org_id": str(uuid.uuid4())}), 422)[
            "errors"
        ]
    )
    assert expect(api.get(f"/api/v1/teams/{growth['id']}"), 200)["name"] == "Growth"


def test_a_team_with_members_is_not_deleted(orgs: OrgFactory) -> None:
    org = orgs.create()
    api = org.admin.api
    team = expect(api.post("/api/v1/teams", json={"name": "Payments"}), 201)
    member = org.add_member(team_id=team["id"])
    expect(api.post(f"/api/v1/members/{member.id}/deactivate"), 200)
    refused = expect(api.delete(f"/api/v1/teams/{team['id']}"), 409)
    assert "1 member" in refused["message"]
    expect(api.patch(f"/api/v1/members/{member.id}", json={"team_id": None}), 200)
    assert api.delete(f"/api/v1/teams/{team['id']}").status_code == 204


def test_everyone_reads_teams_and_only_admins_change_them(orgs: OrgFactory) -> None:
    org = orgs.create()
    team = expect(org.admin.api.post("/api/v1/teams", json={"name": "Payments"}), 201)
    path = f"/api/v1/teams/{team['id']}"
    pm = org.add_member(access_role="pm")
    hop = org.add_member(access_role="head_of_product")
    for api in (pm.api, hop.api, api_token(org, ["read", "write"])):
        assert expect(api.get("/api/v1/teams"), 200) == [team]
        expect(api.get(path), 200)
        expect(api.post("/api/v1/teams", json={"name": "Growth"}), 403)
        expect(api.patch(path, json={"name": "Growth"}), 403)
        expect(api.delete(path), 403)
    expect(org.admin.api.get(path), 200)


def test_another_organisations_team_answers_404(orgs: OrgFactory) -> None:
    org, other = orgs.create(), orgs.create()
    theirs = expect(other.admin.api.post("/api/v1/teams", json={"name": "Payments"}), 201)["id"]
    assert expect(org.admin.api.get("/api/v1/teams"), 200) == []
    for path in (f"/api/v1/teams/{theirs}", f"/api/v1/teams/{uuid.uuid4()}"):
        assert expect(org.admin.api.get(path), 404)["message"] == "Team not found."
        expect(org.admin.api.patch(path, json={"name": "x"}), 404)
        expect(org.admin.api.delete(path), 404)
    expect(other.admin.api.get(f"/api/v1/teams/{theirs}"), 200)
    answer = org.admin.api.post(
        "/api/v1/members", json={"email": "a@example.com", "name": "A", "team_id": theirs}
    )
    assert expect(answer, 422)["errors"] == {"team_id": ["No such team."]}


def test_team_names_are_unique_in_any_case(orgs: OrgFactory) -> None:
    """The CSV import finds teams by name in any case: two names differing only in case
    would send people to the wrong one."""
    org = orgs.create()
    api = org.admin.api
    payments = expect(api.post("/api/v1/teams", json={"name": "Payments"}), 201)
    growth = expect(api.post("/api/v1/teams", json={"name": "Growth"}), 201)
    taken = expect(api.post("/api/v1/teams", json={"name": "payments"}), 409)
    assert taken["message"] == "A team with this name already exists."
    expect(api.patch(f"/api/v1/teams/{growth['id']}", json={"name": "PAYMENTS"}), 409)
    recased = api.patch(f"/api/v1/teams/{payments['id']}", json={"name": "PAYMENTS"})
    assert expect(recased, 200)["name"] == "PAYMENTS"
    other = orgs.create()  # names are unique per organisation only
    expect(other.admin.api.post("/api/v1/teams", json={"name": "payments"}), 201)
    import_csv(api, csv_of("b@x.com,B,,,,,Payments"))
    assert members_by_email(org)["b@x.com"]["team_id"] == payments["id"]


def test_a_team_a_draft_cycle_chose_is_not_deleted(orgs: OrgFactory) -> None:
    """A draft chooses its participants from ``team_ids`` at launch; a launched cycle
    has chosen them and keeps each one's team as it was, so only drafts hold a team."""
    org = orgs.create()
    api = org.admin.api
    team = expect(api.post("/api/v1/teams", json={"name": "T"}), 201)
    path = f"/api/v1/teams/{team['id']}"
    role = ladder(api)[0]
    person = org.add_member(team_id=team["id"], product_role_id=role["id"])
    draft = new_cycle(api, review_types=["self"], team_ids=[team["id"]])
    launched = launched_cycle(api, review_types=["self"], team_ids=[team["id"]])
    expect(api.patch(f"/api/v1/members/{person.id}", json={"team_id": None}), 200)
    refused = expect(api.delete(path), 409)
    assert "draft cycle" in refused["message"]
    assert expect(api.get(f"/api/v1/cycles/{draft['id']}"), 200)["team_ids"] == [team["id"]]
    expect(api.patch(f"/api/v1/cycles/{draft['id']}", json={"team_ids": None}), 200)
    assert api.delete(path).status_code == 204
    kept = expect(api.get(f"/api/v1/cycles/{launched['id']}"), 200)
    assert kept["team_ids"] == [team["id"]]
