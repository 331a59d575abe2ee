"""The webhook rules in plain Python: URLs, addresses, retries, secrets, payloads."""

from __future__ import annotations

import base64
import uuid
from datetime import UTC, datetime, timedelta

import pytest
from standardwebhooks import Webhook as Verifier

from service.adapters.webhook_sender import HttpWebhookSender, ResolvingHosts, signed_headers
from service.application.webhook_ports import OutgoingMessage
from service.domain.errors import Conflict, Invalid
from service.domain.webhook_events import DATA_FIELDS, PUBLISHED, Change, webhook_event_of
from service.domain.webhook_retries import DeliveryStatus, RetrySchedule
from service.domain.webhooks import (
    MAX_WEBHOOKS_PER_ORGANISATION,
    Webhook,
    address_refusal,
    ensure_room_for_another,
    new_signing_secret,
    normalise_events,
    parse_endpoint_url,
    signing_secrets,
)

NOW = datetime(2026, 11, 27, 12, 0, tzinfo=UTC)
NEW_SECRET = new_signing_secret()


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
        ("127.0.0.2", False, True),
        ("240.0.0.1", False, False),
        ("::", False, False),
        ("ff02::1", False, False),
        ("4000::1", False, False),  # outside global unicast (2000::/3)
        ("::ffff:169.254.169.254", False, False),
        ("::ffff:93.184.216.34", True, True),
        # NAT64, well-known prefix: judged by the IPv4 address it carries, and never
        # this machine's loopback (the translator is another machine).
        ("64:ff9b::a9fe:a9fe", False, False),  # 169.254.169.254
        ("64:ff9b::a00:1", False, False),  # 10.0.0.1
        ("64:ff9b::7f00:1", False, False),  # 127.0.0.1
        ("64:ff9b::c0a8:1", False, False),  # 192.168.0.1
        ("64:ff9b::5db8:d822", True, True),  # 93.184.216.34, as DNS64 answers for it
        # Refused whatever they carry: local-use NAT64, 6to4, Teredo, SIIT, IPv4-compatible.
        ("64:ff9b:1::a9fe:a9fe", False, False),
        ("64:ff9b:1:ff::5db8:d822", False, False),
        ("2002:a9fe:a9fe::1", False, False),
        ("2002:5db8:d822::1", False, False),
        ("2001:0:4136:e378:8000:63bf:3fff:fdd2", False, False),
        ("2001::a9fe:a9fe", False, False),
        ("::ffff:0:a9fe:a9fe", False, False),
        ("::ffff:0:7f00:1", False, False),
        ("::ffff:0:5db8:d822", False, False),
        ("::a9fe:a9fe", False, False),
        ("::7f00:1", False, False),
        ("::5db8:d822", False, False),
    ],
)
def test_only_public_addresses_and_loopback_where_allowed(
    address: str, allowed: bool, allowed_with_loopback: bool
) -> None:
    assert (address_refusal(address, allow_loopback=False) is None) is allowed
    assert (address_refusal(address, allow_loopback=True) is None) is allowed_with_loopback


@pytest.mark.parametrize(
    ("address", "named"),
    [
        ("64:ff9b::a9fe:a9fe", "NAT64 address of 169.254.169.254"),
        ("64:ff9b:1::a9fe:a9fe", "local-use NAT64"),
        ("2002:a9fe:a9fe::1", "6to4"),
        ("2001:0:4136:e378:8000:63bf:3fff:fdd2", "Teredo"),
        ("::ffff:0:a9fe:a9fe", "SIIT"),
        ("::a9fe:a9fe", "IPv4-compatible"),
    ],
)
def test_a_refused_translation_says_which_it_is(address: str, named: str) -> None:
    assert named in (address_refusal(address, allow_loopback=True) or "")


class StubHosts(ResolvingHosts):
    """Every host resolves to ``address``: DNS answering with what an attacker chose."""

    def __init__(self, address: str) -> None:
        super().__init__(allow_loopback=True)
        self.address = address

    def addresses(self, host: str, port: int) -> list[str]:
        return [self.address]


@pytest.mark.parametrize(
    "address", ["64:ff9b::a9fe:a9fe", "64:ff9b::7f00:1", "2002:a9fe:a9fe::1", "::a9fe:a9fe"]
)
def test_a_host_resolving_to_a_translated_internal_address_is_refused_when_sending(
    address: str,
) -> None:
    sender = HttpWebhookSender(StubHosts(address), timeout_seconds=1)
    try:
        message = OutgoingMessage("https://hooks.example.com/in", "evt_1", "{}", [NEW_SECRET])
        result = sender.send(message, NOW)
    finally:
        sender.close()
    assert result.status_code is None
    assert result.error is not None
    assert "ConnectError" in result.error
    refusal = address_refusal(address, allow_loopback=True)
    assert refusal is not None
    assert refusal in result.error


def test_registration_is_refused_beyond_the_cap() -> None:
    ensure_room_for_another(MAX_WEBHOOKS_PER_ORGANISATION - 1)
    with pytest.raises(Conflict) as refused:
        ensure_room_for_another(MAX_WEBHOOKS_PER_ORGANISATION)
    assert str(MAX_WEBHOOKS_PER_ORGANISATION) in refused.value.message


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


def test_a_second_rotation_within_the_grace_keeps_the_secret_receivers_hold() -> None:
    """Rotated again (say the first answer was lost): the original, which receivers
    still hold, keeps signing until the later grace ends; the one in between stops."""
    original = new_signing_secret()
    webhook = Webhook(uuid.uuid4(), uuid.uuid4(), "https://x.example", ["cycle.launched"], original)
    between = webhook.rotate_secret(NOW, timedelta(hours=24))
    newest = webhook.rotate_secret(NOW + timedelta(hours=1), timedelta(hours=24))
    assert webhook.previous_secret == original
    assert webhook.previous_secret_expires_at == NOW + timedelta(hours=25)
    keys = signing_secrets(
        webhook.secret, webhook.previous_secret, webhook.previous_secret_expires_at, NOW
    )
    assert keys == [newest, original]
    assert between not in keys
    # Once that grace has passed, a rotation keeps the current secret, as the first did.
    after = NOW + timedelta(hours=26)
    latest = webhook.rotate_secret(after, timedelta(hours=24))
    assert (webhook.previous_secret, webhook.secret) == (newest, latest)


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
            "cycle_participant",
            "calibrated",
            {"ratings": [{"score": 5}], "note": "candid", "cycle_id": "c", "member_id": "m"},
        ),
        NOW,
    )
    assert calibration is not None
    assert calibration.type == "calibration.changed"
    # Results before release and a note about a person stay in the service.
    assert set(calibration.data) == {"participant_id", "cycle_id", "member_id", "actor_id"}
    member = webhook_event_of(
        _change("member", "deactivated", {"status": "deactivated", "email": "a@b.c", "title": "x"}),
        NOW,
    )
    assert member is not None
    assert set(member.data) == {"member_id", "email", "name", "status", "actor_id"}
    assert member.payload()["timestamp"] == NOW.isoformat()


def test_each_event_types_data_has_the_fields_its_documentation_lists() -> None:
    for (entity_type, action), (event_type, _data) in PUBLISHED.items():
        event = webhook_event_of(_change(entity_type, action, {"type": "self"}), NOW)
        assert event is not None
        assert list(event.data) == list(DATA_FIELDS[event_type]), event_type
    peer = webhook_event_of(_change("review", "submitted", {"type": "peer"}), NOW)
    assert peer is not None
    assert list(peer.data) == [f for f in DATA_FIELDS["review.submitted"] if f != "reviewer_id"]
