"""Project conventions on top of flask-smorest, in one place.

- ``Schema`` rejects unknown fields (no mass assignment of ``org_id``,
  ``status``...).
- ``operation(...)`` gives every view an operationId and its access rule: the
  token scope it needs and the access roles that may call it. A view without
  one is refused (deny by default, see ``api.requests``).
- ETags come from a version column, so ``If-Match`` compares versions.
"""

from __future__ import annotations

import inspect
from collections.abc import Callable, Iterable
from copy import deepcopy
from dataclasses import dataclass
from functools import cache
from typing import Any, Protocol, TypeVar

import marshmallow as ma
from flask import g, request
from flask_smorest import Blueprint as SmorestBlueprint
from flask_smorest.error_handler import ErrorSchema
from flask_smorest.utils import deepupdate
from webargs.flaskparser import FlaskParser

from service.application.pagination import Page as Page_
from service.application.pagination import PageRequest
from service.domain.access import AccessRole, Scope
from service.domain.errors import Invalid

F = TypeVar("F", bound=Callable[..., Any])
T = TypeVar("T")

MAX_PAGE = 10_000


class Schema(ma.Schema):
    class Meta:
        unknown = ma.RAISE
        ordered = True


@dataclass(frozen=True, slots=True)
class Access:
    """Who may call an operation: ``public``, or a scope and optional roles."""

    public: bool = False
    scope: Scope | None = None
    roles: tuple[AccessRole, ...] = ()
    body_types: tuple[str, ...] = ("application/json",)
    max_body: int | None = None
    shown_once: str | None = None


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
        func.access = access  # type: ignore[attr-defined]
        return func

    return decorator


@cache
def _schema_instance(schema: type[ma.Schema]) -> ma.Schema:
    return schema()


class _Parser(FlaskParser):
    """webargs makes an instance of a schema class on every request it parses (a deep
    copy of each field: a tenth of a millisecond for a list's query and page
    arguments); the same instance serves every request here."""

    def parse(self, argmap: Any, *args: Any, **kwargs: Any) -> Any:
        if isinstance(argmap, type) and issubclass(argmap, ma.Schema):
            argmap = _schema_instance(argmap)
        return super().parse(argmap, *args, **kwargs)


class Blueprint(SmorestBlueprint):  # type: ignore[misc]
    """flask-smorest's Blueprint with the project's page sizes (at most 100), parsing
    arguments with schema instances made once."""

    DEFAULT_PAGINATION_PARAMETERS = {"page": 1, "page_size": 20, "max_page_size": 100}
    ARGUMENTS_PARSER = _Parser()
    PAGINATION_ARGUMENTS_PARSER = _Parser()

    @staticmethod
    def _make_pagination_metadata(page: int, page_size: int, item_count: int) -> dict[str, int]:
        """flask-smorest's own rule (an override point it documents), without making a
        ``PaginationMetadataSchema`` per request to dump six integers: 65 us of every
        list request, measured. The schema still documents the header, and
        tests/unit/test_pagination_header.py holds the two equal."""
        metadata = {"total": item_count, "total_pages": 0}
        if item_count:
            last_page = (item_count - 1) // page_size + 1
            metadata.update(total_pages=last_page, first_page=1, last_page=last_page)
            if page <= last_page:
                metadata["page"] = page
                if page > 1:
                    metadata["previous_page"] = page - 1
                if page < last_page:
                    metadata["next_page"] = page + 1
        return metadata

    def alt_response(
        self,
        status_code: int | str,
        response: Any = None,
        *,
        schema: Any = None,
        **kwargs: Any,
    ) -> Callable[[F], F]:
        """Document an error answer with the one error shape, unless told otherwise."""
        is_error = str(status_code).isdigit() and int(status_code) >= 400
        if is_error and response is None and schema is None:
            schema = ErrorSchema
        decorator: Callable[[F], F] = super().alt_response(
            status_code, response, schema=schema, **kwargs
        )
        return decorator


def page_request(pagination_parameters: Any) -> PageRequest:
    """The page asked for, bounded so that no OFFSET scans without end."""
    page = int(pagination_parameters.page)
    if page > MAX_PAGE:
        raise Invalid("The page is out of range.", {"page": [f"Must be at most {MAX_PAGE}."]})
    return PageRequest(page, int(pagination_parameters.page_size))


def paginated(pagination_parameters: Any, page: Page_[T]) -> list[T]:
    pagination_parameters.item_count = page.total
    return page.items


def etag_for(version: int) -> str:
    return f'"v{version}"'


def set_etag(version: int) -> None:
    """The response's ETag, written by ``api.requests`` on a successful answer."""
    g.response_etag = etag_for(version)


class Versioned(Protocol):
    version: int


V = TypeVar("V", bound=Versioned)


def with_etag(entity: V) -> V:
    """Answer ``entity`` with the ETag of its version."""
    set_etag(entity.version)
    return entity


def if_match_version() -> int | None:
    """The version the client last read, from ``If-Match``; None when absent (whether a
    write needs it is the use case's rule: ``application.concurrency.check_version``)."""
    values = list(request.if_match)
    if not values:
        return None
    if request.if_match.star_tag:
        return None
    tag = values[0]
    if not tag.startswith("v") or not tag[1:].isdigit():
        raise Invalid(
            "The If-Match value is not an ETag of this resource.",
            {"If-Match": ["Send the ETag you read."]},
        )
    return int(tag[1:])
