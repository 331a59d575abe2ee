"""Properties every API operation must have, whoever wrote it and whenever.

The operations are read from the application itself (``app.url_map`` and the
``operation(...)`` declaration on each view), so endpoints added later are
covered without touching this file:

- deny by default: every API view declares who may call it;
- the role matrix: each kind of caller gets exactly what the declaration says
  (403 before the view runs when it does not allow them);
- tenancy: another organisation's id answers exactly as a random id does;
- no mass assignment: ``org_id``, ``status`` and ``access_role`` in a body that
  does not take them answer 422.
"""

from __future__ import annotations

import json
import re
import uuid
from collections.abc import Iterator
from dataclasses import dataclass
from typing import Any

import psycopg
import pytest
from flask import Flask

from service.api.operations import Access
from service.api.requests import OPEN_BLUEPRINTS
from service.app import create_app
from service.domain.access import AccessRole, Scope
from tests.support.api import ApiClient, Org, OrgFactory, api_token, expect
from tests.support.database import owner_connection

NO_DATABASE = "postgresql+psycopg://unused@127.0.0.1:1/unused"
PARAMETER = re.compile(r"<(?:[^:<>]+:)?([^<>]+)>")


@dataclass(frozen=True)
class Operation:
    method: str
    rule: str
    endpoint: str
    access: Access | None

    @property
    def parameters(self) -> list[str]:
        return PARAMETER.findall(self.rule)

    def path(self, values: dict[str, str]) -> str:
        return PARAMETER.sub(lambda m: values[m.group(1)], self.rule)

    def __str__(self) -> str:
        return f"{self.method} {self.rule}"


def operations_of(app: Flask) -> list[Operation]:
    """Every (method, rule) the API serves, with its access declaration (None if absent)."""
    found = []
    for rule in app.url_map.iter_rules():
        blueprint = rule.endpoint.rpartition(".")[0]
        if rule.endpoint == "static" or blueprint in OPEN_BLUEPRINTS:
            continue
        view = app.view_functions[rule.endpoint]
        view_class = getattr(view, "view_class", None)
        for method in sorted((rule.methods or set()) - {"HEAD", "OPTIONS"}):
            target = getattr(view_class, method.lower(), None) if view_class else view
            found.append(
                Operation(method, rule.rule, rule.endpoint, getattr(target, "access", None))
            )
    return sorted(found, key=lambda o: (o.rule, o.method))


def _collect() -> list[Operation]:
    """At collection time, from an app that never connects (create_app must not)."""
    app = create_app({"DATABASE_URL": NO_DATABASE, "LOG_LEVEL": "WARNING"})
    try:
        return operations_of(app)
    finally:
        app.extensions["review_engine"].dispose()


OPERATIONS = _collect()
DECLARED = [o for o in OPERATIONS if o.access is not None]
WITH_IDS = [o for o in DECLARED if o.parameters]


def test_there_are_operations_to_check() -> None:
    assert len(DECLARED) >= 15
    assert any(o.access and o.access.public for o in DECLARED)


def test_every_api_view_declares_its_access() -> None:
    """Deny by default: a view without ``operation(...)`` would answer 403 to everyone."""
    undeclared = [str(o) for o in OPERATIONS if o.access is None]
    assert undeclared == []
    assert all(o.rule.startswith("/api/v1/") for o in OPERATIONS)


def test_non_public_operations_name_a_scope() -> None:
    assert [
        str(o) for o in DECLARED if o.access and not o.access.public and not o.access.scope
    ] == []


# --- callers -------------------------------------------------------------------------


@dataclass(frozen=True)
class Caller:
    name: str
    role: AccessRole | None  # None: no token at all
    scopes: frozenset[Scope]
    api: ApiClient


@dataclass
class World:
    """Organisation A with every kind of caller; organisation B to be foreign to it."""

    a: Org
    b: Org
    callers: list[Caller]
    pm_id: str


@pytest.fixture(scope="module")
def world(app: Flask) -> World:
    factory = OrgFactory(app.test_client())
    a, b = factory.create("Matrix A"), factory.create("Matrix B")
    head = a.add_member(access_role="head_of_product")
    pm = a.add_member(access_role="pm", manager_id=head.id)
    everything = frozenset(Scope)
    callers = [
        Caller("admin", AccessRole.ADMIN, everything, a.admin.api),
        Caller("head_of_product", AccessRole.HEAD_OF_PRODUCT, everything, head.api),
        Caller("pm", AccessRole.PM, everything, pm.api),
        Caller("token:read", AccessRole.ADMIN, frozenset({Scope.READ}), api_token(a, ["read"])),
        Caller(
            "token:write",
            AccessRole.ADMIN,
            frozenset({Scope.READ, Scope.WRITE}),
            api_token(a, ["read", "write"]),
        ),
        Caller(
            "token:admin", AccessRole.ADMIN, everything, api_token(a, ["read", "write", "admin"])
        ),
        Caller("anonymous", None, frozenset(), ApiClient(a.client, None)),
    ]
    for org in (a, b):
        _populate(org)
    return World(a, b, callers, pm.id)


def _populate(org: Org) -> None:
    """A row of each kind the ids point at (bodies as PRODUCT.md describes them); a
    seed that fails fails the test, so no cross-tenant check is left without a target."""
    api = org.admin.api
    roles = expect(api.get("/api/v1/product-roles"), 200)
    org.add_member(title="Target", manager_id=org.admin.id, product_role_id=roles[0]["id"])
    # Without a password: only such a member can be invited.
    invitee = {"email": f"invitee@{org.slug}.example.com", "name": "Invitee"}
    invited = expect(api.post("/api/v1/members", json=invitee), 201)
    expect(api.post(f"/api/v1/members/{invited['id']}/invitation"), 201)
    api_token(org, ["read"])
    expect(api.post("/api/v1/teams", json={"name": "Target team"}), 201)
    # Inactive, so that it never gets a delivery: no test sends anything off this machine.
    hook = {"url": "https://93.184.216.34/hooks", "events": ["cycle.launched"], "active": False}
    expect(api.post("/api/v1/webhooks", json=hook), 201)
    cycle = expect(
        api.post(
            "/api/v1/cycles",
            json={
                "name": "Target cycle",
                "period_start": "2026-01-01",
                "period_end": "2026-06-30",
                "review_types": ["self", "manager"],
                "self_review_due": "2026-07-10",
                "manager_review_due": "2026-07-20",
                "peer_review_due": "2026-07-15",
            },
        ),
        201,
    )
    expect(api.post(f"/api/v1/cycles/{cycle['id']}/launch"), 200)  # it makes the reviews


def _allowed(access: Access, caller: Caller) -> bool:
    if access.public:
        return True
    if caller.role is None or access.scope not in caller.scopes:
        return False
    return not access.roles or caller.role in access.roles


def _call(api: ApiClient, operation: Operation, path: str, body: Any = None) -> Any:
    if operation.method in {"POST", "PUT", "PATCH"}:
        return api.request(operation.method, path, json={} if body is None else body)
    return api.request(operation.method, path)


def _random_ids(operation: Operation) -> dict[str, str]:
    return {name: str(uuid.uuid4()) for name in operation.parameters}


# --- the role matrix --------------------------------------------------------------------


@pytest.mark.parametrize("operation", DECLARED, ids=str)
def test_role_matrix(world: World, operation: Operation) -> None:
    """Denied callers get 403 (401 without a token) before the view runs; allowed ones
    are never refused for who they are. Ids are random, bodies empty: nothing changes."""
    access = operation.access
    assert access is not None
    path = operation.path(_random_ids(operation))
    expected, actual = {}, {}
    for caller in world.callers:
        status = _call(caller.api, operation, path).status_code
        if _allowed(access, caller):
            expected[caller.name] = "allowed"
            actual[caller.name] = "allowed" if status not in (401, 403) else status
        else:
            expected[caller.name] = 401 if caller.role is None else 403
            actual[caller.name] = status
    assert actual == expected


FOUNDATION_MATRIX = [
    # method, path, admin, head_of_product, pm, token:read, token:write, token:admin, anonymous
    ("GET", "/api/v1/org", 200, 200, 200, 200, 200, 200, 401),
    ("PATCH", "/api/v1/org", 200, 403, 403, 403, 403, 200, 401),
    ("GET", "/api/v1/me", 200, 200, 200, 200, 200, 200, 401),
    ("GET", "/api/v1/members", 200, 200, 200, 200, 200, 200, 401),
    ("POST", "/api/v1/members", 422, 403, 403, 403, 403, 422, 401),
    ("GET", "/api/v1/members/{pm}", 200, 200, 200, 200, 200, 200, 401),
    ("PATCH", "/api/v1/members/{pm}", 200, 403, 403, 403, 403, 200, 401),
    ("POST", "/api/v1/members/{random}/deactivate", 404, 403, 403, 403, 403, 404, 401),
    ("POST", "/api/v1/members/{random}/invitation", 404, 403, 403, 403, 403, 404, 401),
    ("GET", "/api/v1/api-tokens", 200, 403, 403, 403, 403, 200, 401),
    ("POST", "/api/v1/api-tokens", 422, 403, 403, 403, 403, 422, 401),
    ("DELETE", "/api/v1/api-tokens/{random}", 404, 403, 403, 403, 403, 404, 401),
    ("GET", "/api/v1/audit-events", 200, 403, 403, 403, 403, 200, 401),
    ("POST", "/api/v1/orgs", 422, 422, 422, 422, 422, 422, 422),
    ("POST", "/api/v1/auth/token", 422, 422, 422, 422, 422, 422, 422),
    ("POST", "/api/v1/auth/accept-invitation", 422, 422, 422, 422, 422, 422, 422),
]


@pytest.mark.parametrize(
    ("method", "template", "admin", "hop", "pm", "read", "write", "token_admin", "none"),
    FOUNDATION_MATRIX,
    ids=[f"{m} {p}" for m, p, *_ in FOUNDATION_MATRIX],
)
def test_foundation_statuses_by_caller(
    world: World,
    method: str,
    template: str,
    admin: int,
    hop: int,
    pm: int,
    read: int,
    write: int,
    token_admin: int,
    none: int,
) -> None:
    path = template.format(pm=world.pm_id, random=uuid.uuid4())
    actual = {}
    for caller in world.callers:
        body = {} if method in {"POST", "PATCH"} else None
        actual[caller.name] = caller.api.request(method, path, json=body).status_code
    expected = [admin, hop, pm, read, write, token_admin, none]
    assert actual == dict(zip([c.name for c in world.callers], expected, strict=True))


# --- tenancy ------------------------------------------------------------------------


#: The table behind each id in a path: a new kind of id must be added here.
ID_TABLES = {
    "competency_id": "competencies",
    "cycle_id": "review_cycles",
    "member_id": "members",
    "review_id": "reviews",
    "role_id": "product_roles",
    "team_id": "teams",
    "token_id": "api_tokens",
    "webhook_id": "webhooks",
}


@pytest.fixture(scope="module")
def owner(owner_url: str) -> Iterator[psycopg.Connection]:
    with owner_connection(owner_url) as connection:
        yield connection


def _foreign_ids(owner: psycopg.Connection, world: World, operation: Operation) -> dict[str, str]:
    """Ids of B's objects for each parameter; B has one of every kind (``_populate``)."""
    values = {}
    for name in operation.parameters:
        assert name in ID_TABLES, f"add the table behind {name!r} to ID_TABLES"
        row = owner.execute(
            f"SELECT id::text FROM {ID_TABLES[name]} WHERE org_id = %s LIMIT 1",
            (world.b.id,),
        ).fetchone()
        assert row is not None, f"no {name} of another organisation to try"
        values[name] = row[0]
    return values


@pytest.mark.parametrize("operation", WITH_IDS, ids=str)
def test_another_organisations_id_answers_like_a_random_one(
    world: World, owner: psycopg.Connection, operation: Operation
) -> None:
    admin = world.callers[0].api  # A's admin may call everything
    random = _call(admin, operation, operation.path(_random_ids(operation)))
    assert random.status_code < 500, random.get_data(as_text=True)
    foreign = _call(admin, operation, operation.path(_foreign_ids(owner, world, operation)))
    assert (foreign.status_code, foreign.get_json()) == (random.status_code, random.get_json())


def test_foundation_ids_of_another_organisation_are_not_found(world: World) -> None:
    """The same, with bodies that would succeed on A's own objects."""
    api, b = world.callers[0].api, world.b
    theirs = next(iter(b.people))
    token = expect(b.admin.api.get("/api/v1/api-tokens"), 200)[0]["id"]
    for response in (
        api.get(f"/api/v1/members/{theirs}"),
        api.patch(f"/api/v1/members/{theirs}", json={"title": "Mine now"}),
        api.post(f"/api/v1/members/{theirs}/deactivate"),
        api.post(f"/api/v1/members/{theirs}/invitation"),
        api.delete(f"/api/v1/api-tokens/{token}"),
    ):
        assert response.status_code == 404, response.get_data(as_text=True)
    assert expect(b.admin.api.get(f"/api/v1/members/{theirs}"), 200)["title"] == "Target"
    assert token in {t["id"] for t in expect(b.admin.api.get("/api/v1/api-tokens"), 200)}


def test_a_foreign_manager_reads_like_a_missing_one(world: World) -> None:
    api = world.callers[0].api
    mine = next(iter(world.a.people))
    foreign = api.patch(f"/api/v1/members/{mine}", json={"manager_id": world.b.admin.id})
    missing = api.patch(f"/api/v1/members/{mine}", json={"manager_id": str(uuid.uuid4())})
    assert foreign.status_code == missing.status_code == 422
    assert foreign.get_json() == missing.get_json()


def test_lists_never_show_or_count_another_organisation(world: World) -> None:
    for path in ("/api/v1/members", "/api/v1/api-tokens", "/api/v1/audit-events"):
        response = world.callers[0].api.get(f"{path}?page_size=100")
        text = response.get_data(as_text=True)
        assert world.b.id not in text
        assert world.b.admin.id not in text
        assert all(person not in text for person in world.b.people)
        total = json.loads(response.headers["X-Pagination"])["total"]
        assert total == len(response.get_json())


# --- mass assignment ----------------------------------------------------------------

PROTECTED_FIELDS = {"org_id": str(uuid.uuid4()), "status": "active", "access_role": "admin"}


def _request_properties(spec: dict[str, Any], operation: dict[str, Any]) -> set[str] | None:
    content = operation.get("requestBody", {}).get("content", {})
    schema = content.get("application/json", {}).get("schema")
    if schema is None:
        return None
    while "$ref" in schema:
        schema = spec["components"]["schemas"][schema["$ref"].rsplit("/", 1)[1]]
    return {name for name, prop in schema.get("properties", {}).items() if not prop.get("readOnly")}


def _json_body_operations(app: Flask) -> list[tuple[str, str, set[str]]]:
    spec = app.test_client().get("/openapi.json").get_json()
    found = []
    for path, item in spec["paths"].items():
        for method, operation in item.items():
            properties = (
                _request_properties(spec, operation) if isinstance(operation, dict) else None
            )
            if properties is not None:
                found.append((method.upper(), path, properties))
    return found


def test_protected_fields_are_refused_wherever_a_body_does_not_take_them(
    app: Flask, world: World
) -> None:
    checked = []
    for method, template, properties in _json_body_operations(app):
        smuggled = {k: v for k, v in PROTECTED_FIELDS.items() if k not in properties}
        if not smuggled:
            continue
        path = re.sub(r"\{[^}]+\}", lambda _: str(uuid.uuid4()), template)
        response = world.callers[0].api.request(method, path, json=smuggled)
        body = response.get_json()
        assert response.status_code == 422, (method, template, body)
        for field in smuggled:
            assert body["errors"].get(field) == ["Unknown field."], (method, template, body)
        checked.append(f"{method} {template}")
    assert {"POST /api/v1/members", "PATCH /api/v1/org", "POST /api/v1/api-tokens"} <= set(checked)


def test_a_member_cannot_be_made_admin_or_moved_through_sign_up(world: World) -> None:
    response = world.a.client.post(
        "/api/v1/orgs",
        json={
            "name": "Sneaky",
            "slug": f"sneaky-{uuid.uuid4().hex[:8]}",
            "org_id": world.b.id,
            "admin": {
                "email": "x@example.com",
                "name": "X",
                "password": "long enough password",
                "org_id": world.b.id,
                "status": "active",
            },
        },
    )
    errors = expect(response, 422)["errors"]
    assert errors["org_id"] == ["Unknown field."]
    assert set(errors["admin"]) == {"org_id", "status"}
