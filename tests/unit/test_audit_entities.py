"""The audit log records the kinds of entity it lists, and only those: the log's filter
by kind refuses any other (``GET /audit-events?entity_type=``)."""

from __future__ import annotations

import uuid

import pytest

from service.domain.audit import AUDITED_ENTITIES, AuditEvent


def _event(entity_type: str) -> AuditEvent:
    org, entity = uuid.uuid4(), uuid.uuid4()
    return AuditEvent(org, uuid.uuid4(), None, entity_type, entity, "created", None, {})


def test_every_listed_kind_is_recorded() -> None:
    assert [_event(kind).entity_type for kind in AUDITED_ENTITIES] == list(AUDITED_ENTITIES)


def test_an_unlisted_kind_is_refused_before_it_is_written() -> None:
    with pytest.raises(ValueError, match="Not an audited entity: 'cycle'"):
        _event("cycle")
