from __future__ import annotations

import marshmallow as ma
from marshmallow import validate

from service.api.base import Schema
from service.api.fields import Name, StrictInteger
from service.api.schema_forms import sometimes_absent
from service.api.spec_fields import one_of
from service.domain.access import AccessRole
from service.domain.member import MemberStatus

ACCESS_ROLES = [r.value for r in AccessRole]
ON_READS = "On reads (`GET`); absent from the answers to writes."


class MemberSchema(Schema):
    id = ma.fields.UUID(dump_only=True)
    email = ma.fields.Email(
        required=True,
        validate=validate.Length(max=320),
        metadata={"description": "Unique in the organisation."},
    )
    name = Name(required=True)
    title = ma.fields.String(allow_none=True, validate=validate.Length(max=200))
    access_role = ma.fields.String(
        validate=validate.OneOf(ACCESS_ROLES),
        load_default=AccessRole.PM.value,
        metadata={"description": "admin, head_of_product or pm (default)."},
    )
    product_role_id = ma.fields.UUID(allow_none=True)
    manager_id = ma.fields.UUID(allow_none=True)
    team_id = ma.fields.UUID(allow_none=True)
    status = ma.fields.String(
        dump_only=True, metadata=one_of(MemberStatus, "active or deactivated")
    )
    password = ma.fields.String(
        load_only=True,
        validate=validate.Length(min=12, max=256),
        metadata={
            "description": "Optional initial password; otherwise invite the person. Setting"
            " one, inviting someone or making them an admin takes a credential holding every"
            " scope (an API token with fewer answers 403): the person then signs in with all."
        },
    )
    manager_name = ma.fields.String(
        dump_only=True, allow_none=True, metadata=sometimes_absent(ON_READS)
    )
    team_name = ma.fields.String(
        dump_only=True, allow_none=True, metadata=sometimes_absent(ON_READS)
    )
    product_role_name = ma.fields.String(
        dump_only=True, allow_none=True, metadata=sometimes_absent(ON_READS)
    )


class MemberPatchSchema(Schema):
    email = ma.fields.Email(validate=validate.Length(max=320))
    name = Name()
    title = ma.fields.String(allow_none=True, validate=validate.Length(max=200))
    access_role = ma.fields.String(validate=validate.OneOf(ACCESS_ROLES))
    product_role_id = ma.fields.UUID(allow_none=True)
    manager_id = ma.fields.UUID(allow_none=True)
    team_id = ma.fields.UUID(allow_none=True)


class MemberQuerySchema(Schema):
    team_id = ma.fields.UUID()
    manager_id = ma.fields.UUID()
    product_role_id = ma.fields.UUID()
    status = ma.fields.String(validate=validate.OneOf([s.value for s in MemberStatus]))
    q = ma.fields.String(
        validate=validate.Length(min=1, max=200),
        metadata={"description": "Text search in name and email."},
    )


class InvitationSchema(Schema):
    token = ma.fields.String(
        allow_none=True,
        metadata={"description": "Shown once; send it to the person (null in a replayed answer)."},
    )
    expires_at = ma.fields.DateTime()


class ReportSchema(MemberSchema):
    depth = StrictInteger(
        dump_only=True,
        metadata={"description": "1 for a direct report, 2 for their reports, and so on."},
    )


class ReportsQuerySchema(Schema):
    max_depth = ma.fields.Integer(
        validate=validate.Range(min=1, max=100),
        metadata={"description": "Only this many levels down (1: direct reports only)."},
    )
