"""``operation(...)``: every view's operationId, its documentation and its access rule.

The token scope it needs and the access roles that may call it; a view without one
is refused (deny by default, see ``api.requests``). What it reads (a body, which query
parameters) is known from the arguments flask-smorest documents beneath it.
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


@dataclass(frozen=True, slots=True)
class Access:
    """Who may call an operation: ``public``, or a scope and optional roles."""

    public: bool = False
    scope: Scope | None = None
    roles: tuple[AccessRole, ...] = ()
    body_types: tuple[str, ...] = ("application/json",)
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
    body_types: Iterable[str] = ("application/json",),
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
            # Component names, not "$ref" dicts: flask-smorest registers its
            # per-status responses lazily, only when referenced by name.
            doc["responses"] = {
                "401": "UNAUTHORIZED",
                "403": "FORBIDDEN",
                "429": "TOO_MANY_REQUESTS",
            }
        apidoc = deepcopy(getattr(func, "_apidoc", {}))
        apidoc["manual_doc"] = deepupdate(deepcopy(apidoc.get("manual_doc", {})), doc)
        func._apidoc = apidoc  # type: ignore[attr-defined]
        # ``operation`` comes above ``blp.arguments``, so the body it reads is known here.
        parameters = apidoc.get("arguments", {}).get("parameters", [])
        read = {p.get("in") for p in parameters}
        takes_body = bool(read & BODY_LOCATIONS) or "application/json" not in access.body_types
        query_names = {
            name for p in parameters if p.get("in") == "query" for name in _field_names(p["schema"])
        }
        if "pagination" in apidoc:
            query_names |= PAGINATION_NAMES
        func.access = replace(  # type: ignore[attr-defined]
            access, takes_body=takes_body, query_names=frozenset(query_names)
        )
        return func

    return decorator


def _field_names(schema: type[ma.Schema] | ma.Schema) -> list[str]:
    """The names a schema reads its fields by (their ``data_key``, else their name)."""
    instance = schema() if isinstance(schema, type) else schema
    return [f.data_key or name for name, f in instance.fields.items() if not f.dump_only]
