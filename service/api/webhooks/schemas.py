from __future__ import annotations

import marshmallow as ma
from marshmallow import validate

from service.api.base import Schema
from service.api.fields import StrictBoolean, StrictInteger
from service.api.spec_fields import one_of
from service.domain.webhook_retries import DeliveryStatus
from service.domain.webhooks import DEFAULT_SECRET_GRACE, EVENT_TYPES, MAX_URL_LENGTH

URL_RULES = (
    "HTTPS only; no user name or password in it; its host must resolve to public "
    "addresses only (private, loopback, link-local and reserved ones are refused, here "
    "and again at every delivery). IPv6 addresses that carry an IPv4 one are judged by "
    "it (IPv4-mapped, NAT64 `64:ff9b::/96`) or refused (local-use NAT64, 6to4, Teredo, "
    "SIIT, IPv4-compatible)."
)
MAX_GRACE_SECONDS = 7 * 24 * 3600


class WebhookSchema(Schema):
    id = ma.fields.UUID(dump_only=True)
    url = ma.fields.String(
        required=True,
        validate=validate.Length(min=1, max=MAX_URL_LENGTH),
        metadata={"description": f"Where events are POSTed. {URL_RULES}"},
    )
    events = ma.fields.List(
        ma.fields.String(validate=validate.OneOf(EVENT_TYPES)),
        required=True,
        validate=validate.Length(min=1),
        metadata={"description": "The event types to receive: " + ", ".join(EVENT_TYPES)},
    )
    description = ma.fields.String(
        allow_none=True, load_default=None, validate=validate.Length(max=500)
    )
    active = StrictBoolean(
        load_default=True,
        metadata={
            "description": "Inactive endpoints get no new events; their pending "
            "deliveries wait, and fall due at once when they are active again. An "
            "endpoint whose receiver answers 410 Gone is made inactive by the service."
        },
    )
    previous_secret_expires_at = ma.fields.DateTime(
        dump_only=True,
        allow_none=True,
        metadata={
            "description": "After a rotation, messages are signed with the previous "
            "secret too until this time."
        },
    )
    created_at = ma.fields.DateTime(dump_only=True)
    updated_at = ma.fields.DateTime(dump_only=True)


class WebhookPatchSchema(Schema):
    url = ma.fields.String(validate=validate.Length(min=1, max=MAX_URL_LENGTH))
    events = ma.fields.List(
        ma.fields.String(validate=validate.OneOf(EVENT_TYPES)), validate=validate.Length(min=1)
    )
    description = ma.fields.String(allow_none=True, validate=validate.Length(max=500))
    active = StrictBoolean()


class WebhookWithSecretSchema(WebhookSchema):
    secret = ma.fields.String(
        dump_only=True,
        allow_none=True,
        metadata={
            "description": "The signing secret (`whsec_` and base64), shown only in this "
            "answer (null in a replayed one). The service keeps it retrievable, not hashed, "
            "because it signs every message with it; it never appears in any other answer."
        },
    )


class RotateSecretSchema(Schema):
    grace_period_seconds = StrictInteger(
        load_default=int(DEFAULT_SECRET_GRACE.total_seconds()),
        validate=validate.Range(min=0, max=MAX_GRACE_SECONDS),
        metadata={
            "description": "How long messages are signed with the previous secret too "
            "(default 24 hours; 0 retires it at once)."
        },
    )


class DeliveryQuerySchema(Schema):
    status = ma.fields.String(validate=validate.OneOf([s.value for s in DeliveryStatus]))


class AttemptSchema(Schema):
    attempt = StrictInteger(metadata={"description": "1 for the first."})
    attempted_at = ma.fields.DateTime()
    status_code = StrictInteger(
        allow_none=True, metadata={"description": "The receiver's answer; null when none."}
    )
    error = ma.fields.String(
        allow_none=True,
        metadata={"description": "Why no answer came (a timeout, a refused address...)."},
    )
    duration_ms = StrictInteger()


class DeliverySchema(Schema):
    id = ma.fields.UUID()
    event_id = ma.fields.UUID(metadata={"description": "Sent as `webhook-id`."})
    event_type = ma.fields.String(metadata=one_of(EVENT_TYPES))
    payload = ma.fields.Dict(metadata={"description": "The body sent: type, timestamp, data."})
    status = ma.fields.String(
        metadata=one_of(
            DeliveryStatus, "pending (to be tried at next_attempt_at), delivered or failed."
        )
    )
    created_at = ma.fields.DateTime()
    next_attempt_at = ma.fields.DateTime(
        allow_none=True,
        metadata={
            "description": "When a pending delivery falls due: at once for a new one, then "
            "by the retry schedule (or later, when the receiver's `Retry-After` asks). It "
            "stays as it is while an attempt is on its way (the attempt's outcome sets "
            "the next one), and while the endpoint is inactive: the delivery waits, and "
            "falls due at once when the endpoint is active again. Null once delivered "
            "or failed."
        },
    )
    delivered_at = ma.fields.DateTime(allow_none=True)
    attempts = ma.fields.List(ma.fields.Nested(AttemptSchema))
    failure = ma.fields.String(
        allow_none=True,
        metadata={
            "description": "Why a failed delivery was given up: no 2xx answer in every "
            "attempt, the endpoint answered 410 Gone, or the endpoint stopped subscribing "
            "to the event type. Null unless failed."
        },
    )
