from __future__ import annotations

import marshmallow as ma

from service.api.base import Schema


class AuditEventSchema(Schema):
    id = ma.fields.UUID()
    actor_id = ma.fields.UUID(allow_none=True)
    entity_type = ma.fields.String()
    entity_id = ma.fields.UUID()
    action = ma.fields.String()
    before = ma.fields.Dict(allow_none=True)
    after = ma.fields.Dict(allow_none=True)
    created_at = ma.fields.DateTime()


class AuditQuerySchema(Schema):
    entity_type = ma.fields.String()
    entity_id = ma.fields.UUID()
    actor_id = ma.fields.UUID()
    since = ma.fields.AwareDateTime(metadata={"description": "Inclusive, ISO 8601 with a zone."})
    until = ma.fields.AwareDateTime(metadata={"description": "Exclusive, ISO 8601 with a zone."})
