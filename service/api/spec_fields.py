"""How a marshmallow field is written in the OpenAPI document: apispec's rules, with
two that generated clients read better.

- A nullable nested schema is ``{"nullable": true, "allOf": [{"$ref": ...}]}``. apispec
  writes ``anyOf: [{type: object, nullable: true}, {$ref}]`` for OpenAPI 3.0: a
  generated client tries the untyped branch first, which any object matches, and
  hands back a plain dict.
- A field whose values are listed (``enum``, from a validator or from
  :func:`one_of` metadata) lists ``null`` too when it is nullable.
"""

from __future__ import annotations

from collections.abc import Iterable
from enum import StrEnum
from typing import Any

import marshmallow as ma
from apispec.ext.marshmallow import MarshmallowPlugin
from apispec.ext.marshmallow.openapi import OpenAPIConverter


def one_of(values: type[StrEnum] | Iterable[str], description: str = "") -> dict[str, Any]:
    """The metadata of a field the server writes with one of ``values`` (a domain
    enumeration): documented as an ``enum``, without validating or changing anything."""
    listed = [str(v) for v in values]
    return {"enum": listed, "description": description} if description else {"enum": listed}


class Converter(OpenAPIConverter):
    def field2nullable(self, field: ma.fields.Field[Any], ret: dict[str, Any]) -> dict[str, Any]:
        if field.allow_none and self.openapi_version.major == 3 and self.openapi_version.minor == 0:
            if "$ref" in ret:
                return {"nullable": True, "allOf": [{"$ref": ret.pop("$ref")}]}
            if "enum" in ret and None not in ret["enum"]:
                ret["enum"] = [*ret["enum"], None]
            # Beside an ``allOf`` too: a nested field with metadata has its ``$ref`` there.
            return {"nullable": True}
        attributes: dict[str, Any] = super().field2nullable(field, ret)
        return attributes


class Plugin(MarshmallowPlugin):
    Converter = Converter
