from __future__ import annotations

import marshmallow as ma
from marshmallow import validate

from service.api.base import Schema


class TeamSchema(Schema):
    id = ma.fields.UUID(dump_only=True)
    name = ma.fields.String(
        required=True,
        validate=validate.Length(min=1, max=200),
        metadata={"description": "Unique in the organisation."},
    )
    description = ma.fields.String(allow_none=True, validate=validate.Length(max=5000))


class TeamPatchSchema(Schema):
    name = ma.fields.String(validate=validate.Length(min=1, max=200))
    description = ma.fields.String(allow_none=True, validate=validate.Length(max=5000))
