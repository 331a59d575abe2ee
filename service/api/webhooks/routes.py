"""Webhook endpoints and their delivery log."""

from __future__ import annotations

from datetime import timedelta
from typing import Any
from uuid import UUID

from flask.views import MethodView

from service.api.base import Blueprint, page_request, paginated
from service.api.operations import operation
from service.api.requests import context
from service.api.versions import if_match_version, with_etag
from service.api.webhooks.schemas import (
    DeliveryQuerySchema,
    DeliverySchema,
    RotateSecretSchema,
    WebhookPatchSchema,
    WebhookSchema,
    WebhookWithSecretSchema,
)
from service.application import webhooks as use_cases
from service.application.webhook_ports import DeliveryRecord
from service.domain.access import AccessRole, Scope
from service.domain.webhook_events import DATA_FIELDS
from service.domain.webhooks import EVENT_TYPES, MAX_WEBHOOKS_PER_ORGANISATION, Webhook

ADMINS = [AccessRole.ADMIN]
NOT_FOUND = "No such webhook in your organisation."
TOO_MANY = (
    f"The organisation already has {MAX_WEBHOOKS_PER_ORGANISATION} webhooks, active or inactive."
)
CREATE_DESCRIPTION = f"""\
The answer alone carries the signing `secret`: keep it to verify signatures.

An organisation keeps at most {MAX_WEBHOOKS_PER_ORGANISATION} webhooks, active and
inactive together (each event is sent once to every subscribed endpoint, and all
organisations share the deliverers): one more answers 409. Delete one first, or
subscribe an existing endpoint to more events."""


def _data_fields() -> str:
    """One line per event type: its ``data``, field by field (``DATA_FIELDS``)."""
    return "\n".join(
        f"- `{event_type}`: "
        + "; ".join(f"`{name}` ({meaning})" for name, meaning in DATA_FIELDS[event_type].items())
        + "."
        for event_type in EVENT_TYPES
    )


blp = Blueprint(
    "webhooks",
    __name__,
    url_prefix="/api/v1/webhooks",
    description="HTTPS endpoints that receive events as they happen: "
    + ", ".join(f"`{event_type}`" for event_type in EVENT_TYPES)
    + """.

Each event is written in the same transaction as the change it announces, and
delivered at least once (so deduplicate on `webhook-id`): a POST of
`{"type", "timestamp", "data"}` as JSON, signed the Standard Webhooks way. Headers
`webhook-id` (the event's id, the same on every retry), `webhook-timestamp` (Unix
seconds) and `webhook-signature`: `v1,<base64 HMAC-SHA256>` of
`{webhook-id}.{webhook-timestamp}.{body}` keyed with the base64-decoded part of the
secret after `whsec_`; during a rotation's grace period, a second signature with the
previous secret follows, space-separated. Answer 2xx within 10 seconds (connecting
and sending included); anything else (a redirect too) is retried with exponential
backoff and jitter (after about 30 s, 2 min, 8 min, 32 min, 2 h, 8 h, 8 h), then
marked failed. A `Retry-After` header (seconds or an HTTP date) on a failed answer,
a 429 or 503 say, puts the next attempt no earlier than it asks, up to 8 hours away.
410 Gone is not retried: the delivery is marked failed and the endpoint made inactive
(set `active` again to resume).

Events are delivered with no ordering guarantee: a retry, or several deliverers at
work, can bring an event after a later one. Receivers that care about order should
order them by the payload's `timestamp` (the time of the change), and deduplicate on
`webhook-id`.

Event data carries ids and the state after the change, never secrets, never the
content of a review, and never the reviewer of a peer or upward review:

"""
    + _data_fields(),
)


def _grace(body: dict[str, Any]) -> timedelta:
    return timedelta(seconds=body["grace_period_seconds"])


@blp.route("")
class Webhooks(MethodView):
    @operation("listWebhooks", scope=Scope.ADMIN, roles=ADMINS, summary="List webhooks")
    @blp.response(200, WebhookSchema(many=True))
    @blp.paginate()
    def get(self, pagination_parameters: Any) -> list[Webhook]:
        """Oldest first; never their secrets."""
        page = use_cases.list_webhooks(context(), page_request(pagination_parameters))
        return paginated(pagination_parameters, page)

    @operation(
        "createWebhook",
        scope=Scope.ADMIN,
        roles=ADMINS,
        summary="Register a webhook",
        description=CREATE_DESCRIPTION,
        shown_once="secret",
    )
    @blp.arguments(WebhookSchema)
    @blp.response(201, WebhookWithSecretSchema)
    @blp.alt_response(409, description=TOO_MANY)
    @blp.answers_with_etag
    def post(self, body: dict[str, Any]) -> Webhook:
        webhook = use_cases.create_webhook(
            context(),
            use_cases.NewWebhook(
                url=body["url"],
                events=body["events"],
                description=body["description"],
                active=body["active"],
            ),
        )
        return with_etag(webhook)


@blp.route("/<uuid:webhook_id>")
class WebhookById(MethodView):
    @operation("getWebhook", scope=Scope.ADMIN, roles=ADMINS, summary="One webhook")
    @blp.response(200, WebhookSchema)
    @blp.alt_response(404, description=NOT_FOUND)
    @blp.answers_with_etag
    def get(self, webhook_id: UUID) -> Webhook:
        return with_etag(use_cases.get_webhook(context(), webhook_id))

    @operation("updateWebhook", scope=Scope.ADMIN, roles=ADMINS, summary="Change a webhook")
    @blp.arguments(WebhookPatchSchema)
    @blp.response(200, WebhookSchema)
    @blp.alt_response(404, description=NOT_FOUND)
    @blp.takes_if_match()
    @blp.answers_with_etag
    def patch(self, body: dict[str, Any], webhook_id: UUID) -> Webhook:
        """Change the URL, events, description or `active`; `If-Match` is honoured when
        sent. Deliveries already queued go to the new URL. Those queued of event types
        the endpoint no longer subscribes to are marked failed (their `failure` says
        why) and never sent, even if it subscribes again; one already on its way may
        still arrive. Made inactive, the endpoint gets no new events and its queued
        deliveries wait; active again, they fall due at once."""
        webhook = use_cases.update_webhook(context(), webhook_id, body, if_match_version())
        return with_etag(webhook)

    @operation("deleteWebhook", scope=Scope.ADMIN, roles=ADMINS, summary="Remove a webhook")
    @blp.response(204)
    @blp.alt_response(404, description=NOT_FOUND)
    @blp.takes_if_match()
    def delete(self, webhook_id: UUID) -> None:
        """With its delivery log; deliveries still pending are dropped."""
        use_cases.delete_webhook(context(), webhook_id, if_match_version())


@blp.route("/<uuid:webhook_id>/rotate-secret")
class RotateSecret(MethodView):
    @operation(
        "rotateWebhookSecret",
        scope=Scope.ADMIN,
        roles=ADMINS,
        summary="Rotate the secret",
        shown_once="secret",
    )
    @blp.arguments(RotateSecretSchema)
    @blp.response(200, WebhookWithSecretSchema)
    @blp.alt_response(404, description=NOT_FOUND)
    @blp.takes_if_match()
    @blp.answers_with_etag
    def post(self, body: dict[str, Any], webhook_id: UUID) -> Webhook:
        """A new secret, shown only in this answer. Messages are signed with both the
        new and the previous secret during the grace period, so receivers can switch
        over without rejecting any. Rotated again within a grace period (say, the answer
        was lost), the secret that grace was for keeps signing, until the later of the
        two periods ends; the secret in between stops. A grace of 0 stops every earlier
        secret at once."""
        webhook = use_cases.rotate_secret(context(), webhook_id, _grace(body), if_match_version())
        return with_etag(webhook)


@blp.route("/<uuid:webhook_id>/deliveries")
class Deliveries(MethodView):
    @operation("listWebhookDeliveries", scope=Scope.ADMIN, roles=ADMINS, summary="The delivery log")
    @blp.arguments(DeliveryQuerySchema, location="query")
    @blp.response(200, DeliverySchema(many=True))
    @blp.alt_response(404, description=NOT_FOUND)
    @blp.paginate()
    def get(
        self, query: dict[str, Any], webhook_id: UUID, pagination_parameters: Any
    ) -> list[DeliveryRecord]:
        """Each event sent (or to be sent) to this endpoint, newest first, with every
        attempt: when, the answer's status code or the error, how long it took."""
        page = use_cases.list_deliveries(
            context(), webhook_id, query.get("status"), page_request(pagination_parameters)
        )
        return paginated(pagination_parameters, page)
