"""Members: status, and the reporting-loop rule as a single change applies it."""

from __future__ import annotations

import uuid
from uuid import UUID

import pytest

from service.domain.access import AccessRole
from service.domain.career import loop_closed_by
from service.domain.credentials import hash_secret, new_secret
from service.domain.errors import Conflict
from service.domain.member import Member, MemberStatus, normalise_email


def member() -> Member:
    return Member(
        org_id=uuid.uuid4(),
        id=uuid.uuid4(),
        email="pm@example.com",
        name="PM",
        access_role=AccessRole.PM,
    )


def ids(n: int) -> list[UUID]:
    return [uuid.uuid4() for _ in range(n)]


def test_a_new_member_is_active_and_can_be_deactivated_once() -> None:
    person = member()
    assert person.is_active
    person.deactivate()
    assert person.status is MemberStatus.DEACTIVATED
    assert not person.is_active
    with pytest.raises(Conflict):
        person.deactivate()


def test_emails_are_compared_trimmed_and_lowercased() -> None:
    assert normalise_email("  Ada.Lovelace@Example.COM ") == "ada.lovelace@example.com"


def test_no_loop_in_a_plain_chain() -> None:
    a, b, c, d = ids(4)
    managers = {a: None, b: a, c: b, d: None}
    assert loop_closed_by(d, c, managers) is None  # d now reports to c: fine


def test_a_direct_loop_is_found() -> None:
    a, b = ids(2)
    managers = {a: None, b: a}
    assert loop_closed_by(a, b, managers) == [a, b, a]


def test_a_long_loop_is_found_with_its_path() -> None:
    a, b, c, d = ids(4)
    managers = {a: None, b: a, c: b, d: c}  # d -> c -> b -> a
    assert loop_closed_by(a, d, managers) == [a, d, c, b, a]


def test_managing_oneself_is_a_loop() -> None:
    (a,) = ids(1)
    assert loop_closed_by(a, a, {a: None}) == [a, a]


def test_an_existing_loop_elsewhere_is_not_ours_and_does_not_hang() -> None:
    a, x, y = ids(3)
    managers = {a: None, x: y, y: x}  # x and y already loop (bad data)
    assert loop_closed_by(a, x, managers) is None


def test_unknown_managers_end_the_chain() -> None:
    a, b, outside = ids(3)
    assert loop_closed_by(a, b, {b: outside}) is None


def test_secrets_are_prefixed_random_and_stored_as_hashes() -> None:
    first, second = new_secret("prt_"), new_secret("prt_")
    assert first.startswith("prt_")
    assert first != second
    assert len(first) > 40  # 32 random bytes, url-safe
    assert hash_secret(first) == hash_secret(first)
    assert hash_secret(first) != hash_secret(second)
    assert len(hash_secret(first)) == 64
    assert first not in hash_secret(first)
