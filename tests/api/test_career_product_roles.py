"""The career ladder through the HTTP API."""

from __future__ import annotations

import uuid
from typing import Any

import pytest

from tests.support.api import Org, OrgFactory, api_token, audit_events, expect
from tests.support.career import competencies, ladder

LADDER = [
    "Associate PM",
    "Product Manager",
    "Senior PM",
    "Product Lead",
    "Head of Product",
    "Director of Product",
    "VP Product",
    "Chief Product Officer",
]


def _expecting(org: Org, **scores: int) -> list[dict[str, Any]]:
    found = competencies(org.admin.api)
    return [
        {"competency_id": found[key]["id"], "expected_score": score, "weight": 1}
        for key, score in scores.items()
    ]


def _new_role(org: Org, **fields: Any) -> dict[str, Any]:
    body = {"name": "Staff PM", "track": "ic", "level": 5, **fields}
    role: dict[str, Any] = expect(org.admin.api.post("/api/v1/product-roles", json=body), 201)
    return role


def test_a_new_organisation_starts_with_the_product_management_ladder(orgs: OrgFactory) -> None:
    org = orgs.create()
    roles = ladder(org.admin.api)
    assert [r["name"] for r in roles] == LADDER
    assert [(r["track"], r["level"]) for r in roles] == [("product", n) for n in range(1, 9)]
    keys = ["strategy", "leadership", "execution"]
    previous = dict.fromkeys(keys, 0)
    for role, following in zip(roles, [*roles[1:], None], strict=True):
        assert role["description"]
        assert role["pay_band"] is None
        assert role["next_role_id"] == (following["id"] if following else None)
        assert [e["competency_key"] for e in role["expectations"]] == keys
        scores = {e["competency_key"]: e["expected_score"] for e in role["expectations"]}
        assert all(scores[k] >= previous[k] for k in keys)
        assert sum(scores.values()) > sum(previous.values())
        assert all(e["weight"] > 0 and len(e["description"]) > 40 for e in role["expectations"])
        previous = scores


def test_the_next_role_follows_the_track_as_it_changes(orgs: OrgFactory) -> None:
    org = orgs.create()
    api = org.admin.api
    answer = api.post(
        "/api/v1/product-roles",
        json={
            "name": "Principal PM",
            "track": "ic",
            "level": 7,
            "description": "Sets direction across products without managing.",
            "pay_band": {"currency": "EUR", "min": 150000, "max": 190000.5},
            "expectations": _expecting(org, strategy=5, leadership=4, execution=4),
        },
    )
    principal = expect(answer, 201)
    assert answer.headers["ETag"] == '"v1"'
    assert principal["next_role_id"] is None
    assert principal["pay_band"] == {"currency": "EUR", "min": 150000.0, "max": 190000.5}
    staff = _new_role(org, name="Staff PM", level=5)
    assert staff["next_role_id"] == principal["id"]
    senior_staff = _new_role(org, name="Senior Staff PM", level=6)
    assert (
        expect(api.get(f"/api/v1/product-roles/{staff['id']}"), 200)["next_role_id"]
        == (senior_staff["id"])
    )
    assert [r["name"] for r in ladder(api, track="ic")] == [
        "Staff PM",
        "Senior Staff PM",
        "Principal PM",
    ]
    product = ladder(api, track="product")
    assert product[-1]["next_role_id"] is None  # the CPO: the ic track is another ladder


def test_a_level_is_unique_per_track(orgs: OrgFactory) -> None:
    org = orgs.create()
    taken = org.admin.api.post(
        "/api/v1/product-roles", json={"name": "Other PM", "track": "product", "level": 2}
    )
    assert "level" in expect(taken, 409)["message"]
    staff = _new_role(org, level=2)  # the same level on another track is fine
    moved = org.admin.api.patch(f"/api/v1/product-roles/{staff['id']}", json={"track": "product"})
    expect(moved, 409)


@pytest.mark.parametrize(
    ("change", "where"),
    [
        ({"expected_score": 6}, ("expectations", "0", "expected_score")),
        ({"expected_score": 0}, ("expectations", "0", "expected_score")),
        ({"weight": 0}, ("expectations", "0", "weight")),
        ({"weight": -1}, ("expectations", "0", "weight")),
        ({"weight": 0.00001}, ("expectations", "0", "weight")),  # would be kept as 0
        ({"competency_id": str(uuid.uuid4())}, ("expectations", "0", "competency_id")),
    ],
)
def test_invalid_expectations_answer_422_naming_the_field(
    orgs: OrgFactory, change: dict[str, Any], where: tuple[str, ...]
) -> None:
    org = orgs.create()
    expectation = {**_expecting(org, strategy=3)[0], **change}
    answer = org.admin.api.post(
        "/api/v1/product-roles",
        json={"name": "x", "track": "ic", "level": 1, "expectations": [expectation]},
    )
    errors = expect(answer, 422)["errors"]
    for key in where:
        errors = errors[key] if key in errors else errors[int(key)]
    assert errors


def test_each_competency_is_expected_at_most_once_and_of_this_organisation(
    orgs: OrgFactory,
) -> None:
    org, other = orgs.create(), orgs.create()
    twice = _expecting(org, strategy=3) * 2
    answer = org.admin.api.post(
        "/api/v1/product-roles",
        json={"name": "x", "track": "ic", "level": 1, "expectations": twice},
    )
    assert "competency_id" in expect(answer, 422)["errors"]["expectations"]["1"]
    theirs = _expecting(other, strategy=3)
    answer = org.admin.api.post(
        "/api/v1/product-roles",
        json={"name": "x", "track": "ic", "level": 1, "expectations": theirs},
    )
    assert expect(answer, 422)["errors"]["expectations"]["0"]["competency_id"] == [
        "No such competency, or it is retired."
    ]


@pytest.mark.parametrize(
    ("band", "field"),
    [
        ({"currency": "eur", "min": 1, "max": 2}, "currency"),
        ({"currency": "EUR", "min": 3, "max": 2}, "max"),
        ({"currency": "EUR", "min": -1, "max": 2}, "min"),
        ({"currency": "EUR", "min": 1}, "max"),
        # Beyond what the column keeps (14 digits, 2 of them decimals), once rounded.
        ({"currency": "EUR", "min": 0, "max": 1e12}, "max"),
        ({"currency": "EUR", "min": 0, "max": 999_999_999_999.995}, "max"),
        ({"currency": "EUR", "min": 1e12, "max": 1e12}, "min"),
    ],
)
def test_an_invalid_pay_band_answers_422(
    orgs: OrgFactory, band: dict[str, Any], field: str
) -> None:
    org = orgs.create()
    role = ladder(org.admin.api)[0]
    answer = org.admin.api.patch(f"/api/v1/product-roles/{role['id']}", json={"pay_band": band})
    assert field in expect(answer, 422)["errors"]["pay_band"]


def test_the_largest_pay_band_is_kept(orgs: OrgFactory) -> None:
    org = orgs.create()
    band = {"currency": "EUR", "min": 999_999_999_999.99, "max": 999_999_999_999.99}
    answer = org.admin.api.post(
        "/api/v1/product-roles", json={"name": "R", "track": "ic", "level": 1, "pay_band": band}
    )
    assert expect(answer, 201)["pay_band"] == band


def test_changing_expectations_moves_the_etag_and_is_audited(orgs: OrgFactory) -> None:
    org = orgs.create()
    api = org.admin.api
    role = ladder(api)[1]
    path = f"/api/v1/product-roles/{role['id']}"
    etag = api.get(path).headers["ETag"]
    fewer = [e for e in role["expectations"] if e["competency_key"] != "leadership"]
    fewer[0] = {**fewer[0], "expected_score": 4, "description": "Sharper."}
    answer = api.patch(path, json={"expectations": fewer}, headers={"If-Match": etag})
    changed = expect(answer, 200)
    assert answer.headers["ETag"] != etag
    assert [(e["competency_key"], e["expected_score"]) for e in changed["expectations"]] == [
        ("strategy", 4),
        ("execution", 3),
    ]
    expect(api.patch(path, json={"name": "PM II"}, headers={"If-Match": etag}), 412)
    event = audit_events(org, entity_type="product_role", entity_id=role["id"])[0]
    assert event["action"] == "updated"
    assert len(event["before"]["expectations"]) == 3
    assert len(event["after"]["expectations"]) == 2
    # The same list again changes nothing: no new version, no audit event.
    again = api.patch(path, json={"expectations": changed["expectations"]})
    assert again.headers["ETag"] == answer.headers["ETag"]
    assert len(audit_events(org, entity_type="product_role", entity_id=role["id"])) == 2


def test_a_role_that_members_hold_is_not_deleted(orgs: OrgFactory) -> None:
    org = orgs.create()
    api = org.admin.api
    role = _new_role(org, expectations=_expecting(org, strategy=4))
    holder = org.add_member(product_role_id=role["id"])
    path = f"/api/v1/product-roles/{role['id']}"
    refused = expect(api.delete(path), 409)
    assert "held by 1 member" in refused["message"]
    expect(api.patch(f"/api/v1/members/{holder.id}", json={"product_role_id": None}), 200)
    expect(api.delete(path, headers={"If-Match": '"v0"'}), 412)
    assert api.delete(path).status_code == 204
    expect(api.get(path), 404)
    event = audit_events(org, entity_type="product_role", entity_id=role["id"])[0]
    assert (event["action"], event["after"]) == ("deleted", None)
    assert event["before"]["name"] == "Staff PM"
    assert len(event["before"]["expectations"]) == 1


def test_the_scale_cannot_strand_an_expectation(orgs: OrgFactory) -> None:
    org = orgs.create()
    api = org.admin.api
    four_points = {"rating_scale": {"min": 1, "max": 4, "labels": ["a", "b", "c", "d"]}}
    refused = expect(api.patch("/api/v1/org", json={"settings": four_points}), 422)
    assert "Chief Product Officer (product level 8) expects 5 in strategy" in refused["message"]
    assert "VP Product" in refused["errors"]["settings"]["rating_scale"][0]
    assert expect(api.get("/api/v1/org"), 200)["settings"]["rating_scale"]["max"] == 5
    for role in ladder(api):
        lowered = [
            {**e, "expected_score": min(e["expected_score"], 4)} for e in role["expectations"]
        ]
        expect(
            api.patch(f"/api/v1/product-roles/{role['id']}", json={"expectations": lowered}), 200
        )
    org_now = expect(api.patch("/api/v1/org", json={"settings": four_points}), 200)
    assert org_now["settings"]["rating_scale"]["max"] == 4
    too_high = _expecting(org, strategy=5)
    answer = api.post(
        "/api/v1/product-roles",
        json={"name": "x", "track": "ic", "level": 1, "expectations": too_high},
    )
    assert expect(answer, 422)["errors"]["expectations"]["0"]["expected_score"] == [
        "Must be on the organisation's scale, 1 to 4."
    ]


def test_everyone_reads_the_ladder_and_admins_and_heads_of_product_change_it(
    orgs: OrgFactory,
) -> None:
    org = orgs.create()
    pm = org.add_member(access_role="pm")
    hop = org.add_member(access_role="head_of_product")
    reader = api_token(org, ["read"])
    role = ladder(org.admin.api)[0]
    path = f"/api/v1/product-roles/{role['id']}"
    for api in (pm.api, reader):
        assert len(ladder(api)) == 8
        assert expect(api.get(path), 200)["expectations"] == role["expectations"]
        expect(
            api.post("/api/v1/product-roles", json={"name": "x", "track": "ic", "level": 1}), 403
        )
        expect(api.patch(path, json={"name": "x"}), 403)
        expect(api.delete(path), 403)
    assert ladder(org.admin.api)[0]["name"] == "Associate PM"
    renamed = expect(hop.api.patch(path, json={"name": "Associate Product Manager"}), 200)
    assert renamed["name"] == "Associate Product Manager"


def test_another_organisations_role_answers_404(orgs: OrgFactory) -> None:
    org, other = orgs.create(), orgs.create()
    theirs = ladder(other.admin.api)[0]["id"]
    for path in (f"/api/v1/product-roles/{theirs}", f"/api/v1/product-roles/{uuid.uuid4()}"):
        assert expect(org.admin.api.get(path), 404)["message"] == "Product role not found."
        expect(org.admin.api.patch(path, json={"name": "x"}), 404)
        expect(org.admin.api.delete(path), 404)
    assert len(ladder(other.admin.api)) == 8
    # Nor can a member of this organisation be given the other's role.
    answer = org.admin.api.post(
        "/api/v1/members", json={"email": "a@example.com", "name": "A", "product_role_id": theirs}
    )
    assert expect(answer, 422)["errors"] == {"product_role_id": ["No such product role."]}
