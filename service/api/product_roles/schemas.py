from __future__ import annotations

import marshmallow as ma
from marshmallow import validate

from service.api.base import Schema
from service.api.fields import Name, StrictFloat, StrictInteger
from service.domain.career import CURRENCY_PATTERN, KEY_PATTERN, KEY_RULE, MAX_MONEY

LEVELS = validate.Range(min=0, max=1000)
ROUNDED = (
    f"At most {MAX_MONEY}. Kept to 2 decimal places (rounded half to even); answers show"
    " the kept value."
)
MONEY = validate.Range(min=0, max=float(MAX_MONEY))


class PayBandSchema(Schema):
    currency = ma.fields.String(
        required=True,
        validate=validate.Regexp(CURRENCY_PATTERN, error="Use an ISO 4217 code such as EUR."),
        metadata={"description": "ISO 4217 code, e.g. EUR."},
    )
    min = StrictFloat(
        required=True,
        validate=MONEY,
        metadata={"description": f"The band's lower end. {ROUNDED}"},
    )
    max = StrictFloat(
        required=True,
        validate=MONEY,
        metadata={"description": f"The band's upper end. {ROUNDED}"},
    )


class ExpectationSchema(Schema):
    competency_id = ma.fields.UUID(required=True)
    competency_key = ma.fields.String(
        allow_none=True,
        metadata={
            "description": "The competency's key, for readers; ignored on writes, so a role "
            "read can be sent back as it is."
        },
    )
    expected_score = StrictInteger(
        required=True,
        metadata={"description": "On the organisation's rating scale."},
    )
    weight = StrictFloat(
        required=True,
        validate=validate.Range(min=0.0001, max=1000),
        metadata={
            "description": "At least 0.0001; relative to the role's other weights. Kept to "
            "4 decimal places (rounded half to even)."
        },
    )
    description = ma.fields.String(
        allow_none=True,
        validate=validate.Length(max=5000),
        metadata={"description": "What the competency looks like at this level, for reviewers."},
    )


class ProductRoleSchema(Schema):
    id = ma.fields.UUID(dump_only=True)
    name = Name(required=True)
    track = ma.fields.String(
        required=True,
        validate=validate.Regexp(KEY_PATTERN, error=KEY_RULE),
        metadata={"description": "The ladder this rung is on, e.g. `product` or `management`."},
    )
    level = StrictInteger(
        required=True, validate=LEVELS, metadata={"description": "Unique on its track."}
    )
    description = ma.fields.String(allow_none=True, validate=validate.Length(max=5000))
    pay_band = ma.fields.Nested(PayBandSchema, allow_none=True, load_default=None)
    expectations = ma.fields.List(
        ma.fields.Nested(ExpectationSchema),
        load_default=list,
        metadata={"description": "At most one per competency, in the catalogue's order."},
    )
    next_role_id = ma.fields.UUID(
        dump_only=True,
        allow_none=True,
        metadata={
            "description": "The role with the lowest higher level on the same track; "
            "null at the top of the track."
        },
    )


class ProductRolePatchSchema(Schema):
    name = Name()
    track = ma.fields.String(validate=validate.Regexp(KEY_PATTERN, error=KEY_RULE))
    level = StrictInteger(validate=LEVELS)
    description = ma.fields.String(allow_none=True, validate=validate.Length(max=5000))
    pay_band = ma.fields.Nested(PayBandSchema, allow_none=True)
    expectations = ma.fields.List(
        ma.fields.Nested(ExpectationSchema),
        metadata={"description": "The whole new list: competencies left out lose their "
                  "expectation."},
    )  # fmt: skip


class ProductRoleQuerySchema(Schema):
    track = ma.fields.String(validate=validate.Regexp(KEY_PATTERN, error=KEY_RULE))
