"""``operation(...)``: every view's operationId, its documentation and its access rule.

The token scope it needs and the access roles that may call it; a view without one
is refused (deny by default, see ``api.requests``). What it reads (a body, which query
parameters) is known from the arguments flask-smorest documents beneath it.

From that declaration too, the answers ``api.requests`` gives before any view runs
(:func:`refusals`) and the headers it adds to the view's answers (:func:`answer_headers`)
are documented for every operation (``api.base.Blueprint``), never route by route.
"""

from __future__ import annotations

import inspect
from collections.abc import Callable, Iterable
from copy import deepcopy
from dataclasses import dataclass, replace
from typing import Any, TypeVar

import marshmallow as ma
from flask_smorest.utils import deepupdate

from service.domain.access import AccessRole, Scope

F = TypeVar("F", bound=Callable[..., Any])

BODY_LOCATIONS = frozenset({"json", "form", "files"})
PAGINATION_NAMES = frozenset({"page", "page_size"})
#: The methods whose requests may carry a body, read or not.
JSON_METHODS = frozenset({"POST", "PUT", "PATCH"})
JSON = "application/json"

#: Response headers, each documented once as a component of its own name.
RETRY_AFTER = "Retry-After"
REPLAYED = "Idempotent-Replayed"
RATE_LIMIT_HEADERS = ("X-RateLimit-Limit", "X-RateLimit-Remaining", "X-RateLimit-Reset")
HEADER_DOCS: dict[str, dict[str, Any]] = {
    RETRY_AFTER: {
        "description": "Seconds to wait before trying again.",
        "schema": {"type": "integer", "minimum": 1},
    },
    REPLAYED: {
        "description": "`true` on the stored first answer to a request retried with the same "
        "`Idempotency-Key` (replayed, not acted on again); absent otherwise.",
        "schema": {"type": "string", "enum": ["true"]},
    },
    "X-RateLimit-Limit": {
        "description": "The token's request budget per window (absent when no budget applies).",
        "schema": {"type": "integer"},
    },
    "X-RateLimit-Remaining": {
        "description": "Requests left in the budget, this one counted.",
        "schema": {"type": "integer"},
    },
    "X-RateLimit-Reset": {
        "description": "When the window frees a request again, in Unix time (seconds).",
        "schema": {"type": "integer"},
    },
}
#: What a 409 of a POST may also mean, beside the operation's own conflicts.
KEY_IN_FLIGHT = "Or a request with the same `Idempotency-Key` is still being answered."


@dataclass(frozen=True, slots=True)
class Access:
    """Who may call an operation: ``public``, or a scope and optional roles."""

    public: bool = False
    scope: Scope | None = None
    roles: tuple[AccessRole, ...] = ()
    body_types: tuple[str, ...] = (JSON,)
    max_body: int | None = None
    shown_once: str | None = None
    takes_body: bool = True
    #: The query parameters the operation reads; any other answers 422.
    query_names: frozenset[str] = frozenset()


def operation(
    operation_id: str,
    *,
    scope: Scope | None = None,
    roles: Iterable[AccessRole] = (),
    public: bool = False,
    summary: str | None = None,
    description: str | None = None,
    body_types: Iterable[str] = (JSON,),
    max_body: int | None = None,
    shown_once: str | None = None,
) -> Callable[[F], F]:
    """``shown_once``: the field of the answer that shows a secret once; a replay of
    the request (``Idempotency-Key``) answers it null, and it is never stored."""
    if not public and scope is None:
        raise ValueError(f"{operation_id}: give a scope, or mark it public")
    access = Access(
        public=public,
        scope=scope,
        roles=tuple(roles),
        body_types=tuple(body_types),
        max_body=max_body,
        shown_once=shown_once,
    )

    def decorator(func: F) -> F:
        doc: dict[str, Any] = {"operationId": operation_id}
        if summary:
            doc["summary"] = summary
        # The view's docstring is what a stranger reads about the operation.
        explained = description or inspect.getdoc(func)
        if shown_once:
            explained = (explained or "") + (
                f"\n\nRetried with the same `Idempotency-Key`, the first answer is replayed"
                f" with `{shown_once}` null: the secret is shown once, and not kept for"
                " replays. If that first answer was lost, make another."
            )
        if explained:
            doc["description"] = explained
        if public:
            doc["security"] = []
        else:
            who = ", ".join(r.value for r in access.roles) or "any member"
            doc["description"] = (
                (explained or "") + f"\n\nRequires scope `{scope}`; allowed to: {who}."
            ).strip()
        apidoc = deepcopy(getattr(func, "_apidoc", {}))
        apidoc["manual_doc"] = deepupdate(deepcopy(apidoc.get("manual_doc", {})), doc)
        # ``operation`` comes above ``blp.arguments``, so the body it reads is known here.
        parameters = apidoc.get("arguments", {}).get("parameters", [])
        read = {p.get("in") for p in parameters}
        takes_body = bool(read & BODY_LOCATIONS) or JSON not in access.body_types
        query_names = {
            name for p in parameters if p.get("in") == "query" for name in _field_names(p["schema"])
        }
        if "pagination" in apidoc:
            query_names |= PAGINATION_NAMES
        declared = replace(access, takes_body=takes_body, query_names=frozenset(query_names))
        func.access = declared  # type: ignore[attr-defined]
        apidoc["access"] = declared  # documented by ``api.base.Blueprint``
        func._apidoc = apidoc  # type: ignore[attr-defined]
        return func

    return decorator


def _field_names(schema: type[ma.Schema] | ma.Schema) -> list[str]:
    """The names a schema reads its fields by (their ``data_key``, else their name)."""
    instance = schema() if isinstance(schema, type) else schema
    return [f.data_key or name for name, f in instance.fields.items() if not f.dump_only]


def refusals(access: Access, method: str) -> list[int]:
    """The statuses ``api.requests`` may answer before the view runs."""
    method = method.upper()
    codes = {422}  # a query parameter the operation does not read, on any operation
    if not access.public:
        codes |= {401, 403, 429}
    if method in JSON_METHODS:
        codes |= {413, 415}  # any body may be too large, or of a type not taken
        if JSON in access.body_types:
            codes.add(400)  # a body that is not JSON
        if access.public:
            codes.add(429)  # the client address's budget of writes
    if method == "POST":
        codes.add(409)  # see ``KEY_IN_FLIGHT``
    return sorted(codes)


def answer_headers(access: Access, method: str) -> tuple[str, ...]:
    """The headers ``api.requests`` may add to the view's own answers (``HEADER_DOCS``):
    the token's budget on authenticated operations, the replay mark on POSTs."""
    names = () if access.public else RATE_LIMIT_HEADERS
    return (*names, REPLAYED) if method.upper() == "POST" else names
