"""Talking to the service as integrators do: JSON over HTTP with bearer tokens.

For seeding: ``sign_up`` makes an organisation and logs its first admin in; the
``SeededOrg`` it answers calls the API as that admin.
"""

from __future__ import annotations

import json
import urllib.error
import urllib.request
import uuid
from dataclasses import dataclass
from typing import Any

PASSWORD = "bench password 1234"


class HttpError(RuntimeError):
    pass


def call(
    base_url: str,
    method: str,
    path: str,
    body: Any = None,
    *,
    token: str | None = None,
    expect: int = 200,
) -> Any:
    """One JSON request; anything but the expected status is an error, with the body."""
    data = None if body is None else json.dumps(body).encode()
    request = urllib.request.Request(base_url + path, data=data, method=method)
    if data is not None:
        request.add_header("Content-Type", "application/json")
    if token:
        request.add_header("Authorization", f"Bearer {token}")
    try:
        with urllib.request.urlopen(request, timeout=30) as answer:
            status, payload = answer.status, answer.read()
    except urllib.error.HTTPError as error:
        status, payload = error.code, error.read()
    if status != expect:
        raise HttpError(f"{method} {path}: {status}, expected {expect}: {payload[:500]!r}")
    return json.loads(payload) if payload else None


@dataclass(slots=True)
class SeededOrg:
    """An organisation made through the API, with its first admin logged in."""

    base_url: str
    id: str
    slug: str
    admin_id: str
    admin_email: str
    token: str

    def call(self, method: str, path: str, body: Any = None, *, expect: int = 200) -> Any:
        return call(self.base_url, method, path, body, token=self.token, expect=expect)

    def log_in(self, email: str, password: str = PASSWORD) -> str:
        body = {"org": self.slug, "email": email, "password": password}
        answer = call(self.base_url, "POST", "/api/v1/auth/token", body)
        token: str = answer["access_token"]
        return token

    def add_member(self, *, access_role: str = "pm", **fields: Any) -> dict[str, Any]:
        email = fields.pop("email", None) or f"m-{uuid.uuid4().hex[:10]}@bench.example"
        body = {"email": email, "name": email.split("@")[0], "access_role": access_role, **fields}
        member: dict[str, Any] = self.call("POST", "/api/v1/members", body, expect=201)
        return member


def sign_up(base_url: str, name: str = "Bench Product") -> SeededOrg:
    slug = f"bench-{uuid.uuid4().hex[:12]}"
    email = f"admin-{uuid.uuid4().hex[:8]}@bench.example"
    admin = {"email": email, "name": "Admin", "password": PASSWORD}
    body = {"name": name, "slug": slug, "admin": admin}
    answer = call(base_url, "POST", "/api/v1/orgs", body, expect=201)
    org = SeededOrg(
        base_url, answer["organisation"]["id"], slug, answer["admin_id"], email, token=""
    )
    org.token = org.log_in(email)
    return org
