"""Talking to the API in tests, as integrators would: over HTTP, with tokens."""

from __future__ import annotations

import uuid
from dataclasses import dataclass, field
from typing import Any

from flask.testing import FlaskClient
from werkzeug.test import TestResponse

PASSWORD = "correct horse battery staple"


class ApiClient:
    def __init__(self, client: FlaskClient, token: str | None) -> None:
        self.client = client
        self.token = token

    def _headers(self, headers: dict[str, str] | None) -> dict[str, str]:
        result = dict(headers or {})
        if self.token:
            result.setdefault("Authorization", f"Bearer {self.token}")
        return result

    def request(
        self,
        method: str,
        path: str,
        *,
        json: Any = None,
        headers: dict[str, str] | None = None,
        **kwargs: Any,
    ) -> TestResponse:
        return self.client.open(
            path, method=method, json=json, headers=self._headers(headers), **kwargs
        )

    def get(self, path: str, **kwargs: Any) -> TestResponse:
        return self.request("GET", path, **kwargs)

    def post(self, path: str, json: Any = None, **kwargs: Any) -> TestResponse:
        return self.request("POST", path, json=json, **kwargs)

    def patch(self, path: str, json: Any = None, **kwargs: Any) -> TestResponse:
        return self.request("PATCH", path, json=json, **kwargs)

    def put(self, path: str, json: Any = None, **kwargs: Any) -> TestResponse:
        return self.request("PUT", path, json=json, **kwargs)

    def delete(self, path: str, **kwargs: Any) -> TestResponse:
        return self.request("DELETE", path, **kwargs)


def expect(response: TestResponse, status: int) -> Any:
    assert response.status_code == status, (response.status_code, response.get_data(as_text=True))
    return response.get_json(silent=True)


@dataclass
class Person:
    id: str
    email: str
    api: ApiClient


@dataclass
class Org:
    id: str
    slug: str
    admin: Person
    client: FlaskClient
    people: dict[str, Person] = field(default_factory=dict)

    def log_in(self, email: str, password: str = PASSWORD) -> ApiClient:
        body = expect(
            self.client.post(
                "/api/v1/auth/token", json={"org": self.slug, "email": email, "password": password}
            ),
            200,
        )
        return ApiClient(self.client, body["access_token"])

    def add_member(
        self, *, access_role: str = "pm", name: str | None = None, **fields: Any
    ) -> Person:
        email = fields.pop("email", None) or f"{uuid.uuid4().hex[:10]}@example.com"
        body = {
            "email": email,
            "name": name or email.split("@")[0],
            "access_role": access_role,
            "password": PASSWORD,
            **fields,
        }
        created = expect(self.admin.api.post("/api/v1/members", json=body), 201)
        person = Person(created["id"], email, self.log_in(email))
        self.people[person.id] = person
        return person


class OrgFactory:
    def __init__(self, client: FlaskClient) -> None:
        self.client = client

    def create(self, name: str = "Acme Product") -> Org:
        slug = f"org-{uuid.uuid4().hex[:12]}"
        admin_email = f"admin-{uuid.uuid4().hex[:6]}@example.com"
        body = expect(
            self.client.post(
                "/api/v1/orgs",
                json={
                    "name": name,
                    "slug": slug,
                    "admin": {"email": admin_email, "name": "Admin", "password": PASSWORD},
                },
            ),
            201,
        )
        org = Org(
            body["organisation"]["id"],
            slug,
            Person(body["admin_id"], admin_email, ApiClient(self.client, None)),
            self.client,
        )
        org.admin.api = org.log_in(admin_email)
        return org


def audit_events(org: Org, **query: Any) -> list[dict[str, Any]]:
    """The organisation's audit log as its admin reads it, newest first."""
    events: list[dict[str, Any]] = expect(
        org.admin.api.get("/api/v1/audit-events", query_string={"page_size": 100, **query}), 200
    )
    return events


def api_token(org: Org, scopes: list[str]) -> ApiClient:
    """A client with a new API token of the admin, with these scopes."""
    body = expect(
        org.admin.api.post("/api/v1/api-tokens", json={"name": "integration", "scopes": scopes}),
        201,
    )
    return ApiClient(org.client, body["token"])
