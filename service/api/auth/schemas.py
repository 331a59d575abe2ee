from __future__ import annotations

import marshmallow as ma
from marshmallow import validate

from service.api.base import Schema
from service.api.fields import StrictInteger
from service.api.spec_fields import one_of


class LogInSchema(Schema):
    org = ma.fields.String(
        required=True,
        validate=validate.Length(min=1, max=64),
        metadata={"description": "The organisation's slug."},
    )
    email = ma.fields.String(required=True, validate=validate.Length(min=1, max=320))
    password = ma.fields.String(
        required=True, load_only=True, validate=validate.Length(min=1, max=256)
    )


class TokenSchema(Schema):
    access_token = ma.fields.String(
        allow_none=True,
        metadata={
            "description": "Send as `Authorization: Bearer <token>`; shown only now (null"
            " in a replayed answer)."
        },
    )
    token_type = ma.fields.String(metadata=one_of(["Bearer"], "Always `Bearer`."))
    expires_in = StrictInteger(metadata={"description": "Seconds until the token expires."})


class AcceptInvitationSchema(Schema):
    token = ma.fields.String(required=True, validate=validate.Length(min=1, max=200))
    password = ma.fields.String(
        required=True,
        load_only=True,
        validate=validate.Length(min=12, max=256),
        metadata={"description": "The new password, at least 12 characters."},
    )
