"""The webhook rules in plain Python: URLs, addresses, retries, secrets, payloads."""

from __future__ import annotations

import base64
import uuid
from datetime import UTC, datetime, timedelta

import pytest
from standardwebhooks import Webhook as Verifier

from service.adapters.webhook_sender import signed_headers
from service.application.webhook_ports import OutgoingMessage
from service.domain.errors import Invalid
from service.domain.webhook_events import Change, webhook_event_of
from service.domain.webhook_retries import DeliveryStatus, RetrySchedule
from service.domain.webhooks import (
    Webhook,
    address_refusal,
    new_signing_secret,
    normalise_events,
    parse_endpoint_url,
    signing_secrets,
)

NOW = datetime(2026, 11, 27, 12, 0, tzinfo=UTC)


@pytest.mark.parametrize(
    ("url", "allow_loopback"),
    [
        ("https://hooks.example.com/in", False),
        ("https://hooks.example.com:8443/in?team=a", False),
        ("http://127.0.0.1:8080/in", True),
        ("http://localhost/in", True),
        ("http://[::1]:9000/in", True),
    ],
)
def test_acceptable_urls(url: str, allow_loopback: bool) -> None:
    assert parse_endpoint_url(url, allow_loopback=allow_loopback).url == url


@pytest.mark.parametrize(
    ("url", "allow_loopback"),
    [
        ("http://hooks.example.com/in", False),
        ("http://hooks.example.com/in", True),  # loopback allows http to this machine only
        ("http://127.0.0.1:8080/in", False),
        ("https://me:pw@hooks.example.com/in", False),
        ("https://me@hooks.example.com/in", False),
        ("https://hooks.example.com/in#part", False),
        ("https://hooks.example.com:99999/in", False),
        ("https://hooks.example.com/a b", False),
        ("gopher://hooks.example.com/", False),
        ("https:///nohost", False),
        ("https://" + "a" * 2000 + ".com/", False),
    ],
)
def test_refused_urls(url: str, allow_loopback: bool) -> None:
    with pytest.raises(Invalid) as refused:
        parse_endpoint_url(url, allow_loopback=allow_loopback)
    assert list(refused.value.errors) == ["url"]


@pytest.mark.parametrize(
    ("address", "allowed", "allowed_with_loopback"),
    [
        ("93.184.216.34", True, True),
        ("2606:4700:4700::1111", True, True),
        ("127.0.0.1", False, True),
        ("::1", False, True),
        ("::ffff:127.0.0.1", False, True),
        ("10.1.2.3", False, False),
        ("172.16.0.1", False, False),
        ("192.168.0.1", False, False),
        ("169.254.169.254", False, False),
        ("fe80::1%eth0", False, False),
        ("fd00::1", False, False),
        ("100.64.0.1", False, False),
        ("0.0.0.0", False, False),  # noqa: S104 - an address refused, not bound
        ("224.0.0.1", False, False),
        ("::ffff:10.0.0.1", False, False),
    ],
)
def test_only_public_addresses_and_loopback_where_allowed(
    address: str, allowed: bool, allowed_with_loopback: bool
) -> None:
    assert (address_refusal(address, allow_loopback=False) is None) is allowed
    assert (address_refusal(address, allow_loopback=True) is None) is allowed_with_loopback


def test_events_are_known_ones_without_duplicates_in_catalogue_order() -> None:
    assert normalise_events(["member.deactivated", "cycle.launched", "cycle.launched"]) == [
        "cycle.launched",
        "member.deactivated",
    ]
    for wrong in ([], ["cycle.launched", "cycle.exploded"]):
        with pytest.raises(Invalid):
            normalise_events(wrong)


def test_retries_back_off_exponentially_with_jitter_up_to_a_ceiling() -> None:
    schedule = RetrySchedule()
    nominal = [schedule.delay_after(n, 0).total_seconds() for n in range(1, 9)]
    assert nominal == [30, 120, 480, 1920, 7680, 28800, 28800, 28800]
    assert schedule.delay_after(1, -1) == timedelta(seconds=24)
    assert schedule.delay_after(1, 1) == timedelta(seconds=36)
    assert schedule.delay_after(1000, 0) == timedelta(hours=8)
    retry = schedule.after_attempt(1, False, NOW, 0)
    assert (retry.status, retry.next_attempt_at) == (
        DeliveryStatus.PENDING,
        NOW + timedelta(seconds=30),
    )
    assert schedule.after_attempt(8, False, NOW, 0).status is DeliveryStatus.FAILED
    assert schedule.after_attempt(8, True, NOW, 0).status is DeliveryStatus.DELIVERED


def test_a_rotation_keeps_the_previous_secret_signing_for_its_grace_period() -> None:
    first = new_signing_secret()
    assert first.startswith("whsec_")
    assert len(base64.b64decode(first[6:])) >= 24
    webhook = Webhook(uuid.uuid4(), uuid.uuid4(), "https://x.example", ["cycle.launched"], first)
    second = webhook.rotate_secret(NOW, timedelta(hours=24))
    keys = signing_secrets(
        webhook.secret, webhook.previous_secret, webhook.previous_secret_expires_at, NOW
    )
    assert keys == [second, first]
    later = NOW + timedelta(hours=25)
    assert signing_secrets(second, first, webhook.previous_secret_expires_at, later) == [second]
    webhook.rotate_secret(NOW, timedelta(0))
    assert (webhook.previous_secret, webhook.previous_secret_expires_at) == (None, None)


def test_signed_headers_verify_with_the_standard_webhooks_library() -> None:
    secrets = [new_signing_secret(), new_signing_secret()]
    message = OutgoingMessage("https://x.example", "evt_1", '{"type":"cycle.launched"}', secrets)
    now = datetime.now(UTC)
    headers = signed_headers(message, now)
    for secret in secrets:
        assert Verifier(secret).verify(message.body, headers) == {"type": "cycle.launched"}
    assert headers["webhook-timestamp"] == str(int(now.timestamp()))


def _change(entity_type: str, action: str, after: dict[str, object]) -> Change:
    return Change(entity_type, uuid.uuid4(), action, uuid.uuid4(), {"state": "draft"}, after)


@pytest.mark.parametrize(
    ("kind", "attributed"), [("self", True), ("manager", True), ("peer", False), ("upward", False)]
)
def test_a_submitted_review_names_its_reviewer_only_when_not_anonymous(
    kind: str, attributed: bool
) -> None:
    after = {
        "type": kind,
        "status": "submitted",
        "cycle_id": "c",
        "reviewee_id": "r",
        "summary": "private",
        "ratings": [{"comment": "private"}],
    }
    change = _change("review", "submitted", after)
    event = webhook_event_of(change, NOW)
    assert event is not None
    assert event.type == "review.submitted"
    assert ("reviewer_id" in event.data) is attributed
    assert (str(change.actor_id) in str(event.payload())) is attributed
    assert "private" not in str(event.payload())


def test_only_subscribable_changes_publish_and_only_chosen_fields() -> None:
    assert webhook_event_of(_change("review_cycle", "cancelled", {}), NOW) is None
    assert webhook_event_of(_change("member", "updated", {}), NOW) is None
    calibration = webhook_event_of(
        _change(
            "cycle_participant", "calibrated", {"ratings": [], "note": "candid", "cycle_id": "c"}
        ),
        NOW,
    )
    assert calibration is not None
    assert calibration.type == "calibration.changed"
    assert "note" not in calibration.data
    member = webhook_event_of(
        _change("member", "deactivated", {"status": "deactivated", "email": "a@b.c", "title": "x"}),
        NOW,
    )
    assert member is not None
    assert set(member.data) == {"member_id", "email", "name", "status", "actor_id"}
    assert member.payload()["timestamp"] == NOW.isoformat()
