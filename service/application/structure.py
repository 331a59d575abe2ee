"""The organisation's structure: who reports to whom, in which team, on which rung.

Every member reads the whole directory (PRODUCT.md: a PM reads the directory), in
the one Member shape; who may *change* people, and whose reviews one reads, follow the
access role and the reporting line.
"""

from __future__ import annotations

from typing import Any
from uuid import UUID

from service.application.career_ports import DirectoryEntry
from service.application.context import Context
from service.application.pagination import Page, PageRequest
from service.domain.access import Scope
from service.domain.career import describe_chain, loop_closed_by
from service.domain.errors import Invalid, NotFound
from service.domain.member import Member


def apply_structure(ctx: Context, member: Member, values: dict[str, Any]) -> None:
    """Set ``product_role_id``, ``team_id`` and ``manager_id`` from ``values`` (popping
    them), after checking that each exists in the organisation and that the new
    manager is active and closes no reporting loop. Nothing changes on a refusal."""
    errors: dict[str, list[str]] = {}
    role_id = values.get("product_role_id")
    if role_id is not None and ctx.uow.product_roles.get(role_id) is None:
        errors["product_role_id"] = ["No such product role."]
    team_id = values.get("team_id")
    if team_id is not None and ctx.uow.teams.get(team_id) is None:
        errors["team_id"] = ["No such team."]
    manager_id = values.get("manager_id")
    loop_message = None
    if manager_id is not None and manager_id != member.manager_id:
        loop_message = _check_manager(ctx, member, manager_id, errors)
    if errors:
        raise Invalid(loop_message or "The reporting line, team or role is not valid.", errors)
    for name in ("product_role_id", "manager_id", "team_id"):
        if name in values:
            setattr(member, name, values.pop(name))


def _check_manager(
    ctx: Context, member: Member, manager_id: UUID, errors: dict[str, list[str]]
) -> str | None:
    if manager_id == member.id:
        errors["manager_id"] = ["A member cannot manage themselves."]
        return None
    lines = ctx.uow.reporting_lines
    # Held until commit: two concurrent changes cannot close a loop between them.
    lines.lock()
    chain = lines.manager_chain(manager_id, stop_at=member.id)
    if not chain:
        # Another organisation's member reads exactly like a missing one.
        errors["manager_id"] = ["No such member."]
        return None
    if not chain[0].active:
        errors["manager_id"] = ["Must be an active member."]
        return None
    top = chain[-1]
    if top.manager_id is not None and top.id != member.id:
        # The walk up stopped at its depth bound before the top: a loop could hide above.
        errors["manager_id"] = ["The reporting line above this manager is too deep to check."]
        return None
    loop = loop_closed_by(member.id, manager_id, {link.id: link.manager_id for link in chain})
    if loop is None:
        return None
    names = {link.id: link.name for link in chain} | {member.id: member.name}
    described = describe_chain(loop, names)
    errors["manager_id"] = [f"Would close a reporting loop: {described}."]
    return (
        f"{member.name} cannot report to {names[manager_id]}: that would close a "
        f"reporting loop ({described})."
    )


def member_reports(
    ctx: Context, member_id: UUID, max_depth: int | None, page: PageRequest
) -> Page[DirectoryEntry]:
    """Everyone under a member, direct and indirect, nearest first, with their depth."""
    caller = ctx.caller
    caller.require_scope(Scope.READ)
    root = ctx.uow.members.get(member_id)
    if root is None:
        raise NotFound("Member")
    return ctx.uow.reporting_lines.reports(member_id, max_depth, page)
