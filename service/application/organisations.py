"""Signing up an organisation, and reading and changing its settings."""

from __future__ import annotations

import uuid
from dataclasses import dataclass

from service.application import audit
from service.application.auth import check_password_strength
from service.application.concurrency import check_version
from service.application.context import Context, require_org_admin
from service.application.ports import Snapshot
from service.application.product_roles import check_scale_change
from service.domain import ladder
from service.domain.access import AccessRole, Scope
from service.domain.career import Competency, ProductRole
from service.domain.errors import Forbidden, NotFound
from service.domain.member import Member, normalise_email
from service.domain.organisation import (
    Organisation,
    default_settings,
    merge_settings,
    validate_slug,
)


@dataclass(frozen=True, slots=True)
class SignUp:
    name: str
    slug: str
    admin_email: str
    admin_name: str
    admin_password: str


@dataclass(frozen=True, slots=True)
class SignedUp:
    organisation: Organisation
    admin: Member


def sign_up(ctx: Context, cmd: SignUp) -> SignedUp:
    if not ctx.policies.signup_enabled:
        raise Forbidden("Sign-up is switched off on this server.")
    validate_slug(cmd.slug)
    check_password_strength(cmd.admin_password)
    org = Organisation(
        id=uuid.uuid4(), name=cmd.name.strip(), slug=cmd.slug, settings=default_settings()
    )
    ctx.uow.bind_tenant(org.id)
    ctx.uow.organisations.add(org)
    ctx.uow.flush()  # a taken slug surfaces here, as a conflict
    admin = Member(
        org_id=org.id,
        id=uuid.uuid4(),
        email=normalise_email(cmd.admin_email),
        name=cmd.admin_name.strip(),
        access_role=AccessRole.ADMIN,
        password_hash=ctx.passwords.hash(cmd.admin_password),
    )
    ctx.uow.members.add(admin)
    ctx.uow.flush()
    audit.record(
        ctx,
        org_id=org.id,
        actor_id=admin.id,
        entity_type="organisation",
        entity_id=org.id,
        action="created",
        after=audit.snapshot(org),
    )
    audit.record(
        ctx,
        org_id=org.id,
        actor_id=admin.id,
        entity_type="member",
        entity_id=admin.id,
        action="created",
        after=audit.snapshot(admin),
    )
    _seed_career_framework(ctx, org, admin)
    ctx.uow.commit()
    return SignedUp(org, admin)


def _seed_career_framework(ctx: Context, org: Organisation, admin: Member) -> None:
    """Every organisation starts with strategy, leadership and execution, and the
    product-management ladder (levels 1 to 8) expecting them; admins edit both."""
    competencies = ladder.default_competencies(org.id)
    for competency in competencies:
        ctx.uow.competencies.add(competency)
    ctx.uow.flush()  # the expectations refer to them
    roles = ladder.default_ladder(org.id, competencies)
    for role in roles:
        ctx.uow.product_roles.add(role)
    seeded: list[tuple[str, Competency | ProductRole]] = [
        *(("competency", c) for c in competencies),
        *(("product_role", r) for r in roles),
    ]
    for entity_type, entity in seeded:
        audit.record(
            ctx,
            org_id=org.id,
            actor_id=admin.id,
            entity_type=entity_type,
            entity_id=entity.id,
            action="created",
            after=audit.snapshot(entity),
        )


def get_organisation(ctx: Context) -> Organisation:
    ctx.caller.require_scope(Scope.READ)
    org = ctx.uow.organisations.get(ctx.caller.org_id)
    if org is None:
        raise NotFound("Organisation")
    return org


def update_organisation(
    ctx: Context, *, name: str | None, settings: Snapshot | None, expected_version: int | None
) -> Organisation:
    require_org_admin(ctx)
    org = get_organisation(ctx)
    check_version(org.version, expected_version)
    before = audit.snapshot(org)
    if settings:
        new_settings = merge_settings(org.settings, dict(settings))
        if new_settings["rating_scale"] != org.settings["rating_scale"]:
            scale = new_settings["rating_scale"]
            # Before anything changes; an expectation written meanwhile waits, then
            # checks itself against the new scale.
            ctx.uow.product_roles.lock_ladder()
            check_scale_change(ctx, int(scale["min"]), int(scale["max"]))
        org.settings = new_settings
    if name is not None:
        org.name = name.strip()
    audit.record_changes(
        ctx,
        entity_type="organisation",
        entity_id=org.id,
        before=before,
        after=audit.snapshot(org),
    )
    ctx.uow.commit()
    return org
