"""Project conventions on top of flask-smorest, in one place.

- ``Schema`` rejects unknown fields (no mass assignment of ``org_id``,
  ``status``...).
- ``Blueprint`` pages at most 100 items and documents request and response forms,
  ``If-Match`` and ``ETag`` (``api.versions``), and what every operation may answer
  from its declaration (``operation(...)``, in ``api.operations``).
"""

from __future__ import annotations

from collections.abc import Callable, Iterable
from copy import deepcopy
from functools import cache
from http import HTTPStatus
from typing import Any, TypeVar

import marshmallow as ma
from flask_smorest import Blueprint as SmorestBlueprint
from webargs.flaskparser import FlaskParser

from service.api.operations import (
    HEADER_DOCS,
    KEY_IN_FLIGHT,
    RETRY_AFTER,
    Access,
    answer_headers,
    refusals,
)
from service.api.schema_forms import SchemaForms, sometimes_absent
from service.api.text import unstorable_fields
from service.api.versions import (
    ETAG_HEADER,
    ETAG_HEADER_DOC,
    IF_MATCH,
    IF_MATCH_REQUIRED,
    if_match_doc,
)
from service.application.pagination import Page as Page_
from service.application.pagination import PageRequest
from service.domain.errors import Invalid

F = TypeVar("F", bound=Callable[..., Any])
T = TypeVar("T")

MAX_PAGE = 10_000


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
        self._prepare_doc_cbks.append(self._prepare_access_doc)

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
            _register_component(spec.components, "parameter", name, if_match_doc(required))
            doc.setdefault("parameters", []).append(name)
            answers = {412: "PRECONDITION_FAILED"}
            if required:
                answers[428] = "PRECONDITION_REQUIRED"
            responses = doc.setdefault("responses", {})
            for code, response in answers.items():
                if _response(responses, code) is None:
                    responses[code] = response
        return doc

    @staticmethod
    def _prepare_access_doc(
        doc: dict[str, Any], doc_info: dict[str, Any], *, spec: Any, method: str, **kwargs: Any
    ) -> dict[str, Any]:
        """What ``api.requests`` answers for the operation, from its declaration
        (``api.operations``): each refusal it may give before the view, with the shared
        error answer unless the view documents its own, and the headers it adds."""
        access: Access | None = doc_info.get("access")
        if access is None:
            return doc
        responses = doc.setdefault("responses", {})
        for code in refusals(access, method):
            response = _response(responses, code)
            if response is None:
                # flask-smorest's shared error answer, registered when first named.
                responses[code] = HTTPStatus(code).name
            elif code == 409 and isinstance(response, dict):
                response["description"] = f"{response['description']} {KEY_IN_FLIGHT}"
        retry = _response(responses, 429)
        if isinstance(retry, dict):  # the view's own 429 (the shared one says it already)
            _with_headers(spec, retry, [RETRY_AFTER])
        for code in doc_info.get("success_status_codes", []):
            _with_headers(spec, doc["responses"][code], answer_headers(access, method))
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


#: The request and response forms of the project's schemas in the OpenAPI document.
SCHEMA_FORMS = SchemaForms(Schema)


def _with_apidoc(func: F, key: str, value: Any) -> F:
    """``func`` with ``value`` under ``key`` in the doc flask-smorest builds its own from."""
    apidoc = deepcopy(getattr(func, "_apidoc", {}))
    apidoc[key] = value
    func._apidoc = apidoc  # type: ignore[attr-defined]
    return func


def _response(responses: dict[Any, Any], code: int) -> Any:
    """The response documented for ``code``, keyed by the number or its text; else None."""
    return responses.get(code, responses.get(str(code)))


def _with_headers(spec: Any, response: dict[str, Any], names: Iterable[str]) -> None:
    """Document ``names`` (of ``HEADER_DOCS``) on ``response``, as components."""
    for name in names:
        _register_component(spec.components, "header", name, HEADER_DOCS[name])
        response.setdefault("headers", {})[name] = name


def _register_component(components: Any, kind: str, name: str, doc: dict[str, Any]) -> None:
    """Register a header or parameter component once per document, when first used."""
    if kind == "header" and name not in components.headers:
        components.header(name, deepcopy(doc))
    elif kind == "parameter" and name not in components.parameters:
        components.parameter(name, doc["in"], deepcopy(doc))
