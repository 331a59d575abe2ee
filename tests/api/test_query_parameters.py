"""A query parameter an operation does not read answers 422, as an unknown body field
does: a misspelt filter must not quietly return everything."""

from __future__ import annotations

from typing import Any

from flask import Flask

from tests.support.api import OrgFactory, expect
from tests.support.career import csv_of, post_csv
from tests.support.openapi import operations, resolve


def test_a_misspelt_filter_is_refused(orgs: OrgFactory) -> None:
    org = orgs.create()
    answer = expect(org.admin.api.get("/api/v1/members?tem_id=x&status=active"), 422)
    assert answer["errors"] == {"tem_id": ["Unknown field."]}
    assert "tem_id" in answer["message"]


def test_page_parameters_belong_to_lists_only(orgs: OrgFactory) -> None:
    org = orgs.create()
    expect(org.admin.api.get("/api/v1/members?page=1&page_size=5&status=active"), 200)
    assert list(expect(org.admin.api.get("/api/v1/me?page=2"), 422)["errors"]) == ["page"]


def test_a_write_with_an_unknown_parameter_changes_nothing(orgs: OrgFactory) -> None:
    org = orgs.create()
    people = csv_of("new@example.com,New Person,PM,pm,,,")
    refused = expect(post_csv(org.admin.api, people, dryrun="true"), 422)
    assert list(refused["errors"]) == ["dryrun"]
    listed = expect(org.admin.api.get("/api/v1/members"), 200)
    assert [m["email"] for m in listed] == [org.admin.email]
    assert expect(post_csv(org.admin.api, people, dry_run="true"), 200)["dry_run"] is True


def test_every_operation_reads_exactly_the_query_parameters_it_documents(app: Flask) -> None:
    spec: dict[str, Any] = app.test_client().get("/openapi.json").get_json()
    documented = {
        (method, path): {
            resolve(spec, p)["name"]
            for p in operation.get("parameters", [])
            if resolve(spec, p)["in"] == "query"
        }
        for method, path, operation in operations(spec)
    }
    read: dict[tuple[str, str], set[str]] = {}
    for rule in app.url_map.iter_rules():
        view = app.view_functions[rule.endpoint]
        view_class = getattr(view, "view_class", None)
        path = str(rule.rule).replace("<uuid:", "{").replace(">", "}")
        for method in rule.methods or ():
            target = getattr(view_class, method.lower(), None) if view_class else view
            access = getattr(target, "access", None)
            if access is not None and (method, path) in documented:
                read[(method, path)] = set(access.query_names)
    assert len(read) > 40
    assert sum(1 for names in read.values() if names) > 10
    assert {key: documented[key] for key in read} == read
