from __future__ import annotations

import marshmallow as ma
from marshmallow import validate

from service.api.base import Schema
from service.api.fields import Name, StrictBoolean, StrictInteger
from service.domain.career import KEY_PATTERN, KEY_RULE

KEY = validate.Regexp(KEY_PATTERN, error=KEY_RULE)


class CompetencySchema(Schema):
    id = ma.fields.UUID(dump_only=True)
    key = ma.fields.String(
        required=True,
        validate=KEY,
        metadata={"description": "Unique in the organisation, e.g. `customer_insight`."},
    )
    name = Name(required=True)
    description = ma.fields.String(
        allow_none=True,
        validate=validate.Length(max=5000),
        metadata={"description": "What the competency means, for reviewers."},
    )
    position = StrictInteger(
        validate=validate.Range(min=0, max=10_000),
        metadata={"description": "Display order; by default after the others."},
    )
    retired = StrictBoolean(
        dump_only=True,
        metadata={"description": "Retired competencies are kept for past cycles only."},
    )


class CompetencyPatchSchema(Schema):
    key = ma.fields.String(validate=KEY)
    name = Name()
    description = ma.fields.String(allow_none=True, validate=validate.Length(max=5000))
    position = StrictInteger(validate=validate.Range(min=0, max=10_000))
    retired = StrictBoolean(
        metadata={
            "description": "true retires the competency: it leaves the ladder's expectations "
            "(each role change is audited) and new cycles no longer rate it; cycles already "
            "launched keep their copy. false brings it back, with no expectations."
        }
    )


class CompetencyQuerySchema(Schema):
    retired = ma.fields.Boolean(
        metadata={"description": "Only retired (true) or only current (false) competencies."}
    )
