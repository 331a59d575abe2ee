"""Who may do what: the principal's scope and role checks."""

from __future__ import annotations

import uuid

import pytest

from service.domain.access import ALL_SCOPES, AccessRole, Principal, Scope
from service.domain.errors import Forbidden


def principal(role: AccessRole, scopes: frozenset[Scope] = ALL_SCOPES) -> Principal:
    return Principal(org_id=uuid.uuid4(), member_id=uuid.uuid4(), access_role=role, scopes=scopes)


def test_a_log_in_carries_every_scope() -> None:
    caller = principal(AccessRole.PM)
    for scope in Scope:
        caller.require_scope(scope)
    assert caller.token_id is None


@pytest.mark.parametrize("scope", list(Scope))
def test_an_api_token_holds_only_its_scopes(scope: Scope) -> None:
    caller = principal(AccessRole.ADMIN, frozenset({scope}))
    caller.require_scope(scope)
    for other in set(Scope) - {scope}:
        with pytest.raises(Forbidden, match=f"'{other}'"):
            caller.require_scope(other)


def test_scopes_do_not_imply_each_other() -> None:
    """``admin`` is not a superset of ``read``: a token has exactly what it was made with."""
    with pytest.raises(Forbidden):
        principal(AccessRole.ADMIN, frozenset({Scope.ADMIN})).require_scope(Scope.READ)


@pytest.mark.parametrize(
    ("role", "allowed"),
    [
        (AccessRole.ADMIN, True),
        (AccessRole.HEAD_OF_PRODUCT, False),
        (AccessRole.PM, False),
    ],
)
def test_require_admin(role: AccessRole, allowed: bool) -> None:
    caller = principal(role)
    assert caller.is_admin is allowed
    if allowed:
        caller.require_admin()
    else:
        with pytest.raises(Forbidden):
            caller.require_admin()


def test_require_role_accepts_any_of_the_roles_given() -> None:
    head = principal(AccessRole.HEAD_OF_PRODUCT)
    head.require_role(AccessRole.ADMIN, AccessRole.HEAD_OF_PRODUCT)
    with pytest.raises(Forbidden):
        head.require_role(AccessRole.ADMIN)
    with pytest.raises(Forbidden):
        principal(AccessRole.PM).require_role()


def test_an_admin_token_without_the_scope_is_refused_even_for_an_admin() -> None:
    read_only = principal(AccessRole.ADMIN, frozenset({Scope.READ}))
    read_only.require_admin()  # the role is the maker's...
    with pytest.raises(Forbidden):
        read_only.require_scope(Scope.ADMIN)  # ...the reach is the token's


def test_roles_and_scopes_parse_from_their_wire_values() -> None:
    assert AccessRole("head_of_product") is AccessRole.HEAD_OF_PRODUCT
    assert {s.value for s in Scope} == {"read", "write", "admin"}
    with pytest.raises(ValueError, match="owner"):
        AccessRole("owner")
