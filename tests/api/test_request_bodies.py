"""Bodies the API refuses whole: too large however they are sent, of the wrong type,
with text PostgreSQL cannot store, or sent to an operation that takes none."""

from __future__ import annotations

import io
import json
from typing import Any

import pytest
from werkzeug.test import TestResponse

from tests.support.api import ApiClient, Org, OrgFactory, expect
from tests.support.career import csv_of
from tests.support.cycles import CYCLES, new_cycle

MIB = 1024 * 1024


def _chunked(api: ApiClient, path: str, body: bytes, content_type: str) -> TestResponse:
    """As a client streaming its body would send it: no Content-Length."""
    return api.client.post(
        path,
        input_stream=io.BytesIO(body),
        headers={
            "Authorization": f"Bearer {api.token}",
            "Content-Type": content_type,
            "Transfer-Encoding": "chunked",
        },
        environ_overrides={"wsgi.input_terminated": True},  # as gunicorn sets it
    )


def _team_names(org: Org) -> list[str]:
    return [t["name"] for t in expect(org.admin.api.get("/api/v1/teams"), 200)]


def test_a_chunked_json_body_over_1_mib_answers_413_and_creates_nothing(
    orgs: OrgFactory,
) -> None:
    org = orgs.create()
    body = b'{"name": "over the limit"' + b" " * MIB + b"}"
    refused = _chunked(org.admin.api, "/api/v1/teams", body, "application/json")
    answer = expect(refused, 413)
    assert answer["status"] == "Request Entity Too Large"
    assert _team_names(org) == []


def test_a_chunked_json_body_within_the_limit_is_read_whole(orgs: OrgFactory) -> None:
    org = orgs.create()
    body = json.dumps({"name": "Streamed", "description": "x" * 1000}).encode()
    created = expect(_chunked(org.admin.api, "/api/v1/teams", body, "application/json"), 201)
    assert created["description"] == "x" * 1000


def test_a_chunked_import_over_10_mib_answers_413_and_imports_nothing(orgs: OrgFactory) -> None:
    org = orgs.create()
    rows = [f"p{i}@big.example,Person {i},PM,pm,,," for i in range(300_000)]
    body = csv_of(*rows).encode()
    assert len(body) > 10 * MIB
    expect(_chunked(org.admin.api, "/api/v1/members/import", body, "text/csv"), 413)
    members = expect(org.admin.api.get("/api/v1/members"), 200)
    assert [m["email"] for m in members] == [org.admin.email]


def test_a_chunked_body_of_another_type_answers_415(orgs: OrgFactory) -> None:
    org = orgs.create()
    refused = _chunked(org.admin.api, "/api/v1/teams", b'{"name": "T"}', "text/plain")
    expect(refused, 415)
    assert _team_names(org) == []


@pytest.mark.parametrize("text", ["nul \u0000 inside", "half a pair \ud800"])
def test_text_postgresql_cannot_store_is_a_field_error(orgs: OrgFactory, text: str) -> None:
    org = orgs.create()
    # Escaped as JSON allows: "\u0000", "\ud800".
    body = json.dumps({"name": text, "description": "fine"})
    refused = org.admin.api.post(
        "/api/v1/teams", data=body, headers={"Content-Type": "application/json"}
    )
    answer = expect(refused, 422)
    assert list(answer["errors"]) == ["name"]
    assert _team_names(org) == []


def test_unstorable_text_in_nested_fields_queries_and_public_bodies_is_refused(
    orgs: OrgFactory, anonymous: ApiClient
) -> None:
    org = orgs.create()
    patch = {"settings": {"rating_scale": {"labels": ["a", "b\u0000", "c", "d", "e"]}}}
    answer = expect(org.admin.api.patch("/api/v1/org", json=patch), 422)
    assert list(answer["errors"]) == ["settings"]
    expect(org.admin.api.get("/api/v1/members", query_string={"q": "\u0000"}), 422)
    log_in = {"org": org.slug, "email": "a\u0000@example.com", "password": "x" * 12}
    assert list(expect(anonymous.post("/api/v1/auth/token", json=log_in), 422)["errors"]) == [
        "email"
    ]


@pytest.mark.parametrize(
    ("body", "errors"),
    [
        ({"org_id": "x", "state": "released"}, {"org_id", "state"}),
        ([1, 2], {"_schema"}),
    ],
)
def test_an_operation_that_takes_no_body_refuses_fields(
    orgs: OrgFactory, body: Any, errors: set[str]
) -> None:
    org = orgs.create()
    cycle = new_cycle(org.admin.api)
    answer = expect(org.admin.api.post(f"{CYCLES}/{cycle['id']}/launch", json=body), 422)
    assert set(answer["errors"]) == errors
    assert expect(org.admin.api.get(f"{CYCLES}/{cycle['id']}"), 200)["state"] == "draft"


def test_an_operation_that_takes_no_body_accepts_an_empty_object(orgs: OrgFactory) -> None:
    org = orgs.create()
    cycle = new_cycle(org.admin.api)
    expect(org.admin.api.post(f"{CYCLES}/{cycle['id']}/cancel", json={}), 200)
    second = new_cycle(org.admin.api)
    expect(org.admin.api.post(f"{CYCLES}/{second['id']}/cancel"), 200)  # or none at all
