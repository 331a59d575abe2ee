from __future__ import annotations

import marshmallow as ma

from service.api.base import Schema
from service.api.spec_fields import one_of
from service.domain.audit import AUDITED_ENTITIES


class AuditEventSchema(Schema):
    id = ma.fields.UUID()
    actor_id = ma.fields.UUID(allow_none=True)
    entity_type = ma.fields.String(metadata=one_of(AUDITED_ENTITIES))
    entity_id = ma.fields.UUID()
    action = ma.fields.String()
    before = ma.fields.Dict(allow_none=True)
    after = ma.fields.Dict(allow_none=True)
    created_at = ma.fields.DateTime()


class AuditQuerySchema(Schema):
    entity_type = ma.fields.String(validate=ma.validate.OneOf(AUDITED_ENTITIES))
    entity_id = ma.fields.UUID()
    actor_id = ma.fields.UUID()
    since = ma.fields.AwareDateTime(metadata={"description": "Inclusive, ISO 8601 with a zone."})
    until = ma.fields.AwareDateTime(metadata={"description": "Exclusive, ISO 8601 with a zone."})
