"""The competency catalogue: read by everyone, edited by admins, retired but never deleted."""

from __future__ import annotations

import uuid
from dataclasses import dataclass
from typing import Any
from uuid import UUID

from service.application import audit
from service.application.concurrency import check_version
from service.application.context import Context
from service.application.pagination import Page, PageRequest
from service.domain.access import AccessRole, Scope
from service.domain.career import Competency, validate_key
from service.domain.errors import NotFound


@dataclass(frozen=True, slots=True)
class NewCompetency:
    key: str
    name: str
    description: str | None = None
    position: int | None = None


def require_ladder_editor(ctx: Context) -> None:
    """Heads of product define the ladder their PMs grow along (PRODUCT.md), as do admins."""
    caller = ctx.caller
    caller.require_scope(Scope.WRITE)
    caller.require_role(AccessRole.ADMIN, AccessRole.HEAD_OF_PRODUCT)


def list_competencies(ctx: Context, page: PageRequest, retired: bool | None) -> Page[Competency]:
    ctx.caller.require_scope(Scope.READ)
    return ctx.uow.competencies.list(page, retired)


def get_competency(ctx: Context, competency_id: UUID) -> Competency:
    ctx.caller.require_scope(Scope.READ)
    competency = ctx.uow.competencies.get(competency_id)
    if competency is None:
        raise NotFound("Competency")
    return competency


def create_competency(ctx: Context, cmd: NewCompetency) -> Competency:
    require_ladder_editor(ctx)
    validate_key(cmd.key, "key")
    position = cmd.position
    if position is None:
        position = max((c.position for c in ctx.uow.competencies.all()), default=-1) + 1
    competency = Competency(
        org_id=ctx.caller.org_id,
        id=uuid.uuid4(),
        key=cmd.key,
        name=cmd.name.strip(),
        description=cmd.description,
        position=position,
    )
    ctx.uow.competencies.add(competency)
    ctx.uow.flush()  # a taken key answers 409 here
    audit.record(
        ctx,
        entity_type="competency",
        entity_id=competency.id,
        action="created",
        after=audit.snapshot(competency),
    )
    ctx.uow.commit()
    return competency


def update_competency(
    ctx: Context, competency_id: UUID, values: dict[str, Any], expected_version: int | None
) -> Competency:
    """Change fields; ``retired`` true retires it, which takes its expectations off
    the ladder (each role change audited). Past cycles keep their own copy."""
    require_ladder_editor(ctx)
    competency = ctx.uow.competencies.get(competency_id)
    if competency is None:
        raise NotFound("Competency")
    check_version(competency.version, expected_version)
    if values.get("retired") and not competency.retired:
        # Before anything changes: a role write in flight commits first, and its
        # expectation on this competency is then taken off below (or it waits, and
        # then finds the competency retired).
        ctx.uow.product_roles.lock_ladder()
    before = audit.snapshot(competency)
    if "key" in values:
        validate_key(values["key"], "key")
        competency.key = values["key"]
    if "name" in values:
        competency.name = values["name"].strip()
    for name in ("description", "position"):
        if name in values:
            setattr(competency, name, values[name])
    if "retired" in values and values["retired"] != competency.retired:
        if values["retired"]:
            competency.retire()
            _take_off_the_ladder(ctx, competency)
        else:
            competency.reinstate()
    after = audit.snapshot(competency)
    action = "updated"
    if before["retired"] != after["retired"]:
        action = "retired" if after["retired"] else "reinstated"
    audit.record_changes(
        ctx,
        entity_type="competency",
        entity_id=competency.id,
        before=before,
        after=after,
        action=action,
    )
    ctx.uow.commit()
    return competency


def _take_off_the_ladder(ctx: Context, competency: Competency) -> None:
    for role in ctx.uow.product_roles.expecting(competency.id):
        before = audit.snapshot(role)
        if role.drop_competency(competency.id):
            ctx.uow.product_roles.mark_changed(role)
            audit.record(
                ctx,
                entity_type="product_role",
                entity_id=role.id,
                action="updated",
                before=before,
                after=audit.snapshot(role),
            )
