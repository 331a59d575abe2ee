from __future__ import annotations

import marshmallow as ma
from marshmallow import validate

from service.api.base import Schema
from service.api.fields import Name


class TeamSchema(Schema):
    id = ma.fields.UUID(dump_only=True)
    name = Name(required=True, metadata={"description": "Unique in the organisation, in any case."})
    description = ma.fields.String(allow_none=True, validate=validate.Length(max=5000))


class TeamPatchSchema(Schema):
    name = Name()
    description = ma.fields.String(allow_none=True, validate=validate.Length(max=5000))
