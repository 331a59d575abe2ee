"""People: reading the directory, adding, changing and deactivating members."""

from __future__ import annotations

import uuid
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any
from uuid import UUID

from service.application import audit
from service.application.auth import check_password_strength
from service.application.concurrency import check_version
from service.application.context import Context
from service.application.pagination import Page, PageRequest
from service.application.ports import MemberFilters
from service.domain.access import AccessRole, Principal, Scope
from service.domain.credentials import INVITATION_TOKEN_PREFIX, Invitation, hash_secret, new_secret
from service.domain.errors import Conflict, NotFound
from service.domain.member import Member, normalise_email


@dataclass(frozen=True, slots=True)
class MemberView:
    """A member as the caller may see them: in full, or only the directory entry."""

    member: Member
    full: bool


@dataclass(frozen=True, slots=True)
class NewMember:
    email: str
    name: str
    access_role: AccessRole = AccessRole.PM
    title: str | None = None
    product_role_id: UUID | None = None
    manager_id: UUID | None = None
    team_id: UUID | None = None
    password: str | None = None


@dataclass(frozen=True, slots=True)
class MemberChanges:
    """Only the fields present in ``values`` change."""

    values: dict[str, Any] = field(default_factory=dict)


@dataclass(frozen=True, slots=True)
class IssuedInvitation:
    token: str
    expires_at: datetime


def _sees_in_full(ctx: Context, caller: Principal, member_id: UUID) -> bool:
    if caller.is_admin or caller.member_id == member_id:
        return True
    if caller.access_role is AccessRole.HEAD_OF_PRODUCT:
        return member_id in ctx.uow.members.subtree_ids(caller.member_id)
    return False


def get_me(ctx: Context) -> Member:
    caller = ctx.caller
    caller.require_scope(Scope.READ)
    member = ctx.uow.members.get(caller.member_id)
    if member is None:
        raise NotFound("Member")
    return member


def get_member(ctx: Context, member_id: UUID) -> MemberView:
    caller = ctx.caller
    caller.require_scope(Scope.READ)
    member = ctx.uow.members.get(member_id)
    if member is None:
        raise NotFound("Member")
    return MemberView(member, _sees_in_full(ctx, caller, member_id))


def list_members(ctx: Context, filters: MemberFilters, page: PageRequest) -> Page[MemberView]:
    caller = ctx.caller
    caller.require_scope(Scope.READ)
    found = ctx.uow.members.list(filters, page)
    if caller.is_admin:
        visible: frozenset[UUID] | None = None
    elif caller.access_role is AccessRole.HEAD_OF_PRODUCT:
        visible = ctx.uow.members.subtree_ids(caller.member_id) | {caller.member_id}
    else:
        visible = frozenset({caller.member_id})
    return Page(
        [MemberView(m, visible is None or m.id in visible) for m in found.items], found.total
    )


def _require_member_admin(ctx: Context) -> Principal:
    caller = ctx.caller
    caller.require_scope(Scope.ADMIN)
    caller.require_admin()
    return caller


def create_member(ctx: Context, cmd: NewMember) -> Member:
    caller = _require_member_admin(ctx)
    if cmd.password is not None:
        check_password_strength(cmd.password)
    email = normalise_email(cmd.email)
    if ctx.uow.members.get_by_email(email) is not None:
        raise Conflict("A member with this email already exists.")
    member = Member(
        org_id=caller.org_id,
        id=uuid.uuid4(),
        email=email,
        name=cmd.name.strip(),
        title=cmd.title,
        access_role=cmd.access_role,
        password_hash=ctx.passwords.hash(cmd.password) if cmd.password else None,
    )
    ctx.uow.members.add(member)
    ctx.uow.flush()
    audit.record(
        ctx,
        entity_type="member",
        entity_id=member.id,
        action="created",
        after=audit.snapshot(member),
    )
    ctx.uow.commit()
    return member


def update_member(
    ctx: Context, member_id: UUID, changes: MemberChanges, expected_version: int | None
) -> Member:
    _require_member_admin(ctx)
    member = ctx.uow.members.get(member_id)
    if member is None:
        raise NotFound("Member")
    check_version(member.version, expected_version)
    before = audit.snapshot(member)
    values = dict(changes.values)
    if "email" in values:
        email = normalise_email(values.pop("email"))
        other = ctx.uow.members.get_by_email(email)
        if other is not None and other.id != member.id:
            raise Conflict("A member with this email already exists.")
        member.email = email
    if "access_role" in values:
        new_role = AccessRole(values.pop("access_role"))
        if member.access_role is AccessRole.ADMIN and new_role is not AccessRole.ADMIN:
            _keep_an_admin(ctx, member)
        member.access_role = new_role
    for name in ("name", "title"):
        if name in values:
            setattr(member, name, values.pop(name))
    _apply_structure(ctx, member, values)
    after = audit.snapshot(member)
    if after != before:
        audit.record(
            ctx,
            entity_type="member",
            entity_id=member.id,
            action="updated",
            before=before,
            after=after,
        )
    ctx.uow.commit()
    return member


def _apply_structure(ctx: Context, member: Member, values: dict[str, Any]) -> None:
    """Product role, manager and team: validated by the career-framework rules."""
    for name in ("product_role_id", "manager_id", "team_id"):
        if name in values:
            setattr(member, name, values.pop(name))


def _keep_an_admin(ctx: Context, member: Member) -> None:
    if ctx.uow.members.active_admin_count() <= 1:
        raise Conflict("The organisation must keep at least one active admin.")


def deactivate_member(ctx: Context, member_id: UUID, expected_version: int | None) -> Member:
    _require_member_admin(ctx)
    member = ctx.uow.members.get(member_id)
    if member is None:
        raise NotFound("Member")
    check_version(member.version, expected_version)
    before = audit.snapshot(member)
    if member.access_role is AccessRole.ADMIN and member.is_active:
        _keep_an_admin(ctx, member)
    member.deactivate()
    audit.record(
        ctx,
        entity_type="member",
        entity_id=member.id,
        action="deactivated",
        before=before,
        after=audit.snapshot(member),
    )
    ctx.uow.commit()
    return member


def invite_member(ctx: Context, member_id: UUID) -> IssuedInvitation:
    caller = _require_member_admin(ctx)
    member = ctx.uow.members.get(member_id)
    if member is None:
        raise NotFound("Member")
    if not member.is_active:
        raise Conflict("A deactivated member cannot be invited.")
    now = ctx.now()
    ctx.uow.invitations.revoke_open(member.id, now)
    secret = new_secret(INVITATION_TOKEN_PREFIX)
    invitation = Invitation(
        org_id=caller.org_id,
        id=uuid.uuid4(),
        member_id=member.id,
        token_hash=hash_secret(secret),
        created_at=now,
        expires_at=now + ctx.policies.invitation_ttl,
    )
    ctx.uow.invitations.add(invitation)
    audit.record(
        ctx,
        entity_type="member",
        entity_id=member.id,
        action="invited",
        after={
            "invitation_id": str(invitation.id),
            "expires_at": invitation.expires_at.isoformat(),
        },
    )
    ctx.uow.commit()
    return IssuedInvitation(secret, invitation.expires_at)
