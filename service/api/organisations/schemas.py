from __future__ import annotations

import copy
from typing import Any

import marshmallow as ma
from marshmallow import validate

from service.api.base import Schema
from service.api.fields import Name, StrictFloat, StrictInteger

#: Where a scale's points may lie: far beyond any real scale, well within a SQL integer.
SCALE_POINTS = validate.Range(min=-1000, max=1000)


class RatingScaleSchema(Schema):
    min = StrictInteger(
        required=True, validate=SCALE_POINTS, metadata={"description": "Lowest point of the scale."}
    )
    max = StrictInteger(
        required=True,
        validate=SCALE_POINTS,
        metadata={"description": "Highest point of the scale."},
    )
    labels = ma.fields.List(
        ma.fields.String(validate=validate.Length(min=1, max=100)),
        required=True,
        metadata={"description": "One label per point, from min to max."},
    )


class RatingScalePatchSchema(Schema):
    """Any part of the scale; a new min or max needs its labels too."""

    min = StrictInteger(
        validate=SCALE_POINTS, metadata={"description": "Lowest point of the scale."}
    )
    max = StrictInteger(
        validate=SCALE_POINTS, metadata={"description": "Highest point of the scale."}
    )
    labels = ma.fields.List(
        ma.fields.String(validate=validate.Length(min=1, max=100)),
        metadata={"description": "One label per point, from min to max."},
    )


class SettingsSchema(Schema):
    rating_scale = ma.fields.Nested(RatingScaleSchema, required=True)
    peer_anonymity_threshold = StrictInteger(
        required=True,
        validate=validate.Range(min=1, max=50),
        metadata={
            "description": "Peer comments are shown only when at least this many peers submitted."
        },
    )
    ready_soon_max_gap = StrictFloat(
        required=True,
        validate=validate.Range(min=0, max=20),
        metadata={"description": "`ready_soon` allows no competency gap below minus this."},
    )
    ready_soon_min_mean_gap = StrictFloat(
        required=True,
        validate=validate.Range(min=-20, max=0),
        metadata={"description": "`ready_soon` needs a weighted mean gap of at least this."},
    )


def _optional(field: ma.fields.Field[Any]) -> ma.fields.Field[Any]:
    """The same field, no longer required (marshmallow has no ``Meta.partial``)."""
    field = copy.deepcopy(field)
    field.required = False
    return field


class SettingsPatchSchema(Schema):
    """Any part of the settings; the result is validated as a whole."""

    rating_scale = ma.fields.Nested(RatingScalePatchSchema)
    peer_anonymity_threshold = _optional(
        SettingsSchema._declared_fields["peer_anonymity_threshold"]
    )
    ready_soon_max_gap = _optional(SettingsSchema._declared_fields["ready_soon_max_gap"])
    ready_soon_min_mean_gap = _optional(SettingsSchema._declared_fields["ready_soon_min_mean_gap"])


class OrganisationSchema(Schema):
    id = ma.fields.UUID(dump_only=True)
    name = ma.fields.String(dump_only=True)
    slug = ma.fields.String(dump_only=True)
    settings = ma.fields.Nested(SettingsSchema, dump_only=True)


class OrganisationPatchSchema(Schema):
    name = Name()
    settings = ma.fields.Nested(SettingsPatchSchema)


class AdminSignUpSchema(Schema):
    email = ma.fields.Email(required=True, validate=validate.Length(max=320))
    name = Name(required=True)
    password = ma.fields.String(
        required=True, load_only=True, validate=validate.Length(min=12, max=256)
    )


class SignUpSchema(Schema):
    name = Name(required=True)
    slug = ma.fields.String(
        required=True,
        validate=validate.Regexp(
            r"^[a-z0-9](?:[a-z0-9-]{0,62}[a-z0-9])?$",
            error="Use 1 to 64 lowercase letters, digits and inner hyphens.",
        ),
    )
    admin = ma.fields.Nested(AdminSignUpSchema, required=True)


class SignedUpSchema(Schema):
    organisation = ma.fields.Nested(OrganisationSchema)
    admin_id = ma.fields.UUID()
