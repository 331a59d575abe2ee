"""The career ladder: product roles with their expectations per competency."""

from __future__ import annotations

import uuid
from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any
from uuid import UUID

from service.application import audit
from service.application.career_ports import StrandedExpectation
from service.application.competencies import require_ladder_editor
from service.application.concurrency import check_version
from service.application.context import Context
from service.application.pagination import Page, PageRequest
from service.domain.access import Scope
from service.domain.career import (
    Competency,
    ExpectationSpec,
    PayBand,
    ProductRole,
    check_expectations,
    validate_key,
)
from service.domain.errors import Conflict, Invalid, NotFound
from service.domain.ladder import next_role_ids
from service.domain.organisation import Organisation


@dataclass(frozen=True, slots=True)
class RoleView:
    """A role as the API shows it: with its next role, and its expectations in the
    catalogue's order (with each competency's key, for readers)."""

    role: ProductRole
    next_role_id: UUID | None
    competency_keys: dict[UUID, str]
    competency_order: dict[UUID, int]

    @property
    def expectations(self) -> list[dict[str, Any]]:
        ordered = sorted(
            self.role.expectations,
            key=lambda e: (self.competency_order.get(e.competency_id, 1 << 30), e.competency_id),
        )
        return [
            {
                "competency_id": e.competency_id,
                "competency_key": self.competency_keys.get(e.competency_id),
                "expected_score": e.expected_score,
                "weight": e.weight,
                "description": e.description,
            }
            for e in ordered
        ]


@dataclass(frozen=True, slots=True)
class NewProductRole:
    name: str
    track: str
    level: int
    description: str | None = None
    pay_band: PayBand | None = None
    expectations: Sequence[ExpectationSpec] = ()


def _views(ctx: Context, roles: Sequence[ProductRole]) -> list[RoleView]:
    """Three statements whatever the number of roles: positions and competencies here,
    expectations with the roles."""
    following = next_role_ids(ctx.uow.product_roles.positions())
    catalogue = ctx.uow.competencies.all()
    keys = {c.id: c.key for c in catalogue}
    order = {c.id: index for index, c in enumerate(catalogue)}
    return [RoleView(r, following.get(r.id), keys, order) for r in roles]


def list_product_roles(ctx: Context, page: PageRequest, track: str | None) -> Page[RoleView]:
    ctx.caller.require_scope(Scope.READ)
    found = ctx.uow.product_roles.list(page, track)
    return Page(_views(ctx, found.items), found.total)


def _role(ctx: Context, role_id: UUID) -> ProductRole:
    role = ctx.uow.product_roles.get(role_id)
    if role is None:
        raise NotFound("Product role")
    return role


def get_product_role(ctx: Context, role_id: UUID) -> RoleView:
    ctx.caller.require_scope(Scope.READ)
    return _views(ctx, [_role(ctx, role_id)])[0]


def _organisation(ctx: Context) -> Organisation:
    org = ctx.uow.organisations.get(ctx.caller.org_id)
    if org is None:
        raise NotFound("Organisation")
    return org


def _check(ctx: Context, specs: Sequence[ExpectationSpec]) -> None:
    """Under the ladder lock: the scale and the catalogue read here cannot change
    before this transaction commits (``update_organisation``, ``update_competency``)."""
    usable: list[Competency] = [c for c in ctx.uow.competencies.all() if not c.retired]
    check_expectations(specs, _organisation(ctx).scale_range, (c.id for c in usable))


def create_product_role(ctx: Context, cmd: NewProductRole) -> RoleView:
    require_ladder_editor(ctx)
    validate_key(cmd.track, "track")
    ctx.uow.product_roles.lock_ladder()
    _check(ctx, cmd.expectations)
    role = ProductRole(
        org_id=ctx.caller.org_id,
        id=uuid.uuid4(),
        name=cmd.name.strip(),
        track=cmd.track,
        level=cmd.level,
        description=cmd.description,
    )
    role.set_pay_band(cmd.pay_band)
    role.set_expectations(cmd.expectations)
    ctx.uow.product_roles.add(role)
    ctx.uow.flush()  # a taken level on the track answers 409 here
    audit.record(
        ctx,
        entity_type="product_role",
        entity_id=role.id,
        action="created",
        after=audit.snapshot(role),
    )
    ctx.uow.commit()
    return _views(ctx, [role])[0]


def update_product_role(
    ctx: Context, role_id: UUID, values: dict[str, Any], expected_version: int | None
) -> RoleView:
    """Any field; ``expectations``, when sent, is the whole new list (matched by competency)."""
    require_ladder_editor(ctx)
    if "expectations" in values:
        # Before the role is read or changed: a retirement in flight has dropped its
        # expectations from it by then (see ``_check``).
        ctx.uow.product_roles.lock_ladder()
    role = _role(ctx, role_id)
    check_version(role.version, expected_version)
    before = audit.snapshot(role)
    if "track" in values:
        validate_key(values["track"], "track")
        role.track = values["track"]
    if "name" in values:
        role.name = values["name"].strip()
    for name in ("level", "description"):
        if name in values:
            setattr(role, name, values[name])
    if "pay_band" in values:
        role.set_pay_band(values["pay_band"])
    if "expectations" in values:
        _check(ctx, values["expectations"])
        if role.set_expectations(values["expectations"]):
            ctx.uow.product_roles.mark_changed(role)
    audit.record_changes(
        ctx,
        entity_type="product_role",
        entity_id=role.id,
        before=before,
        after=audit.snapshot(role),
    )
    ctx.uow.commit()
    return _views(ctx, [role])[0]


def delete_product_role(ctx: Context, role_id: UUID, expected_version: int | None) -> None:
    require_ladder_editor(ctx)
    role = _role(ctx, role_id)
    check_version(role.version, expected_version)
    holders = ctx.uow.product_roles.holder_count(role.id)
    if holders:
        raise Conflict(
            f"The role is held by {holders} member{'s' if holders != 1 else ''}; "
            "move them to another role first."
        )
    before = audit.snapshot(role)
    ctx.uow.product_roles.delete(role)
    audit.record(
        ctx, entity_type="product_role", entity_id=role.id, action="deleted", before=before
    )
    ctx.uow.commit()


def check_scale_change(ctx: Context, low: int, high: int) -> None:
    """Refuse a rating scale that would leave an expectation of the ladder outside it.
    Call it under the ladder lock, so that no expectation written meanwhile escapes it."""
    stranded = ctx.uow.product_roles.stranded(low, high)
    if stranded:
        raise Invalid(
            f"The scale {low} to {high} would leave {_count(stranded)} of the ladder "
            f"outside it: {_describe(stranded)}. Change those expectations first.",
            {"settings": {"rating_scale": [_describe(stranded)]}},
        )


def _count(stranded: Sequence[StrandedExpectation]) -> str:
    n = len(stranded)
    return f"{n} expectation{'s' if n != 1 else ''}"


def _describe(stranded: Sequence[StrandedExpectation], limit: int = 10) -> str:
    shown = "; ".join(
        f"{s.role_name} ({s.track} level {s.level}) expects {s.expected_score} "
        f"in {s.competency_key}"
        for s in stranded[:limit]
    )
    more = len(stranded) - limit
    return shown + (f"; and {more} more" if more > 0 else "")
