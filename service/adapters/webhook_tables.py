"""The webhook tables (migrations 0007, 0012 and 0017), on the same ``metadata`` as
``tables``.

An endpoint (``webhooks``), the outbox: one row per event (``webhook_events``) and
one per event and subscribed endpoint (``webhook_deliveries``), and the log of
every attempt (``webhook_attempts``). Deleting an endpoint deletes its deliveries
and their attempts.
"""

from __future__ import annotations

from sqlalchemy import (
    Boolean,
    CheckConstraint,
    Column,
    DateTime,
    ForeignKeyConstraint,
    Index,
    Integer,
    PrimaryKeyConstraint,
    String,
    Table,
    Text,
    UniqueConstraint,
    func,
    text,
)
from sqlalchemy.dialects.postgresql import ARRAY, JSONB, UUID

from service.adapters.tables import created_at_column, metadata

webhooks = Table(
    "webhooks",
    metadata,
    Column("org_id", UUID(as_uuid=True), nullable=False),
    Column("id", UUID(as_uuid=True), nullable=False),
    Column("url", String(2000), nullable=False),
    Column("events", ARRAY(String(64)), nullable=False),
    Column("description", Text),
    Column("active", Boolean, nullable=False, server_default=text("true")),
    # Kept as they are, not hashed: the deliverer signs with them.
    Column("secret", String(128), nullable=False),
    Column("previous_secret", String(128)),
    Column("previous_secret_expires_at", DateTime(timezone=True)),
    Column("version", Integer, nullable=False, server_default=text("1")),
    created_at_column(),
    Column("updated_at", DateTime(timezone=True), nullable=False, server_default=func.now()),
    PrimaryKeyConstraint("org_id", "id"),
    ForeignKeyConstraint(["org_id"], ["organisations.id"], ondelete="CASCADE"),
    CheckConstraint("cardinality(events) > 0", name="events"),
)

webhook_events = Table(
    "webhook_events",
    metadata,
    Column("org_id", UUID(as_uuid=True), nullable=False),
    Column("id", UUID(as_uuid=True), nullable=False),
    Column("type", String(64), nullable=False),
    Column("payload", JSONB, nullable=False),
    created_at_column(),
    PrimaryKeyConstraint("org_id", "id"),
    ForeignKeyConstraint(["org_id"], ["organisations.id"], ondelete="CASCADE"),
)

webhook_deliveries = Table(
    "webhook_deliveries",
    metadata,
    Column("org_id", UUID(as_uuid=True), nullable=False),
    Column("id", UUID(as_uuid=True), nullable=False),
    Column("webhook_id", UUID(as_uuid=True), nullable=False),
    Column("event_id", UUID(as_uuid=True), nullable=False),
    Column("status", String(16), nullable=False, server_default=text("'pending'")),
    Column("attempts", Integer, nullable=False, server_default=text("0")),
    # When the delivery falls due (its first attempt, or a retry): the retry schedule.
    Column("next_attempt_at", DateTime(timezone=True)),
    Column("delivered_at", DateTime(timezone=True)),
    # Until when a deliverer holds it (migration 0012); in the past, it is free again:
    # given back when the attempt was recorded, or run out.
    Column("leased_until", DateTime(timezone=True)),
    # Its endpoint is inactive (migration 0017): it waits, out of the claim's index.
    # Kept by a trigger on ``webhooks.active``, whoever changes it.
    Column("parked", Boolean, nullable=False, server_default=text("false")),
    # Why a failed delivery was given up (migration 0017).
    Column("failure", String(200)),
    created_at_column(),
    PrimaryKeyConstraint("org_id", "id"),
    ForeignKeyConstraint(
        ["org_id", "webhook_id"], ["webhooks.org_id", "webhooks.id"], ondelete="CASCADE"
    ),
    ForeignKeyConstraint(
        ["org_id", "event_id"], ["webhook_events.org_id", "webhook_events.id"], ondelete="CASCADE"
    ),
    CheckConstraint("status IN ('pending', 'delivered', 'failed')", name="status"),
    CheckConstraint(
        "(status = 'pending') = (next_attempt_at IS NOT NULL)", name="pending_has_next_attempt"
    ),
    CheckConstraint("status = 'failed' OR failure IS NULL", name="failure_only_when_failed"),
    # An endpoint's delivery log, newest first.
    Index(
        "ix_webhook_deliveries_org_id_webhook_id_created_at", "org_id", "webhook_id", "created_at"
    ),
    # The deliverers' claim (migrations 0012 and 0017): the organisations with something
    # still to send, and each one's earliest due delivery; parked ones are left out.
    Index(
        "ix_webhook_deliveries_pending_org_id_next_attempt_at",
        "org_id",
        "next_attempt_at",
        postgresql_where=text("status = 'pending' AND NOT parked"),
    ),
    # Each organisation's unexpired leases (its cap) and its last lease (its turn).
    Index(
        "ix_webhook_deliveries_org_id_leased_until",
        "org_id",
        "leased_until",
        postgresql_where=text("leased_until IS NOT NULL"),
    ),
    # The retention prune (migration 0008): finished deliveries by age.
    Index(
        "ix_webhook_deliveries_created_at_finished",
        "created_at",
        postgresql_where=text("status <> 'pending'"),
    ),
)

webhook_attempts = Table(
    "webhook_attempts",
    metadata,
    Column("org_id", UUID(as_uuid=True), nullable=False),
    Column("id", UUID(as_uuid=True), nullable=False),
    Column("delivery_id", UUID(as_uuid=True), nullable=False),
    Column("attempt", Integer, nullable=False),
    Column("attempted_at", DateTime(timezone=True), nullable=False),
    Column("status_code", Integer),
    Column("error", String(500)),
    Column("duration_ms", Integer, nullable=False),
    PrimaryKeyConstraint("org_id", "id"),
    # One row per attempt number: a second writer of the same attempt fails.
    UniqueConstraint("org_id", "delivery_id", "attempt"),
    ForeignKeyConstraint(
        ["org_id", "delivery_id"],
        ["webhook_deliveries.org_id", "webhook_deliveries.id"],
        ondelete="CASCADE",
    ),
)
