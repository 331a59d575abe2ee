"""A schema as a request body and as an answer: two forms in the OpenAPI document.

One marshmallow schema often serves both ways (``MemberSchema`` reads a new member
and writes every member back), but a client generated from the document needs two
different descriptions of it:

- An answer carries every field of its schema but the ``load_only`` ones (a password
  is never sent back) and those whose metadata says :func:`sometimes_absent` (left
  out for some callers or by some operations; their description says when). Its
  form lists every other field as ``required`` (a nullable one stays nullable), so a
  generated client types them as plain values, never ``Unset``. It does not say
  ``additionalProperties: false``: answers may carry more fields (PRODUCT.md), and a
  strict client must not refuse them.
- A request body takes the fields that are not ``dump_only`` (the server refuses
  them as unknown) and requires what the schema requires when it loads: a PATCH
  body, nothing. Unknown fields answer 422: ``additionalProperties: false``.

Each form is the schema class itself when it already says that (a request form often
does; an answer's only when its schema ignores unknown fields), else a subclass
made once, with its fields copied and its nested schemas in the same form, that
only the document uses: views still load and dump with the schemas they name.

Components keep the schema's name (``MemberSchema``: ``Member``). When answers use a
schema too and its request form differs, the request form is ``<name>Input``
(``MemberInput``), so the answer keeps the resource's name.
"""

from __future__ import annotations

import copy
from collections.abc import Iterator
from typing import Any, Literal

import marshmallow as ma
from apispec.ext.marshmallow import resolver as schema_name
from apispec.ext.marshmallow.common import resolve_schema_cls

Side = Literal["request", "response"]
REQUEST: Side = "request"
RESPONSE: Side = "response"

#: The field metadata key of :func:`sometimes_absent`.
SOMETIMES_ABSENT = "sometimes_absent"
INPUT_SUFFIX = "Input"


def sometimes_absent(description: str) -> dict[str, Any]:
    """The metadata of a field that some answers leave out; ``description`` says when.

    Every other field of a schema is in every answer the schema describes."""
    return {"description": description, SOMETIMES_ABSENT: True}


def _nested_schemas(field: ma.fields.Field[Any]) -> Iterator[type[ma.Schema]]:
    """The schema classes a field nests, directly or in a list or a mapping."""
    if isinstance(field, ma.fields.Nested):
        if isinstance(field.nested, type) and issubclass(field.nested, ma.Schema):
            yield field.nested
    elif isinstance(field, ma.fields.List):
        yield from _nested_schemas(field.inner)
    elif isinstance(field, ma.fields.Dict) and field.value_field is not None:
        yield from _nested_schemas(field.value_field)


class SchemaForms:
    """The request and response forms of the subclasses of ``base`` (other schemas,
    such as flask-smorest's error schema, are documented as they are), and the
    components' names (``name`` is the marshmallow plugin's schema name resolver).

    Answers are known as the views declare them (``response`` is called when a view
    is decorated), so every name is settled before the document is built."""

    def __init__(self, base: type[ma.Schema]) -> None:
        self._base = base
        self._forms: dict[tuple[type[ma.Schema], Side], type[ma.Schema]] = {}
        #: Each form made here: the schema it is a form of, and its side.
        self._made: dict[type[ma.Schema], tuple[type[ma.Schema], Side]] = {}
        #: The schemas (nested ones too) that some answer uses.
        self._answered: set[type[ma.Schema]] = set()

    def request(self, schema: Any) -> Any:
        """A request body's schema (a class or an instance) in its request form."""
        return self._as(schema, REQUEST)

    def response(self, schema: Any) -> Any:
        """An answer's schema (a class or an instance) in its response form."""
        if isinstance(schema, ma.Schema) or (
            isinstance(schema, type) and issubclass(schema, ma.Schema)
        ):
            self._answer(resolve_schema_cls(schema))  # type: ignore[arg-type]
        return self._as(schema, RESPONSE)

    def form(self, schema: type[ma.Schema], side: Side) -> type[ma.Schema]:
        if not issubclass(schema, self._base):
            return schema
        key = (schema, side)
        if key not in self._forms:
            self._forms[key] = self._make(schema, side)
        return self._forms[key]

    def origin(self, form: type[ma.Schema]) -> type[ma.Schema]:
        """The schema class a form was made of (a schema class is its own)."""
        return self._made.get(form, (form, REQUEST))[0]

    def name(self, schema: Any) -> str:
        """The component name of a schema, in whichever form it is."""
        cls: type[ma.Schema] = resolve_schema_cls(schema)  # type: ignore[assignment]
        origin, side = self._made.get(cls, (cls, None))
        if side is None:  # the schema class itself, as one of its forms or both
            side = RESPONSE if self.form(cls, RESPONSE) is cls else REQUEST
        name: str = schema_name(origin)
        if (
            side == REQUEST
            and origin in self._answered
            and self.form(origin, REQUEST) is not self.form(origin, RESPONSE)
        ):
            return name + INPUT_SUFFIX
        return name

    def _as(self, schema: Any, side: Side) -> Any:
        if isinstance(schema, type) and issubclass(schema, ma.Schema):
            return self.form(schema, side)
        if isinstance(schema, ma.Schema):
            form = self.form(type(schema), side)
            if form is type(schema):
                return schema
            return form(
                many=schema.many,
                only=None if schema.only is None else set(schema.only),
                exclude=schema.exclude,
                partial=schema.partial,
                load_only=schema.load_only,
                dump_only=schema.dump_only,
            )
        return schema

    def _answer(self, schema: type[ma.Schema]) -> None:
        if schema in self._answered or not issubclass(schema, self._base):
            return
        self._answered.add(schema)
        for field in schema._declared_fields.values():
            if not field.load_only:
                for nested in _nested_schemas(field):
                    self._answer(nested)

    def _make(self, schema: type[ma.Schema], side: Side) -> type[ma.Schema]:
        left_out: list[str] = []
        changed: dict[str, ma.fields.Field[Any]] = {}
        for name, field in schema._declared_fields.items():
            if field.load_only if side == RESPONSE else field.dump_only:
                left_out.append(name)
                continue
            formed = self._field(field, side, top=True)
            if formed is not field:
                changed[name] = formed
        # An answer may carry more fields: its form ignores unknown ones, and apispec
        # then writes no ``additionalProperties: false``.
        lenient = side == RESPONSE and schema.opts.unknown != ma.EXCLUDE
        if not left_out and not changed and not lenient:
            return schema
        options: dict[str, Any] = {
            "exclude": (*getattr(schema.Meta, "exclude", ()), *left_out),
            "register": False,
        }
        if lenient:
            options["unknown"] = ma.EXCLUDE
        meta = type("Meta", (schema.Meta,), options)
        made: type[ma.Schema] = type(
            schema.__name__,
            (schema,),
            {"__module__": schema.__module__, "__doc__": schema.__doc__, "Meta": meta, **changed},
        )
        self._made[made] = (schema, side)
        return made

    def _field(self, field: ma.fields.Field[Any], side: Side, *, top: bool) -> ma.fields.Field[Any]:
        """The field as the form has it (the same object when nothing changes)."""
        formed = copy.copy(field)
        changed = False
        if top and side == RESPONSE:
            # What an answer always carries is required; a default is the loader's.
            required = not field.metadata.get(SOMETIMES_ABSENT, False)
            if field.required != required:
                formed.required = required
                changed = True
            if field.load_default is not ma.missing:
                formed.load_default = ma.missing
                changed = True
        if isinstance(field, ma.fields.Nested):
            nested = field.nested
            if isinstance(nested, type) and issubclass(nested, ma.Schema):
                form = self.form(nested, side)
                if form is not nested:
                    formed.nested = form  # type: ignore[attr-defined]
                    changed = True
        elif isinstance(field, ma.fields.List):
            inner = self._field(field.inner, side, top=False)
            if inner is not field.inner:
                formed.inner = inner  # type: ignore[attr-defined]
                changed = True
        elif isinstance(field, ma.fields.Dict) and field.value_field is not None:
            value = self._field(field.value_field, side, top=False)
            if value is not field.value_field:
                formed.value_field = value  # type: ignore[attr-defined]
                changed = True
        return formed if changed else field
