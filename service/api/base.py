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
from dataclasses import dataclass, replace
from functools import cache
from typing import Any, Protocol, TypeVar

import marshmallow as ma
from flask import g, request
from flask_smorest import Blueprint as SmorestBlueprint
from flask_smorest.utils import deepupdate
from webargs.flaskparser import FlaskParser

from service.api.schema_forms import SchemaForms, sometimes_absent
from service.api.text import unstorable_fields
from service.application.pagination import Page as Page_
from service.application.pagination import PageRequest
from service.domain.access import AccessRole, Scope
from service.domain.errors import Invalid

F = TypeVar("F", bound=Callable[..., Any])
T = TypeVar("T")

MAX_PAGE = 10_000
BODY_LOCATIONS = frozenset({"json", "form", "files"})
PAGINATION_NAMES = frozenset({"page", "page_size"})


class Schema(ma.Schema):
    class Meta:
        unknown = ma.RAISE
        ordered = True

    @ma.pre_load
    def _refuse_unstorable_text(self, data: Any, **_kwargs: Any) -> Any:
        errors = unstorable_fields(data)
        if errors:
            raise ma.ValidationError(errors)
        return data


class ErrorSchema(Schema):
    """Every error answer, whatever its status (PRODUCT.md, Conventions)."""

    code = ma.fields.Integer(metadata={"description": "The HTTP status code."})
    status = ma.fields.String(metadata={"description": "Its standard reason phrase."})
    message = ma.fields.String(metadata={"description": "What went wrong, for a person."})
    errors = ma.fields.Dict(
        keys=ma.fields.String(),
        metadata=sometimes_absent(
            "Field errors, when there are any: each field (dotted into nested ones as the"
            " body nests them) with its messages."
        ),
    )


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

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self._prepare_doc_cbks.append(self._prepare_request_form_doc)
        self._prepare_doc_cbks.append(self._prepare_version_doc)

    @staticmethod
    def _make_doc_response_schema(schema: Any) -> Any:
        """flask-smorest's hook for the schema an answer is documented with: its
        response form (``api.schema_forms``); the view still dumps with ``schema``."""
        return SCHEMA_FORMS.response(schema)

    @staticmethod
    def _prepare_request_form_doc(
        doc: dict[str, Any], doc_info: dict[str, Any], **kwargs: Any
    ) -> dict[str, Any]:
        """A request body is documented in its request form (``api.schema_forms``)."""
        for media in doc.get("requestBody", {}).get("content", {}).values():
            if "schema" in media:
                media["schema"] = SCHEMA_FORMS.request(media["schema"])
        return doc

    @staticmethod
    def answers_with_etag(func: F) -> F:
        """Document the ``ETag`` header of the success answer: for views that set it
        (``with_etag``, ``set_etag``)."""
        return _with_apidoc(func, "answers_with_etag", True)

    @staticmethod
    def takes_if_match(*, required: bool = False) -> Callable[[F], F]:
        """Document ``If-Match`` on a write that reads it (``if_match_version``), with its
        answers: 412 when stale, and 428 without it when ``required`` (the use case's
        rule, ``application.concurrency.check_version``)."""

        def decorator(func: F) -> F:
            return _with_apidoc(func, "takes_if_match", {"required": required})

        return decorator

    @staticmethod
    def _prepare_version_doc(
        doc: dict[str, Any], doc_info: dict[str, Any], *, spec: Any, **kwargs: Any
    ) -> dict[str, Any]:
        """The doc of ``answers_with_etag`` and ``takes_if_match``, as flask-smorest
        documents its own ETags, with components of this project's descriptions."""
        if doc_info.get("answers_with_etag"):
            _register_component(spec.components, "header", ETAG_HEADER, ETAG_HEADER_DOC)
            for code in doc_info.get("success_status_codes", []):
                doc["responses"][code].setdefault("headers", {})["ETag"] = ETAG_HEADER
        if_match = doc_info.get("takes_if_match")
        if if_match is not None:
            required = bool(if_match["required"])
            name = IF_MATCH_REQUIRED if required else IF_MATCH
            _register_component(spec.components, "parameter", name, _if_match_doc(required))
            doc.setdefault("parameters", []).append(name)
            answers = {412: "PRECONDITION_FAILED"}
            if required:
                answers[428] = "PRECONDITION_REQUIRED"
            responses = doc.setdefault("responses", {})
            for code, response in answers.items():
                if code not in responses and str(code) not in responses:
                    responses[code] = response
        return doc


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


#: What an If-Match that names no version of ours stands for: it matches none.
NO_VERSION = -1


def if_match_version() -> int | None:
    """The version the client last read, from ``If-Match``; None when absent or ``*``
    (whether a write needs it is the use case's rule:
    ``application.concurrency.check_version``). A weak or foreign tag matches no version
    (If-Match compares strongly), so the write answers 412."""
    header = request.if_match
    if header.star_tag or not request.headers.get("If-Match", "").strip():
        return None
    for tag in header:  # the strong tags; weak ones never match
        if tag.startswith("v") and tag[1:].isdigit():
            return int(tag[1:])
    return NO_VERSION


#: The request and response forms of the project's schemas in the OpenAPI document.
SCHEMA_FORMS = SchemaForms(Schema)

ETAG_HEADER = "ETag"
ETAG_HEADER_DOC = {
    "description": "The version of what the answer shows. Send it back as `If-Match` to "
    "write it: a write based on an older version is then refused (412).",
    "schema": {"type": "string"},
}
IF_MATCH = "IfMatch"
IF_MATCH_REQUIRED = "IfMatchRequired"


def _if_match_doc(required: bool) -> dict[str, Any]:
    rule = (
        "Required: without it (or with `*`, which names no version) the write answers 428."
        if required
        else "Optional: without it (or with `*`) the write goes ahead whatever changed since."
    )
    return {
        "name": "If-Match",
        "in": "header",
        "required": required,
        "schema": {"type": "string"},
        "description": "The `ETag` of the resource as you last read it. When the resource "
        "changed since (or the value is no ETag of its current version), the write answers "
        f"412 and changes nothing: read it again. {rule}",
    }


def _with_apidoc(func: F, key: str, value: Any) -> F:
    """``func`` with ``value`` under ``key`` in the doc flask-smorest builds its own from."""
    apidoc = deepcopy(getattr(func, "_apidoc", {}))
    apidoc[key] = value
    func._apidoc = apidoc  # type: ignore[attr-defined]
    return func


def _register_component(components: Any, kind: str, name: str, doc: dict[str, Any]) -> None:
    """Register a header or parameter component once per document, when first used."""
    if kind == "header" and name not in components.headers:
        components.header(name, deepcopy(doc))
    elif kind == "parameter" and name not in components.parameters:
        components.parameter(name, doc["in"], deepcopy(doc))
