"""The first guard: the unit of work scopes every ORM statement, and fails closed."""

from __future__ import annotations

import uuid
from collections.abc import Iterator
from typing import Any

import pytest
from flask import Flask

from service.adapters.tenancy import TenantNotBound
from service.application.pagination import PageRequest
from service.application.ports import AuditFilters
from service.domain.access import AccessRole
from service.domain.member import Member, MemberStatus
from tests.integration.conftest import TwoOrgs


@pytest.fixture
def uow(app: Flask) -> Iterator[Any]:
    unit = app.extensions["review_service"].unit_of_work()
    yield unit
    unit.close()


def test_a_query_without_a_tenant_raises_instead_of_reading_everything(uow: Any) -> None:
    with pytest.raises(TenantNotBound):
        uow.members.get(uuid.uuid4())
    with pytest.raises(TenantNotBound):
        uow.audit_log.list(AuditFilters(), PageRequest())


def test_a_bound_unit_of_work_sees_only_its_organisation(uow: Any, two_orgs: TwoOrgs) -> None:
    a, b = two_orgs.a, two_orgs.b
    uow.bind_tenant(uuid.UUID(a.id))
    assert uow.members.get(uuid.UUID(b.admin.id)) is None
    mine = uow.members.get(uuid.UUID(a.admin.id))
    assert mine is not None
    assert mine.org_id == uuid.UUID(a.id)
    listed = uow.audit_log.list(AuditFilters(), PageRequest(page_size=100))
    assert {event.org_id for event in listed.items} == {uuid.UUID(a.id)}
    assert uow.organisations.get(uuid.UUID(b.id)) is None


def test_loaded_members_carry_the_domain_enums(uow: Any, two_orgs: TwoOrgs) -> None:
    """Rules such as ``member.is_active`` compare enums by identity."""
    uow.bind_tenant(uuid.UUID(two_orgs.a.id))
    admin = uow.members.get(uuid.UUID(two_orgs.a.admin.id))
    assert admin.access_role is AccessRole.ADMIN
    assert admin.status is MemberStatus.ACTIVE
    assert admin.is_active


def test_writing_an_object_of_another_organisation_is_refused(uow: Any, two_orgs: TwoOrgs) -> None:
    uow.bind_tenant(uuid.UUID(two_orgs.a.id))
    uow.members.add(
        Member(
            org_id=uuid.UUID(two_orgs.b.id),
            id=uuid.uuid4(),
            email=f"{uuid.uuid4().hex[:8]}@example.com",
            name="Intruder",
            access_role=AccessRole.ADMIN,
        )
    )
    with pytest.raises(TenantNotBound):
        uow.flush()


def test_the_tenant_is_bound_again_after_a_commit(uow: Any, two_orgs: TwoOrgs) -> None:
    """``set_config(..., true)`` ends with the transaction; the session sets it again."""
    uow.bind_tenant(uuid.UUID(two_orgs.a.id))
    assert uow.members.get(uuid.UUID(two_orgs.a.admin.id)) is not None
    uow.commit()
    assert uow.members.get(uuid.UUID(two_orgs.a.admin.id)) is not None
