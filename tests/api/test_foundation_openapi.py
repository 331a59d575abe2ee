"""The committed OpenAPI document: generated, valid, complete, and in step with the code.

Integrators generate clients from ``openapi/openapi.json``; regenerate it with
``make openapi`` whenever an endpoint or a schema changes.
"""

from __future__ import annotations

import json
import os
import re
import subprocess
import sys
import warnings
from collections import Counter
from pathlib import Path
from typing import Any

import pytest
from flask import Flask
from openapi_spec_validator import validate

from service.app import create_app
from tests.support.openapi import operations, resolve

ROOT = Path(__file__).resolve().parents[2]
COMMITTED = ROOT / "openapi" / "openapi.json"
NO_DATABASE = "postgresql+psycopg://unused@127.0.0.1:1/unused"


@pytest.fixture(scope="module")
def spec(app: Flask) -> dict[str, Any]:
    """The document the code produces now (the drift tests hold the committed file to it)."""
    document: dict[str, Any] = app.test_client().get("/openapi.json").get_json()
    return document


def test_the_committed_file_is_what_make_openapi_writes(tmp_path: Path) -> None:
    """The same command as ``make openapi``, with a database that does not exist."""
    written = tmp_path / "openapi.json"
    env = {**os.environ, "DATABASE_URL": NO_DATABASE, "LOG_LEVEL": "WARNING"}
    env.pop("APP_DATABASE_URL", None)
    flask = Path(sys.executable).with_name("flask")
    result = subprocess.run(
        [str(flask), "--app", "service.app", "openapi", "write", "--format=json", str(written)],
        cwd=ROOT,
        env=env,
        capture_output=True,
        text=True,
        timeout=120,
        check=False,
    )
    assert result.returncode == 0, result.stderr
    assert COMMITTED.exists(), "run `make openapi` and commit openapi/openapi.json"
    generated = json.loads(written.read_text(encoding="utf-8"))
    committed = json.loads(COMMITTED.read_text(encoding="utf-8"))
    assert generated == committed, "openapi/openapi.json is stale: run `make openapi`"


def test_the_served_document_is_the_committed_one(spec: dict[str, Any]) -> None:
    committed = json.loads(COMMITTED.read_text(encoding="utf-8"))
    assert spec == committed, "openapi/openapi.json is stale: run `make openapi`"


def test_it_is_a_valid_openapi_document(spec: dict[str, Any]) -> None:
    validate(spec)
    assert spec["openapi"].startswith("3.")


def test_every_operation_has_a_unique_operation_id(spec: dict[str, Any]) -> None:
    ids = [op.get("operationId") for _, _, op in operations(spec)]
    assert None not in ids
    assert [i for i, n in Counter(ids).items() if n > 1] == []


def test_bearer_authentication_is_the_default(spec: dict[str, Any]) -> None:
    schemes = spec["components"]["securitySchemes"]
    assert schemes["bearerAuth"] == {"type": "http", "scheme": "bearer"}
    assert spec["security"] == [{"bearerAuth": []}]


def test_every_non_public_operation_documents_401_and_403(spec: dict[str, Any]) -> None:
    missing = [
        (method, path, code)
        for method, path, op in operations(spec)
        if op.get("security") != []
        for code in ("401", "403")
        if code not in op["responses"]
    ]
    assert missing == []


BODY_METHODS = {"POST", "PUT", "PATCH"}


def _takes_json(op: dict[str, Any]) -> bool:
    """A JSON body, or none at all (``{}`` is taken where no body is read)."""
    return "requestBody" not in op or "application/json" in op["requestBody"]["content"]


def test_every_operation_documents_what_the_server_answers_before_the_view(
    spec: dict[str, Any],
) -> None:
    """``api.requests`` answers these for any operation, whatever the view: 422 for a
    query parameter it does not read; for a body, 413 (too large), 415 (a type it does
    not take) and, for JSON, 400 (not JSON); 409 on a POST while a request with the same
    `Idempotency-Key` is still being answered; 429 for a spent budget (a token's, or a
    client address's for public writes)."""
    missing = []
    for method, path, op in operations(spec):
        expected = {"422"}
        if op.get("security") != []:
            expected |= {"401", "403", "429"}
        if method in BODY_METHODS:
            expected |= {"413", "415", "429"}
            if _takes_json(op):
                expected.add("400")
        if method == "POST":
            expected.add("409")
        missing += [(method, path, code) for code in sorted(expected - set(op["responses"]))]
    assert missing == []


def _headers(spec: dict[str, Any], response: dict[str, Any]) -> set[str]:
    return set(resolve(spec, response).get("headers", {}))


def test_rate_limit_and_replay_headers_are_documented(spec: dict[str, Any]) -> None:
    """Every 429 says ``Retry-After``; the answers of authenticated operations carry the
    token's budget; those of POSTs may be replays (``Idempotent-Replayed``)."""
    budget = {"X-RateLimit-Limit", "X-RateLimit-Remaining", "X-RateLimit-Reset"}
    missing = []
    for method, path, op in operations(spec):
        for code, response in op["responses"].items():
            expected = set()
            if code == "429":
                expected.add("Retry-After")
            if code.startswith("2"):
                expected |= budget if op.get("security") != [] else set()
                expected |= {"Idempotent-Replayed"} if method == "POST" else set()
            missing += [(method, path, code, h) for h in expected - _headers(spec, response)]
    assert missing == []
    assert set(spec["components"]["headers"]) >= budget | {"Retry-After", "Idempotent-Replayed"}


def test_every_documented_error_has_the_error_shape(spec: dict[str, Any]) -> None:
    error = spec["components"]["schemas"]["Error"]
    assert set(error["properties"]) == {"code", "status", "message", "errors"}
    shapeless = []
    for method, path, op in operations(spec):
        for code, response in op["responses"].items():
            if code == "default" or int(code) < 400:
                continue
            content = resolve(spec, response).get("content", {})
            schema = content.get("application/json", {}).get("schema")
            if schema is None:
                shapeless.append((method, path, code))
    assert shapeless == []


def test_public_operations_are_exactly_the_declared_ones(app: Flask, spec: dict[str, Any]) -> None:
    declared = {}
    for rule in app.url_map.iter_rules():
        view = app.view_functions[rule.endpoint]
        view_class = getattr(view, "view_class", None)
        for method in rule.methods or ():
            target = getattr(view_class, method.lower(), None) if view_class else view
            access = getattr(target, "access", None)
            if access is not None and method not in {"HEAD", "OPTIONS"}:
                path = re.sub(r"<(?:[^:<>]+:)?([^<>]+)>", r"{\1}", rule.rule)
                declared[(method, path)] = access.public
    documented = {(m, p): op.get("security") == [] for m, p, op in operations(spec)}
    assert documented == declared


def test_schema_names_are_unique(owner_url: str) -> None:
    """apispec renames a second schema class of the same name (and warns): clients
    would then get ``Member1``. Build a fresh app and listen for that warning."""
    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always")
        fresh = create_app({"DATABASE_URL": owner_url, "LOG_LEVEL": "WARNING"})
        with fresh.test_request_context():
            names = list(
                fresh.extensions["flask-smorest"]["apis"][""]["ext_obj"].spec.to_dict()[
                    "components"
                ]["schemas"]
            )
    fresh.extensions["review_engine"].dispose()
    clashes = [str(w.message) for w in caught if "Multiple schemas" in str(w.message)]
    assert clashes == []
    assert len(names) == len(set(names))
    suffixed = [n for n in names if n[-1].isdigit() and n.rstrip("0123456789") in names]
    assert suffixed == []
