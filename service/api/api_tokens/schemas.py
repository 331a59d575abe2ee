from __future__ import annotations

import marshmallow as ma
from marshmallow import validate

from service.api.base import Schema
from service.api.fields import Name
from service.domain.access import Scope


class ApiTokenSchema(Schema):
    id = ma.fields.UUID(dump_only=True)
    name = Name(required=True)
    prefix = ma.fields.String(
        dump_only=True, metadata={"description": "The first characters, to recognise it."}
    )
    scopes = ma.fields.List(
        ma.fields.String(validate=validate.OneOf([s.value for s in Scope])),
        required=True,
        validate=validate.Length(min=1),
        metadata={"description": "read, write and/or admin."},
    )
    created_at = ma.fields.DateTime(dump_only=True)
    last_used_at = ma.fields.DateTime(dump_only=True, allow_none=True)
    expires_at = ma.fields.AwareDateTime(allow_none=True, load_default=None)


class CreatedApiTokenSchema(ApiTokenSchema):
    token = ma.fields.String(
        dump_only=True,
        allow_none=True,
        metadata={"description": "The secret, shown only now (null in a replayed answer)."},
    )
