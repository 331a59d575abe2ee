"""Review cycles: creating, reading and changing them (transitions: cycle_transitions)."""

from __future__ import annotations

import uuid
from collections.abc import Mapping
from dataclasses import dataclass, field
from datetime import date
from typing import Any
from uuid import UUID

from service.application import audit
from service.application.concurrency import check_version
from service.application.context import Context
from service.application.cycle_access import (
    CycleView,
    cycle_view,
    managed_cycle,
    viewer_of,
    visible_cycle,
)
from service.application.cycle_ports import CycleFilters, Selection, SelectionFacts
from service.application.pagination import Page, PageRequest
from service.domain.access import Principal, Scope
from service.domain.cycle import (
    SELECTION_FIELDS,
    CycleState,
    ReviewCycle,
    runs_cycles,
)
from service.domain.errors import Forbidden, Invalid


@dataclass(frozen=True, slots=True)
class NewCycle:
    name: str
    period_start: date
    period_end: date
    review_types: list[str]
    self_review_due: date | None = None
    manager_review_due: date | None = None
    peer_review_due: date | None = None
    max_peers_per_reviewee: int = 5
    allow_self_nomination: bool = False
    team_ids: list[UUID] | None = None
    member_ids: list[UUID] | None = None


@dataclass(frozen=True, slots=True)
class CycleChanges:
    """Only the fields present in ``values`` change."""

    values: Mapping[str, Any] = field(default_factory=dict)


def _require_runner(ctx: Context) -> Principal:
    caller = ctx.caller
    caller.require_scope(Scope.WRITE)
    if not runs_cycles(caller):
        raise Forbidden("Only admins and heads of product run review cycles.")
    return caller


def _selection(caller: Principal, cycle: ReviewCycle) -> Selection:
    # A head of product chooses only within their reporting subtree.
    within = None if caller.is_admin else caller.member_id
    return Selection(cycle.team_ids, cycle.member_ids, within)


def _choose_participants(ctx: Context, caller: Principal, cycle: ReviewCycle) -> int:
    selection = _selection(caller, cycle)
    problems = _selection_problems(selection, ctx.uow.participants.selection_facts(selection))
    if problems:
        raise Invalid("Some chosen participants are not valid.", problems)
    return ctx.uow.participants.select(cycle, selection)


def _selection_problems(selection: Selection, facts: SelectionFacts) -> dict[str, list[str]]:
    """Field errors: teams unknown or with nobody to choose in them; members unknown,
    deactivated, outside the subtree or without a product role."""
    errors: dict[str, list[str]] = {}
    teams = [
        f"No such team: {i}."
        if i not in facts.teams
        else f"Nobody in it you may choose (active, with a product role, in your subtree): {i}."
        for i in selection.team_ids or ()
        if i not in facts.teams_with_people
    ]
    if teams:
        errors["team_ids"] = teams
    members = []
    for member_id in selection.member_ids or ():
        chosen = facts.members.get(member_id)
        if chosen is None:
            members.append(f"No such member: {member_id}.")
        elif not chosen.active:
            members.append(f"Deactivated: {member_id}.")
        elif not chosen.in_scope:
            members.append(f"Not in your reporting subtree: {member_id}.")
        elif not chosen.has_role:
            # Results and readiness are measured against a rung: give them one first.
            members.append(f"Has no product role: {member_id}.")
    if members:
        errors["member_ids"] = members
    return errors


def create_cycle(ctx: Context, cmd: NewCycle) -> CycleView:
    caller = _require_runner(ctx)
    cycle = ReviewCycle(
        org_id=caller.org_id,
        id=uuid.uuid4(),
        name=cmd.name.strip(),
        period_start=cmd.period_start,
        period_end=cmd.period_end,
        review_types=list(cmd.review_types),
        self_review_due=cmd.self_review_due,
        manager_review_due=cmd.manager_review_due,
        peer_review_due=cmd.peer_review_due,
        max_peers_per_reviewee=cmd.max_peers_per_reviewee,
        allow_self_nomination=cmd.allow_self_nomination,
        team_ids=None if cmd.team_ids is None else list(cmd.team_ids),
        member_ids=None if cmd.member_ids is None else list(cmd.member_ids),
        created_by=caller.member_id,
    )
    cycle.validate()
    ctx.uow.cycles.add(cycle)
    ctx.uow.flush()
    count = _choose_participants(ctx, caller, cycle)
    audit.record(
        ctx,
        entity_type="review_cycle",
        entity_id=cycle.id,
        action="created",
        after={**audit.snapshot(cycle), "participant_count": count},
    )
    ctx.uow.commit()
    return cycle_view(ctx, cycle, count)


def get_cycle(ctx: Context, cycle_id: UUID) -> CycleView:
    ctx.caller.require_scope(Scope.READ)
    cycle = visible_cycle(ctx, cycle_id)
    return cycle_view(ctx, cycle, competencies=ctx.uow.cycles.competencies(cycle.id))


def list_cycles(ctx: Context, filters: CycleFilters, page: PageRequest) -> Page[CycleView]:
    caller = ctx.caller
    caller.require_scope(Scope.READ)
    found = ctx.uow.cycles.list(filters, viewer_of(caller), page)
    return Page(
        [cycle_view(ctx, item.cycle, item.participant_count) for item in found.items],
        found.total,
    )


def update_cycle(
    ctx: Context, cycle_id: UUID, changes: CycleChanges, expected_version: int | None
) -> CycleView:
    """A draft changes freely (its participants are chosen again when ``team_ids``
    or ``member_ids`` is sent); afterwards only its name and due dates."""
    caller = _require_runner(ctx)
    cycle = managed_cycle(ctx, cycle_id)
    check_version(cycle.version, expected_version)
    before = audit.snapshot(cycle)
    values = dict(changes.values)
    if "name" in values and isinstance(values["name"], str):
        values["name"] = values["name"].strip()
    changed = cycle.change(values)
    count: int | None = None
    if cycle.state is CycleState.DRAFT and SELECTION_FIELDS & set(values):
        ctx.uow.flush()
        count = _choose_participants(ctx, caller, cycle)
    if changed or count is not None:
        audit.record(
            ctx,
            entity_type="review_cycle",
            entity_id=cycle.id,
            action="updated",
            before=before,
            after={
                **audit.snapshot(cycle),
                **({} if count is None else {"participant_count": count}),
            },
        )
    ctx.uow.commit()
    return cycle_view(ctx, cycle, count)
