"""Answers and request bodies as the OpenAPI document describes them, for generated clients.

An answer's schema lists in ``required`` every field the server always sends, so that a
client generated from the document (openapi-python-client) types it as a plain value,
not ``Union[Unset, X]``; the fields some answers leave out are marked with
``sometimes_absent`` where they are declared (``api.schema_forms``) and stay optional.
A field is only required where it is really there: a generated client fails to parse
an answer that lacks one.

Held here two ways: on the document itself (what each component requires, which side
of the wire it is on), and on real answers of an organisation taken through a whole
review cycle, each validated against the schema its operation documents for its status.
"""

from __future__ import annotations

import inspect
import re
import uuid
from collections.abc import Iterator
from dataclasses import dataclass, field
from typing import Any

import marshmallow as ma
import pytest
from flask import Flask
from jsonschema.validators import extend
from openapi_schema_validator import OAS30ReadValidator, oas30_format_checker

from service.api.base import SCHEMA_FORMS
from service.api.schema_forms import SOMETIMES_ABSENT
from service.domain.access import AccessRole
from service.domain.cycle import CycleAction, CycleState, ReviewType
from service.domain.member import MemberStatus
from service.domain.readiness import Readiness
from service.domain.review import Potential, Recommendation, ReviewAction, ReviewStatus
from service.domain.webhook_retries import DeliveryStatus
from service.domain.webhooks import EVENT_TYPES
from tests.support.api import PASSWORD, ApiClient, Org, OrgFactory, Person, expect
from tests.support.cycles import CYCLES, build_team, cycle_body, review_of
from tests.support.openapi import operations, resolve
from tests.support.webhooks import PUBLIC_URL

SCHEMAS = "#/components/schemas/"
#: flask-smorest's error and pagination schemas, not the project's: left as they are.
FLASK_SMOREST = {"Error", "PaginationMetadata"}


def _api(app: Flask) -> Any:
    return app.extensions["flask-smorest"]["apis"][""]["ext_obj"]


@pytest.fixture(scope="module")
def spec(app: Flask) -> dict[str, Any]:
    document: dict[str, Any] = app.test_client().get("/openapi.json").get_json()
    return document


@pytest.fixture(scope="module")
def classes(app: Flask) -> dict[str, type[ma.Schema]]:
    """Each schema component's marshmallow class (the form of a schema it documents)."""
    refs = _api(app).ma_plugin.converter.refs
    return {name: key[0] for key, name in refs.items()}


def _refs(node: Any) -> Iterator[str]:
    """The schema components a piece of the document names, directly."""
    if isinstance(node, dict):
        ref = node.get("$ref", "")
        if ref.startswith(SCHEMAS):
            yield ref.removeprefix(SCHEMAS)
        for value in node.values():
            yield from _refs(value)
    elif isinstance(node, list):
        for value in node:
            yield from _refs(value)


def _reachable(spec: dict[str, Any], roots: list[Any]) -> set[str]:
    seen: set[str] = set()
    todo = [name for root in roots for name in _refs(root)]
    while todo:
        name = todo.pop()
        if name not in seen:
            seen.add(name)
            todo.extend(_refs(spec["components"]["schemas"][name]))
    return seen


def _answer_components(spec: dict[str, Any]) -> set[str]:
    roots = [
        resolve(spec, response).get("content", {})
        for _, _, operation in operations(spec)
        for response in operation["responses"].values()
    ]
    return _reachable(spec, roots)


def _body_components(spec: dict[str, Any]) -> set[str]:
    roots = [op.get("requestBody", {}) for _, _, op in operations(spec)]
    return _reachable(spec, roots)


def _sometimes_absent(schema: type[ma.Schema]) -> set[str]:
    return {
        f.data_key or name
        for name, f in schema().fields.items()
        if f.metadata.get(SOMETIMES_ABSENT)
    }


# --- the document -----------------------------------------------------------------------


def test_answers_require_every_field_but_those_marked_sometimes_absent(
    spec: dict[str, Any], classes: dict[str, type[ma.Schema]]
) -> None:
    optional = {}
    for name in _answer_components(spec) - FLASK_SMOREST:
        component = spec["components"]["schemas"][name]
        left = set(component["properties"]) - set(component.get("required", []))
        if left != _sometimes_absent(classes[name]):
            optional[name] = sorted(left)
    assert optional == {}


def test_fields_integrators_rely_on_are_plain_values(spec: dict[str, Any]) -> None:
    """PRODUCT.md's shapes, as required fields of the answers (a sample of them)."""
    schemas = spec["components"]["schemas"]
    expected = {
        "Member": {"id", "name", "title", "product_role_id", "manager_id", "team_id", "status"},
        "Review": {"id", "cycle_id", "reviewee_id", "type", "status", "ratings", "summary"},
        "ReviewRating": {"competency_id", "score", "comment", "evidence"},
        "Cycle": {"id", "name", "state", "allowed_actions", "review_types", "period_end"},
        "ProductRole": {"id", "name", "track", "level", "description", "expectations"},
        "Organisation": {"id", "name", "slug", "settings"},
        "ApiToken": {"id", "name", "prefix", "scopes", "created_at", "last_used_at"},
        "CreatedApiToken": {"token", "expires_at"},
        "Participant": {"member_id", "product_role_id", "manager_id", "progress"},
        "Feedback": {"cycle_id", "final_ratings", "overall_score", "peer_feedback"},
        "AuditEvent": {"id", "actor_id", "entity_type", "action", "before", "after"},
    }
    missing = {
        name: sorted(fields - set(schemas[name].get("required", [])))
        for name, fields in expected.items()
        if fields - set(schemas[name].get("required", []))
    }
    assert missing == {}
    # Sometimes absent, so optional: who wrote an anonymous review.
    assert "reviewer_id" not in schemas["Review"]["required"]
    assert {"email", "access_role"} <= set(schemas["Member"]["required"])
    # Nullable fields are required and nullable: always there, maybe null.
    assert schemas["Member"]["properties"]["title"]["nullable"] is True


def test_no_write_only_field_is_in_an_answer(
    spec: dict[str, Any], classes: dict[str, type[ma.Schema]]
) -> None:
    """A password (or any ``load_only`` field) is never sent back: it is not documented
    in answers at all, let alone required."""
    leaked = []
    for name in _answer_components(spec):
        properties = spec["components"]["schemas"][name].get("properties", {})
        origin = SCHEMA_FORMS.origin(classes[name])
        write_only = {f.data_key or n for n, f in origin().fields.items() if f.load_only}
        leaked += [(name, p) for p in write_only & set(properties)]
        leaked += [(name, p) for p, s in properties.items() if s.get("writeOnly")]
    assert leaked == []
    assert "password" in spec["components"]["schemas"]["MemberInput"]["properties"]
    assert "password" not in spec["components"]["schemas"]["Member"]["properties"]


def test_request_bodies_keep_their_required_fields_and_take_no_read_only_one(
    spec: dict[str, Any], classes: dict[str, type[ma.Schema]]
) -> None:
    """A body requires what its schema requires when loading (a PATCH body nothing), and
    does not offer the fields the server would refuse as unknown (``dump_only``)."""
    wrong = {}
    for name in _body_components(spec):
        component = spec["components"]["schemas"][name]
        origin = SCHEMA_FORMS.origin(classes[name])
        loaded = {n: f for n, f in origin().fields.items() if not f.dump_only}
        expected = {f.data_key or n for n, f in loaded.items() if f.required}
        read_only = [p for p, s in component["properties"].items() if s.get("readOnly")]
        if set(component.get("required", [])) != expected or read_only:
            wrong[name] = (sorted(component.get("required", [])), sorted(expected), read_only)
    assert wrong == {}
    schemas = spec["components"]["schemas"]
    assert schemas["MemberInput"]["required"] == ["email", "name"]
    assert "password" in schemas["MemberInput"]["properties"]
    assert "required" not in schemas["ReviewPatch"]
    assert "required" not in schemas["MemberPatch"]


def test_a_schema_used_both_ways_is_two_components(spec: dict[str, Any]) -> None:
    """The answer keeps the resource's name; the request body is ``<name>Input``."""
    post = spec["paths"]["/api/v1/members"]["post"]
    body = post["requestBody"]["content"]["application/json"]["schema"]
    answer = post["responses"]["201"]["content"]["application/json"]["schema"]
    assert (body, answer) == ({"$ref": f"{SCHEMAS}MemberInput"}, {"$ref": f"{SCHEMAS}Member"})
    schemas = spec["components"]["schemas"]
    # Nested ones too: the answer's form takes more fields, the request's refuses them.
    assert {"PayBand", "PayBandInput", "Evidence", "EvidenceInput"} <= set(schemas)
    assert schemas["PayBandInput"]["additionalProperties"] is False
    assert "additionalProperties" not in schemas["PayBand"]
    # A schema only requests use keeps its name.
    assert {"LogIn", "SignUp", "ReviewPatch"} <= set(schemas)


def _nodes(node: Any) -> Iterator[dict[str, Any]]:
    """Every object of a piece of the document, itself included."""
    if isinstance(node, dict):
        yield node
        for value in node.values():
            yield from _nodes(value)
    elif isinstance(node, list):
        for value in node:
            yield from _nodes(value)


def test_a_nullable_nested_object_is_a_typed_reference(
    spec: dict[str, Any], classes: dict[str, type[ma.Schema]]
) -> None:
    """``{"nullable": true, "allOf": [{"$ref": ...}]}``: a generated client types it
    ``None | X``. Never an ``anyOf`` with an untyped object branch, which any object
    matches first (the client then hands back a plain dict, unchecked)."""
    untyped = [
        branch
        for node in _nodes(spec)
        for key in ("anyOf", "oneOf")
        for branch in node.get(key, [])
        if branch.get("type") == "object" and not set(branch) & {"properties", "$ref", "allOf"}
    ]
    assert untyped == []
    schemas = spec["components"]["schemas"]
    wrong = []
    for name, schema in classes.items():
        for field_name, declared in schema().fields.items():
            if isinstance(declared, ma.fields.Nested) and declared.allow_none:
                found = schemas[name]["properties"][declared.data_key or field_name]
                refs = [set(branch) for branch in found.get("allOf", [])]
                if found.get("nullable") is not True or refs != [{"$ref"}]:
                    wrong.append((name, field_name, found))
    assert wrong == []
    for name, field_name in [
        ("Feedback", "manager_review"),
        ("Feedback", "self_review"),
        ("Feedback", "upward_feedback"),
        ("ProductRole", "pay_band"),
        ("ProductRoleInput", "pay_band"),
        ("ProductRolePatch", "pay_band"),
        ("Cycle", "rating_scale"),
        ("ReadinessRow", "promotion_cost"),
    ]:
        assert schemas[name]["properties"][field_name]["nullable"] is True, (name, field_name)


def test_answers_may_carry_more_fields_and_bodies_refuse_unknown_ones(
    spec: dict[str, Any],
) -> None:
    """PRODUCT.md: "responses may carry more": no answer says
    ``additionalProperties: false``, so a strict client keeps working when a field is
    added. A request body does: the server refuses unknown fields (422)."""
    schemas = spec["components"]["schemas"]
    strict_answers = [
        name
        for name in _answer_components(spec)
        if schemas[name].get("additionalProperties") is not None
    ]
    assert strict_answers == []
    lenient_bodies = [
        name
        for name in _body_components(spec)
        if schemas[name].get("additionalProperties") is not False
    ]
    assert lenient_bodies == []
    assert not _answer_components(spec) & _body_components(spec)


#: Answer fields the server writes from a domain enumeration, with its values.
ENUMS: dict[tuple[str, str], list[str]] = {
    ("Cycle", "state"): [s.value for s in CycleState],
    ("Cycle", "allowed_actions"): [a.value for a in CycleAction],
    ("Member", "status"): [s.value for s in MemberStatus],
    ("Member", "access_role"): [r.value for r in AccessRole],
    ("Review", "type"): [t.value for t in ReviewType],
    ("Review", "status"): [s.value for s in ReviewStatus],
    ("Review", "allowed_actions"): [a.value for a in ReviewAction],
    ("Review", "promotion_recommendation"): [r.value for r in Recommendation],
    ("Review", "potential"): [p.value for p in Potential],
    ("ReadinessRow", "readiness"): [r.value for r in Readiness],
    ("ReadinessRow", "manager_recommendation"): [r.value for r in Recommendation],
    ("Feedback", "readiness"): [r.value for r in Readiness],
    ("MetricsNineBox", "performance"): [p.value for p in Potential],
    ("MetricsNineBox", "potential"): [p.value for p in Potential],
    ("Delivery", "status"): [s.value for s in DeliveryStatus],
    ("Delivery", "event_type"): list(EVENT_TYPES),
    ("Token", "token_type"): ["Bearer"],
}
#: Names that hold one of a fixed set of values wherever an answer has them.
ENUM_NAMES = {name for _, name in ENUMS} | {"scopes", "events", "review_types"}
#: ... but for these: an error's reason phrase.
NOT_ENUMS = {("ImportRejected", "status")}


def _enum(schema: dict[str, Any]) -> list[Any] | None:
    listed: list[Any] | None = schema.get("items", schema).get("enum")
    return listed


def test_fields_of_a_fixed_set_of_values_list_them(spec: dict[str, Any]) -> None:
    """An ``enum`` from the domain's enumeration (and null when nullable), so a client
    gets an enumeration, not a bare string; what is serialised does not change."""
    schemas = spec["components"]["schemas"]
    wrong = {}
    for (name, field_name), values in ENUMS.items():
        found = schemas[name]["properties"][field_name]
        expected = [*values, None] if found.get("nullable") else values
        if _enum(found) != expected:
            wrong[(name, field_name)] = _enum(found)
    assert wrong == {}
    missing = [
        (name, field_name)
        for name in _answer_components(spec) - FLASK_SMOREST
        for field_name, found in schemas[name]["properties"].items()
        if field_name in ENUM_NAMES and (name, field_name) not in NOT_ENUMS and not _enum(found)
    ]
    assert missing == []


def test_bounds_and_kept_precision_are_documented(spec: dict[str, Any]) -> None:
    schemas = spec["components"]["schemas"]
    for name in ("Expectation", "ExpectationInput"):
        weight = schemas[name]["properties"]["weight"]
        assert (weight["minimum"], weight["maximum"]) == (0.0001, 1000)
        assert "4 decimal places" in weight["description"]
    for name in ("PayBand", "PayBandInput"):
        for end in ("min", "max"):
            assert "2 decimal places" in schemas[name]["properties"][end]["description"]


# --- If-Match and ETag -------------------------------------------------------------------


def _views(app: Flask) -> Iterator[tuple[str, str, Any]]:
    for rule in app.url_map.iter_rules():
        view_class = getattr(app.view_functions[rule.endpoint], "view_class", None)
        if view_class is None or not rule.rule.startswith("/api/v1/"):
            continue
        path = re.sub(r"<(?:[^:<>]+:)?([^<>]+)>", r"{\1}", rule.rule)
        for method in sorted((rule.methods or set()) - {"HEAD", "OPTIONS"}):
            yield method, path, getattr(view_class, method.lower())


def test_if_match_and_etag_are_documented_where_the_views_use_them(
    app: Flask, spec: dict[str, Any]
) -> None:
    """From the code: a view that reads ``if_match_version()`` documents the header (and
    412), one that sets an ETag documents it on its success answer."""
    mismatched = []
    for method, path, view in _views(app):
        source = inspect.getsource(inspect.unwrap(view))
        operation = spec["paths"][path][method.lower()]
        params = {
            resolve(spec, p)["name"]: resolve(spec, p) for p in operation.get("parameters", [])
        }
        reads = "if_match_version()" in source
        if reads != ("If-Match" in params) or (reads and "412" not in operation["responses"]):
            mismatched.append(("If-Match", method, path))
        sets = re.search(r"\b_?(with|set)_etag\(", source) is not None
        success = [r for code, r in operation["responses"].items() if code.startswith("2")]
        documented = any("ETag" in resolve(spec, r).get("headers", {}) for r in success)
        if sets != documented:
            mismatched.append(("ETag", method, path))
    assert mismatched == []


def test_review_writes_require_if_match_and_other_writes_take_it(spec: dict[str, Any]) -> None:
    required = {}
    for method, path, operation in operations(spec):
        for parameter in operation.get("parameters", []):
            parameter = resolve(spec, parameter)
            if parameter["name"] == "If-Match":
                required[(method, path)] = parameter["required"]
                assert "412" in operation["responses"]
                assert ("428" in operation["responses"]) == parameter["required"]
    assert {k for k, v in required.items() if v} == {
        ("PATCH", "/api/v1/reviews/{review_id}"),
        ("POST", "/api/v1/reviews/{review_id}/submit"),
        ("POST", "/api/v1/reviews/{review_id}/reopen"),
    }
    assert ("PATCH", "/api/v1/members/{member_id}") in required
    assert ("DELETE", "/api/v1/teams/{team_id}") in required


# --- real answers ----------------------------------------------------------------------------


@dataclass
class Answer:
    method: str
    path: str  # the documented path, e.g. /api/v1/members/{member_id}
    status: int
    body: Any
    who: str


@dataclass
class Recorder:
    answers: list[Answer] = field(default_factory=list)

    def call(
        self,
        api: ApiClient,
        method: str,
        path: str,
        status: int,
        *,
        who: str = "admin",
        json: Any = None,
        headers: dict[str, str] | None = None,
        query: dict[str, Any] | None = None,
        **ids: str,
    ) -> Any:
        response = api.request(
            method, path.format(**ids), json=json, headers=headers, query_string=query
        )
        body = expect(response, status)
        self.answers.append(Answer(method, path, status, body, who))
        return body


STALE = {"If-Match": '"v999999"'}
REVIEW = "/api/v1/reviews/{review_id}"


def _walk_setup(recorder: Recorder, org: Org, manager: Person) -> None:
    """The organisation, its people, ladder, tokens and webhooks."""
    call, admin = recorder.call, org.admin.api
    call(admin, "GET", "/api/v1/me", 200)
    call(admin, "GET", "/api/v1/org", 200)
    call(admin, "PATCH", "/api/v1/org", 200, json={"name": "Renamed"})

    team = call(admin, "POST", "/api/v1/teams", 201, json={"name": "Payments"})
    call(admin, "GET", "/api/v1/teams/{team_id}", 200, team_id=team["id"])
    call(admin, "GET", "/api/v1/teams", 200)
    call(admin, "PATCH", "/api/v1/teams/{team_id}", 200, json={"name": "X"}, team_id=team["id"])
    path = "/api/v1/teams/{team_id}"
    call(admin, "PATCH", path, 412, json={}, headers=STALE, team_id=team["id"])

    body = {"key": "customer_insight", "name": "Customer insight"}
    competency = call(admin, "POST", "/api/v1/competencies", 201, json=body)
    call(admin, "GET", "/api/v1/competencies/{competency_id}", 200, competency_id=competency["id"])
    call(admin, "GET", "/api/v1/competencies", 200)
    path = "/api/v1/competencies/{competency_id}"
    call(admin, "PATCH", path, 200, json={"position": 9}, competency_id=competency["id"])
    role_body = {
        "name": "Staff PM",
        "track": "staff",
        "level": 1,
        "pay_band": {"currency": "EUR", "min": 1, "max": 2},
        "expectations": [{"competency_id": competency["id"], "expected_score": 3, "weight": 1}],
    }
    role = call(admin, "POST", "/api/v1/product-roles", 201, json=role_body)
    call(admin, "GET", "/api/v1/product-roles/{role_id}", 200, role_id=role["id"])
    call(admin, "GET", "/api/v1/product-roles", 200)
    call(admin, "PATCH", "/api/v1/product-roles/{role_id}", 200, json={}, role_id=role["id"])

    new = {"email": "new@example.com", "name": "New", "password": PASSWORD}
    created = call(admin, "POST", "/api/v1/members", 201, json=new)
    member = "/api/v1/members/{member_id}"
    call(admin, "GET", "/api/v1/members", 200, query={"page_size": 100})
    call(admin, "GET", member, 200, member_id=created["id"])
    call(admin, "PATCH", member, 200, json={}, member_id=created["id"])
    call(admin, "GET", member + "/reports", 200, member_id=manager.id)
    invitee = {"email": "invitee@example.com", "name": "Invitee"}  # invited: no password
    invited = call(admin, "POST", "/api/v1/members", 201, json=invitee)
    call(admin, "POST", member + "/invitation", 201, member_id=invited["id"])
    call(admin, "POST", member + "/deactivate", 200, member_id=created["id"])
    call(admin, "GET", member, 404, member_id=str(uuid.uuid4()))

    header = "email,name,title,access_role,product_role,manager_email,team\n"
    for content, status in (
        (header + "a@example.com,A,,pm,,,\n", 200),
        (header + "bad,,,,,,\n", 422),
    ):
        response = admin.post(
            "/api/v1/members/import?dry_run=true", data=content, content_type="text/csv"
        )
        body = expect(response, status)
        recorder.answers.append(Answer("POST", "/api/v1/members/import", status, body, "admin"))

    call(admin, "POST", "/api/v1/api-tokens", 201, json={"name": "sync", "scopes": ["read"]})
    call(admin, "GET", "/api/v1/api-tokens", 200)
    # Paused: the cycle walked below must leave no delivery due to a public address.
    body = {"url": PUBLIC_URL, "events": ["cycle.launched"], "active": False}
    hook = call(admin, "POST", "/api/v1/webhooks", 201, json=body)
    webhook = "/api/v1/webhooks/{webhook_id}"
    call(admin, "GET", webhook, 200, webhook_id=hook["id"])
    call(admin, "GET", "/api/v1/webhooks", 200)
    call(admin, "PATCH", webhook, 200, json={}, webhook_id=hook["id"])
    call(admin, "POST", webhook + "/rotate-secret", 200, json={}, webhook_id=hook["id"])


def _walk_cycle(recorder: Recorder, org: Org, manager: Person, pm: Person, peer: Person) -> None:
    """A cycle from draft to released, read on the way by each kind of caller."""
    call, admin = recorder.call, org.admin.api
    call(pm.api, "GET", "/api/v1/me", 200, who="pm")
    call(pm.api, "GET", "/api/v1/members", 200, who="pm", query={"page_size": 100})
    call(pm.api, "GET", "/api/v1/members/{member_id}", 200, who="pm", member_id=peer.id)

    cycle_id = call(admin, "POST", CYCLES, 201, json=cycle_body())["id"]
    cycle = CYCLES + "/{cycle_id}"
    call(admin, "PATCH", cycle, 200, json={"name": "H1"}, cycle_id=cycle_id)
    call(admin, "POST", cycle + "/launch", 200, cycle_id=cycle_id)
    launched = call(admin, "GET", cycle, 200, cycle_id=cycle_id)
    competency_ids = [c["competency_id"] for c in launched["competencies"]]
    call(admin, "GET", CYCLES, 200)
    hooks = expect(admin.get("/api/v1/webhooks"), 200)
    for hook in hooks:
        path = "/api/v1/webhooks/{webhook_id}/deliveries"
        call(admin, "GET", path, 200, webhook_id=hook["id"])
    nomination = {"reviewee_id": pm.id, "reviewer_ids": [peer.id]}
    call(
        manager.api, "POST", cycle + "/peer-nominations", 201, who="manager",
        json=nomination, cycle_id=cycle_id,
    )  # fmt: skip

    call(pm.api, "GET", "/api/v1/me/reviews", 200, who="pm", query={"cycle_id": cycle_id})
    own = review_of(pm.api, cycle_id, "self", pm.id)["id"]
    draft = {"ratings": [{"competency_id": c, "score": None} for c in competency_ids]}
    call(pm.api, "PATCH", REVIEW, 428, who="pm", json=draft, review_id=own)
    call(pm.api, "PATCH", REVIEW, 412, who="pm", json=draft, headers=STALE, review_id=own)
    tag = pm.api.get(REVIEW.format(review_id=own)).headers["ETag"]
    headers = {"If-Match": tag}
    call(pm.api, "PATCH", REVIEW, 200, who="pm", json=draft, headers=headers, review_id=own)

    written = {
        "ratings": [{"competency_id": c, "score": 3, "comment": "Solid."} for c in competency_ids],
        "summary": "Fine.",
    }
    to_write = [
        (manager, review_of(manager.api, cycle_id, "manager", pm.id)["id"]),
        (peer, review_of(peer.api, cycle_id, "peer", pm.id)["id"]),
        (pm, review_of(pm.api, cycle_id, "upward", manager.id)["id"]),
    ]
    for author, review_id in to_write:
        tag = author.api.get(REVIEW.format(review_id=review_id)).headers["ETag"]
        saved = author.api.patch(
            REVIEW.format(review_id=review_id), json=written, headers={"If-Match": tag}
        )
        expect(saved, 200)
        headers = {"If-Match": saved.headers["ETag"]}
        call(author.api, "POST", REVIEW + "/submit", 200, who="author", headers=headers,
             review_id=review_id)  # fmt: skip
    upward_review = to_write[2][1]
    tag = admin.get(REVIEW.format(review_id=upward_review)).headers["ETag"]
    call(admin, "POST", REVIEW + "/reopen", 200, headers={"If-Match": tag}, review_id=upward_review)
    for who, person in (("admin", org.admin), ("manager", manager), ("pm", pm)):
        query = {"cycle_id": cycle_id, "page_size": 100}
        listed = call(person.api, "GET", "/api/v1/reviews", 200, who=who, query=query)
        for review in listed:
            call(person.api, "GET", REVIEW, 200, who=who, review_id=review["id"])

    call(admin, "POST", cycle + "/calibrate", 200, json={"force": True}, cycle_id=cycle_id)
    final = {"ratings": [{"competency_id": c, "score": 4} for c in competency_ids], "note": "Up."}
    calibration = cycle + "/participants/{member_id}/calibration"
    call(admin, "PUT", calibration, 200, json=final, cycle_id=cycle_id, member_id=pm.id)
    call(admin, "GET", cycle + "/participants", 200, cycle_id=cycle_id)
    call(manager.api, "GET", cycle + "/participants", 200, who="manager", cycle_id=cycle_id)
    call(admin, "POST", cycle + "/release", 200, cycle_id=cycle_id)
    call(pm.api, "GET", "/api/v1/me/feedback", 200, who="pm")
    call(manager.api, "GET", "/api/v1/me/feedback", 200, who="manager")
    for report in ("promotion-readiness", "team-metrics"):
        call(admin, "GET", f"/api/v1/reports/{report}", 200, query={"cycle_id": cycle_id})

    other = call(admin, "POST", CYCLES, 201, json=cycle_body(name="Cancelled"))["id"]
    call(admin, "POST", cycle + "/cancel", 200, cycle_id=other)
    call(admin, "GET", "/api/v1/audit-events", 200, query={"page_size": 100})


@pytest.fixture(scope="module")
def answers(app: Flask) -> list[Answer]:
    client = app.test_client()
    recorder = Recorder()
    slug = f"answers-{uuid.uuid4().hex[:8]}"
    admin = {"email": "root@example.com", "name": "Root", "password": PASSWORD}
    signed_up = client.post("/api/v1/orgs", json={"name": "Answers", "slug": slug, "admin": admin})
    recorder.answers.append(Answer("POST", "/api/v1/orgs", 201, expect(signed_up, 201), "anon"))
    credentials = {"org": slug, "email": admin["email"], "password": PASSWORD}
    logged_in = expect(client.post("/api/v1/auth/token", json=credentials), 200)
    recorder.answers.append(Answer("POST", "/api/v1/auth/token", 200, logged_in, "anon"))

    org = OrgFactory(client).create()
    team = build_team(org, pms=2)
    _walk_setup(recorder, org, team.manager)
    _walk_cycle(recorder, org, team.manager, team.pms[0], team.pms[1])
    return recorder.answers


def _media_schema(spec: dict[str, Any], answer: Answer) -> dict[str, Any]:
    operation = spec["paths"][answer.path][answer.method.lower()]
    responses = operation["responses"]
    assert str(answer.status) in responses, f"{answer.status} is not documented"
    response = resolve(spec, responses[str(answer.status)])
    schema: dict[str, Any] = response["content"]["application/json"]["schema"]
    return schema


def _unrequired_but_sent(
    spec: dict[str, Any],
    classes: dict[str, type[ma.Schema]],
    schema: dict[str, Any],
    value: Any,
    where: str,
) -> Iterator[str]:
    """Fields the body carries that its schema neither requires nor marks sometimes absent."""
    name = None
    while "$ref" in schema:
        name = schema["$ref"].removeprefix(SCHEMAS)
        schema = resolve(spec, schema)
    if value is None:
        return
    for alternative in schema.get("anyOf", []) + schema.get("allOf", []):
        if "$ref" in alternative:  # a nullable nested schema
            yield from _unrequired_but_sent(spec, classes, alternative, value, where)
    if schema.get("type") == "array" and isinstance(value, list):
        for index, item in enumerate(value):
            yield from _unrequired_but_sent(
                spec, classes, schema["items"], item, f"{where}[{index}]"
            )
    elif isinstance(value, dict) and "properties" in schema:
        if name in FLASK_SMOREST:
            return  # flask-smorest's own schemas, documented as it writes them
        absent = _sometimes_absent(classes[name]) if name in classes else set()
        for key, item in value.items():
            if key in schema["properties"]:
                if key not in schema.get("required", []) and key not in absent:
                    yield f"{where}.{key} ({name})"
                yield from _unrequired_but_sent(
                    spec, classes, schema["properties"][key], item, f"{where}.{key}"
                )
    elif isinstance(value, dict) and isinstance(schema.get("additionalProperties"), dict):
        for key, item in value.items():
            yield from _unrequired_but_sent(
                spec, classes, schema["additionalProperties"], item, f"{where}.{key}"
            )


def test_the_walk_meets_every_operation_that_answers_json(
    answers: list[Answer], spec: dict[str, Any]
) -> None:
    with_json = {
        (m, p)
        for m, p, op in operations(spec)
        if any(
            "application/json" in resolve(spec, r).get("content", {})
            for c, r in op["responses"].items()
            if c.startswith("2")
        )
    }
    walked = {(a.method, a.path) for a in answers}
    assert sorted(with_json - walked) == []


def _nullable_all_of(validator: Any, all_of: Any, instance: Any, schema: dict[str, Any]) -> Any:
    """``{"nullable": true, "allOf": [{"$ref": ...}]}``, a nullable nested object, takes
    null: generated clients read it so (``None | X``). openapi-schema-validator follows
    the strict reading of OpenAPI 3.0.3, where ``nullable`` needs a ``type`` beside it
    and the referenced schema refuses null all the same."""
    if instance is None and schema.get("nullable") is True:
        return
    yield from OAS30ReadValidator.VALIDATORS["allOf"](validator, all_of, instance, schema)


AnswerValidator = extend(OAS30ReadValidator, {"allOf": _nullable_all_of})


def test_real_answers_match_their_documented_schema(
    answers: list[Answer], spec: dict[str, Any], classes: dict[str, type[ma.Schema]]
) -> None:
    """Each answer validates against its schema: every required field is there (else a
    generated client fails to parse it), with its type, and nothing undocumented; and
    every field it carries is required unless marked sometimes absent."""
    problems = []
    for answer in answers:
        label = f"{answer.method} {answer.path} {answer.status} as {answer.who}"
        schema = _media_schema(spec, answer)
        validator = AnswerValidator(
            {"allOf": [schema], "components": spec["components"]},
            format_checker=oas30_format_checker,
        )
        problems += [
            f"{label}: {'/'.join(map(str, e.absolute_path))}: {e.message}"
            for e in validator.iter_errors(answer.body)
        ]
        problems += [
            f"{label}: {where} is sent but not required"
            for where in _unrequired_but_sent(spec, classes, schema, answer.body, "body")
        ]
    assert problems == []


def test_fields_marked_sometimes_absent_are_absent_somewhere(answers: list[Answer]) -> None:
    """The mark is not a way out of ``required``: the walk meets each marked field of
    these answers missing at least once."""
    created = next(a.body for a in answers if a.path == "/api/v1/members" and a.method == "POST")
    assert "manager_name" not in created
    participants = [a for a in answers if a.path.endswith("/participants") and a.who == "manager"]
    assert participants
    assert all("final_ratings" not in p for a in participants for p in a.body)
    listed = [a for a in answers if a.method == "GET" and a.path == CYCLES]
    assert all("competencies" not in c for a in listed for c in a.body)
    peer_reviews = [
        r
        for a in answers
        if a.path == "/api/v1/reviews" and a.who == "manager"
        for r in a.body
        if r["type"] == "peer"
    ]
    assert peer_reviews
    assert all("reviewer_id" not in r for r in peer_reviews)
