"""People: reading the directory, adding, changing and deactivating members."""

from __future__ import annotations

import uuid
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any
from uuid import UUID

from service.application import audit, structure
from service.application.auth import check_password_strength
from service.application.career_ports import DirectoryEntry, MemberFilters
from service.application.concurrency import check_version
from service.application.context import Context, require_every_scope, require_org_admin
from service.application.pagination import Page, PageRequest
from service.domain.access import AccessRole, Scope
from service.domain.credentials import INVITATION_TOKEN_PREFIX, Invitation, hash_secret, new_secret
from service.domain.errors import Conflict, NotFound
from service.domain.member import Member, normalise_email, require_an_admin


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


def get_me(ctx: Context) -> DirectoryEntry:
    """The caller's own record, read as ``get_member`` reads anyone."""
    return get_member(ctx, ctx.caller.member_id)


def get_member(ctx: Context, member_id: UUID) -> DirectoryEntry:
    """One statement: the member with their manager's, team's and role's names. Every
    member reads the directory (PRODUCT.md: access roles)."""
    ctx.caller.require_scope(Scope.READ)
    entry = ctx.uow.reporting_lines.entry(member_id)
    if entry is None:
        raise NotFound("Member")
    return entry


def list_members(ctx: Context, filters: MemberFilters, page: PageRequest) -> Page[DirectoryEntry]:
    """One statement whatever the page size: members with their manager's, team's and
    role's names."""
    ctx.caller.require_scope(Scope.READ)
    return ctx.uow.reporting_lines.directory(filters, page)


def create_member(ctx: Context, cmd: NewMember) -> Member:
    caller = require_org_admin(ctx)
    if cmd.password is not None:
        require_every_scope(ctx, "Setting a password")
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
    structure.apply_structure(
        ctx,
        member,
        {
            name: value
            for name, value in (
                ("product_role_id", cmd.product_role_id),
                ("manager_id", cmd.manager_id),
                ("team_id", cmd.team_id),
            )
            if value is not None
        },
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
    require_org_admin(ctx)
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
        if new_role is AccessRole.ADMIN and member.access_role is not AccessRole.ADMIN:
            require_every_scope(ctx, "Making someone an admin")
        leaves_admins = member.access_role is AccessRole.ADMIN and new_role is not AccessRole.ADMIN
        if leaves_admins and member.is_active:
            _keep_an_admin(ctx, member)
        member.access_role = new_role
    if "name" in values:
        member.name = values.pop("name").strip()
    if "title" in values:
        member.title = values.pop("title")
    structure.apply_structure(ctx, member, values)
    audit.record_changes(
        ctx,
        entity_type="member",
        entity_id=member.id,
        before=before,
        after=audit.snapshot(member),
    )
    ctx.uow.commit()
    return member


def _keep_an_admin(ctx: Context, member: Member) -> None:
    """Before an active admin stops being one: another who can log in must remain. The
    count takes the organisation's admin lock first: this runs before
    ``apply_structure`` takes the reporting lines', in the order the CSV import takes
    them too."""
    require_an_admin(ctx.uow.members.active_admin_count(ctx.now(), excluding=[member.id]))


def deactivate_member(ctx: Context, member_id: UUID, expected_version: int | None) -> Member:
    require_org_admin(ctx)
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
    _move_reports_up(ctx, member)
    _hand_over_manager_reviews(ctx, member)
    _withdraw_open_reviews(ctx, member)
    ctx.uow.commit()
    return member


def _withdraw_open_reviews(ctx: Context, member: Member) -> None:
    """In active cycles, what a departed member had still to write, and what was still to
    be written about them, is withdrawn (each audited): nobody can finish it, and it
    would hold completion below 1 and calibration behind ``force`` for ever. Submitted
    reviews stay, and so does the member's place among the participants."""
    for gone in ctx.uow.reviews.withdraw_open_reviews(member.id):
        audit.record(
            ctx,
            entity_type="review",
            entity_id=gone.review_id,
            action="withdrawn",
            before={
                "status": gone.status,
                "type": gone.type,
                "cycle_id": str(gone.cycle_id),
                "reviewee_id": str(gone.reviewee_id),
            },
            after={"reason": "member_deactivated"},
        )


def _hand_over_manager_reviews(ctx: Context, member: Member) -> None:
    """The manager reviews a departed manager had still to write in active cycles go to
    each reviewee's manager now (PRODUCT.md: whoever has direct reports writes their
    manager review), with any draft in them; each hand-over audited. The cycle's
    snapshot of who managed whom stays as it was."""
    ctx.uow.flush()  # the reports' new managers, above, are what the hand-over reads
    for handed in ctx.uow.reviews.hand_over_manager_reviews(member.id):
        audit.record(
            ctx,
            entity_type="review",
            entity_id=handed.review_id,
            action="reassigned",
            before={"reviewer_id": str(member.id)},
            after={
                "reviewer_id": str(handed.reviewer_id),
                "cycle_id": str(handed.cycle_id),
                "reviewee_id": str(handed.reviewee_id),
                "reason": "manager_deactivated",
            },
        )


def _move_reports_up(ctx: Context, member: Member) -> None:
    """Nobody keeps reporting to someone who has left: the direct reports of a
    deactivated member move to their nearest active manager (or to none), each move
    audited, so subtrees, nominations and reports keep a reachable manager."""
    lines = ctx.uow.reporting_lines
    lines.lock()  # as any change of manager: no loop can form meanwhile
    reports = ctx.uow.members.direct_reports(member.id)
    if not reports:
        return
    chain = lines.manager_chain(member.manager_id) if member.manager_id else []
    new_manager = next((link.id for link in chain if link.active), None)
    for report in reports:
        report.manager_id = new_manager
        audit.record(
            ctx,
            entity_type="member",
            entity_id=report.id,
            action="updated",
            before={"manager_id": str(member.id)},
            after={
                "manager_id": None if new_manager is None else str(new_manager),
                "reason": "manager_deactivated",
            },
        )


def invite_member(ctx: Context, member_id: UUID) -> IssuedInvitation:
    """A one-time token with which a member without a password sets their first one.

    A member who has a password is refused: redeeming would replace it, and whoever
    holds the token (the inviting admin included) could then log in as them.
    """
    caller = require_org_admin(ctx)
    require_every_scope(ctx, "An invitation")
    member = ctx.uow.members.get(member_id)
    if member is None:
        raise NotFound("Member")
    if not member.is_active:
        raise Conflict("A deactivated member cannot be invited.")
    if member.password_hash is not None:
        raise Conflict(
            "The member already has a password; an invitation only sets a first password"
            " and cannot replace it."
        )
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
