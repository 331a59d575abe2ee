"""Which changes integrators hear about, and what the message says.

Every change a webhook announces is already written to the audit log, so the audit
event is the source: its entity and action name the webhook event, its before and
after give the data. The data is chosen field by field, never copied whole: no
secret, and nothing that would undo review anonymity (a peer or upward review's
message names no reviewer, and no review's content or calibrated rating leaves the
service: receivers read them through the API, under its visibility rules).
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from dataclasses import dataclass
from datetime import datetime
from typing import Any
from uuid import UUID

from service.domain.cycle import ReviewType

#: Review types whose reviewer the reviewee knows anyway.
ATTRIBUTED_REVIEWS = frozenset({ReviewType.SELF.value, ReviewType.MANAGER.value})


@dataclass(frozen=True, slots=True)
class Change:
    """What the audit log says about one change."""

    entity_type: str
    entity_id: UUID
    action: str
    actor_id: UUID | None
    before: Mapping[str, Any] | None
    after: Mapping[str, Any] | None


@dataclass(frozen=True, slots=True)
class WebhookEvent:
    type: str
    timestamp: datetime
    data: dict[str, Any]

    def payload(self) -> dict[str, Any]:
        """The message body, as the Standard Webhooks payload structure has it."""
        return {"type": self.type, "timestamp": self.timestamp.isoformat(), "data": self.data}


def _text(value: Any) -> str | None:
    return None if value is None else str(value)


def _pick(source: Mapping[str, Any] | None, *keys: str) -> dict[str, Any]:
    source = source or {}
    return {key: source.get(key) for key in keys}


def _cycle(change: Change) -> dict[str, Any]:
    data = {
        "cycle_id": str(change.entity_id),
        "state": (change.after or {}).get("state"),
        "previous_state": (change.before or {}).get("state"),
        "actor_id": _text(change.actor_id),
    }
    if change.action == "launched":
        data |= _pick(change.after, "participants", "reviews")
    return data


def _review(change: Change) -> dict[str, Any]:
    after = change.after or {}
    data: dict[str, Any] = {"review_id": str(change.entity_id)}
    data |= _pick(after, "cycle_id", "reviewee_id", "type", "status")
    if after.get("type") in ATTRIBUTED_REVIEWS:
        data["reviewer_id"] = _text(change.actor_id)  # the author is the one submitting
    return data


def _calibration(change: Change) -> dict[str, Any]:
    # Which person's results changed, not what they are: the ratings are results before
    # release, read through the API under its rules (which withhold them, for one, from
    # an admin who is the participant); the note is free text about a person.
    return {
        "participant_id": str(change.entity_id),
        **_pick(change.after, "cycle_id", "member_id"),
        "actor_id": _text(change.actor_id),
    }


def _member(change: Change) -> dict[str, Any]:
    return {
        "member_id": str(change.entity_id),
        **_pick(change.after, "email", "name", "status"),
        "actor_id": _text(change.actor_id),
    }


#: (audit entity type, audit action) -> the webhook event it publishes, and the data
#: its message carries; in the order subscribers read the event types
#: (``webhooks.EVENT_TYPES`` is made from it: one list, so none is published that cannot
#: be subscribed to, nor subscribable that is never published).
PUBLISHED: Mapping[tuple[str, str], tuple[str, Callable[[Change], dict[str, Any]]]] = {
    ("review_cycle", "launched"): ("cycle.launched", _cycle),
    ("review", "submitted"): ("review.submitted", _review),
    ("review_cycle", "calibrating"): ("cycle.calibrating", _cycle),
    ("review_cycle", "released"): ("cycle.released", _cycle),
    ("cycle_participant", "calibrated"): ("calibration.changed", _calibration),
    ("member", "deactivated"): ("member.deactivated", _member),
}


_ACTOR = {"actor_id": "the member who made the change"}
_CYCLE = {
    "cycle_id": "the cycle",
    "state": "its state now",
    "previous_state": "its state before",
    **_ACTOR,
}

#: Each event type's ``data``, field by field, in the order its message carries them:
#: what the webhooks documentation lists (a unit test holds every builder above to it).
DATA_FIELDS: Mapping[str, Mapping[str, str]] = {
    "cycle.launched": {
        **_CYCLE,
        "participants": "how many people take part",
        "reviews": "how many reviews the launch created: self, manager and upward ones",
    },
    "review.submitted": {
        "review_id": "the review, to read through the API",
        "cycle_id": "its cycle",
        "reviewee_id": "the person reviewed",
        "type": "`self`, `manager`, `peer` or `upward`",
        "status": "`submitted`",
        "reviewer_id": "its author, for a self or manager review only: never sent for a "
        "peer or upward one",
    },
    "cycle.calibrating": _CYCLE,
    "cycle.released": _CYCLE,
    "calibration.changed": {
        "participant_id": "the cycle participant whose calibrated ratings changed, to read "
        "through the API",
        "cycle_id": "the cycle",
        "member_id": "the person",
        **_ACTOR,
    },
    "member.deactivated": {
        "member_id": "the person",
        "email": "their email",
        "name": "their name",
        "status": "`deactivated`",
        **_ACTOR,
    },
}


def published_type(entity_type: str, action: str) -> str | None:
    published = PUBLISHED.get((entity_type, action))
    return None if published is None else published[0]


def webhook_event_of(change: Change, at: datetime) -> WebhookEvent | None:
    """The webhook event a change publishes, or None when it publishes none."""
    published = PUBLISHED.get((change.entity_type, change.action))
    if published is None:
        return None
    event_type, data = published
    return WebhookEvent(event_type, at, data(change))
