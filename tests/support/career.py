"""Helpers for the career-framework tests: the ladder, competencies and CSV imports."""

from __future__ import annotations

from typing import Any

from werkzeug.test import TestResponse

from tests.support.api import ApiClient, Org, expect

HEADER = "email,name,title,access_role,product_role,manager_email,team"


def ladder(api: ApiClient, **query: Any) -> list[dict[str, Any]]:
    roles: list[dict[str, Any]] = expect(
        api.get("/api/v1/product-roles", query_string={"page_size": 100, **query}), 200
    )
    return roles


def role_named(api: ApiClient, name: str) -> dict[str, Any]:
    return next(r for r in ladder(api) if r["name"] == name)


def competencies(api: ApiClient) -> dict[str, dict[str, Any]]:
    found = expect(api.get("/api/v1/competencies", query_string={"page_size": 100}), 200)
    return {c["key"]: c for c in found}


def post_csv(api: ApiClient, content: str | bytes, **query: Any) -> TestResponse:
    data = content.encode() if isinstance(content, str) else content
    return api.post(
        "/api/v1/members/import",
        data=data,
        headers={"Content-Type": "text/csv"},
        query_string=query,
    )


def import_csv(api: ApiClient, content: str, **query: Any) -> dict[str, Any]:
    result: dict[str, Any] = expect(post_csv(api, content, **query), 200)
    return result


def csv_of(*rows: str) -> str:
    return "\n".join([HEADER, *rows]) + "\n"


def members_by_email(org: Org) -> dict[str, dict[str, Any]]:
    found: list[dict[str, Any]] = []
    page = 1
    while True:
        batch = expect(
            org.admin.api.get("/api/v1/members", query_string={"page": page, "page_size": 100}),
            200,
        )
        found += batch
        if len(batch) < 100:
            return {m["email"]: m for m in found}
        page += 1
