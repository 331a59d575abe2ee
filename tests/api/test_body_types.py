"""JSON bodies are read as JSON types them: 4.9 is not the integer 4, "4" is not a
number, and "yes" or 1 is not true. Each refusal is a field error and changes nothing."""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

import marshmallow as ma
import pytest
from flask import Flask

from service.api.fields import StrictBoolean, StrictFloat, StrictInteger
from tests.support.api import OrgFactory, expect
from tests.support.cycles import CYCLES, build_team, etag, launched_cycle, review_of

COERCING = (ma.fields.Integer, ma.fields.Float, ma.fields.Boolean)
STRICT = (StrictInteger, StrictFloat, StrictBoolean)
REVIEWS = "/api/v1/reviews"


@pytest.mark.parametrize("score", [4.9, 3.5, "4", True])
def test_a_review_score_that_is_no_json_integer_is_refused(orgs: OrgFactory, score: object) -> None:
    org = orgs.create()
    team = build_team(org, pms=1)
    cid = launched_cycle(org.admin.api)["id"]
    pm = team.pms[0].api
    review = review_of(pm, cid, "self", team.pms[0].id)
    rating = {"competency_id": team.ladder.competency_ids[0], "score": score}
    answer = pm.patch(
        f"{REVIEWS}/{review['id']}",
        json={"ratings": [rating]},
        headers={"If-Match": etag(pm, review["id"])},
    )
    assert "ratings" in expect(answer, 422)["errors"]
    assert expect(pm.get(f"{REVIEWS}/{review['id']}"), 200)["ratings"] == review["ratings"]


@pytest.mark.parametrize(
    ("settings", "field"),
    [
        ({"peer_anonymity_threshold": 2.9}, "peer_anonymity_threshold"),
        ({"peer_anonymity_threshold": "4"}, "peer_anonymity_threshold"),
        ({"ready_soon_max_gap": "1.5"}, "ready_soon_max_gap"),
    ],
)
def test_organisation_settings_take_json_numbers_only(
    orgs: OrgFactory, settings: dict[str, Any], field: str
) -> None:
    org = orgs.create()
    before = expect(org.admin.api.get("/api/v1/org"), 200)
    answer = expect(org.admin.api.patch("/api/v1/org", json={"settings": settings}), 422)
    assert field in answer["errors"]["settings"]
    assert expect(org.admin.api.get("/api/v1/org"), 200) == before


@pytest.mark.parametrize(
    ("fields", "field"),
    [
        ({"max_peers_per_reviewee": 2.5}, "max_peers_per_reviewee"),
        ({"allow_self_nomination": "yes"}, "allow_self_nomination"),
        ({"allow_self_nomination": 1}, "allow_self_nomination"),
    ],
)
def test_cycle_fields_take_json_types_only(
    orgs: OrgFactory, fields: dict[str, Any], field: str
) -> None:
    org = orgs.create()
    body = {
        "name": "H1",
        "period_start": "2026-01-01",
        "period_end": "2026-06-30",
        "review_types": ["self"],
        **fields,
    }
    assert field in expect(org.admin.api.post(CYCLES, json=body), 422)["errors"]
    assert expect(org.admin.api.get(CYCLES), 200) == []


def test_a_product_role_level_must_be_a_json_integer(orgs: OrgFactory) -> None:
    org = orgs.create()
    body = {"name": "Staff PM", "track": "ic", "level": 2.5}
    assert "level" in expect(org.admin.api.post("/api/v1/product-roles", json=body), 422)["errors"]
    body["level"] = 2
    assert expect(org.admin.api.post("/api/v1/product-roles", json=body), 201)["level"] == 2


def _body_schemas(app: Flask) -> Iterator[type[ma.Schema]]:
    for view in app.view_functions.values():
        view_class = getattr(view, "view_class", None)
        targets = [getattr(view_class, m, None) for m in ("post", "put", "patch")]
        for target in filter(None, targets if view_class else [view]):
            for parameter in (
                getattr(target, "_apidoc", {}).get("arguments", {}).get("parameters", [])
            ):
                if parameter.get("in") == "json":
                    yield parameter["schema"]


def _fields(schema: ma.Schema) -> Iterator[tuple[str, ma.fields.Field[Any]]]:
    for name, field in schema.fields.items():
        yield f"{type(schema).__name__}.{name}", field
        inner = getattr(field, "inner", None)
        nested = getattr(inner or field, "schema", None)
        if isinstance(nested, ma.Schema):
            yield from _fields(nested)


def test_every_number_and_truth_of_a_json_body_is_strict(app: Flask) -> None:
    typed = {
        name: isinstance(field, STRICT)
        for schema in set(_body_schemas(app))
        for name, field in _fields(schema() if isinstance(schema, type) else schema)
        if isinstance(field, COERCING) and not field.dump_only
    }
    assert "ReviewRatingSchema.score" in typed  # nested fields are reached
    assert sorted(name for name, strict in typed.items() if not strict) == []


@pytest.mark.parametrize("point", [2**40, -(10**30)])
def test_a_rating_scale_far_beyond_any_real_one_is_a_field_error(
    orgs: OrgFactory, point: int
) -> None:
    org = orgs.create()
    scale = {"min": min(point, 1), "max": max(point, 1), "labels": ["x"]}
    answer = expect(
        org.admin.api.patch("/api/v1/org", json={"settings": {"rating_scale": scale}}), 422
    )
    assert "rating_scale" in answer["errors"]["settings"]
