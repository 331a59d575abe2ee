"""Moving a cycle through its states: launch, calibrate, release, cancel.

Each transition locks the cycle's row first, so two concurrent requests queue up
and the second meets the state the first left (409), and each commits once with
its audit event. A refused transition changes nothing.

A launch then takes the organisation's reporting-lines lock (cycle row first, then
the lock, as a nomination does; a deactivation takes the same lock before it hands
over or withdraws reviews). A member deactivated while a cycle launches is therefore
either gone before the launch reads the people, or deactivated after the launch has
committed, when the withdrawal finds the cycle active.
"""

from __future__ import annotations

from uuid import UUID

from service.application import audit
from service.application.concurrency import check_version
from service.application.context import Context
from service.application.cycle_access import CycleView, cycle_view, managed_cycle
from service.application.cycle_ports import Selection
from service.domain.access import AccessRole, Scope
from service.domain.cycle import CycleState, ReviewCycle, Snapshot
from service.domain.errors import Conflict, NotFound


def _begin(ctx: Context, cycle_id: UUID, expected_version: int | None) -> ReviewCycle:
    ctx.caller.require_scope(Scope.WRITE)
    cycle = managed_cycle(ctx, cycle_id)
    check_version(cycle.version, expected_version)
    return cycle


def _record(
    ctx: Context, cycle: ReviewCycle, action: str, before: CycleState, **extra: object
) -> None:
    audit.record(
        ctx,
        entity_type="review_cycle",
        entity_id=cycle.id,
        action=action,
        before={"state": before.value},
        after={"state": cycle.state.value, **extra},
    )


def launch_cycle(ctx: Context, cycle_id: UUID, expected_version: int | None) -> CycleView:
    """Snapshot the scale, thresholds, ladder, and each participant's role and
    manager, and create every self, manager and upward review: one transaction."""
    cycle = _begin(ctx, cycle_id, expected_version)
    # Before anyone is read (see the module's docstring).
    ctx.uow.reporting_lines.lock()
    organisation = ctx.uow.organisations.get(ctx.caller.org_id)
    if organisation is None:
        raise NotFound("Organisation")
    before = cycle.state
    cycle.launch(ctx.now(), Snapshot.of_settings(organisation.settings))
    _choose_at_launch(ctx, cycle)
    # A refusal raises: the unit of work rolls back whatever this transaction did.
    if ctx.uow.cycle_launch.competency_count() == 0:
        raise Conflict("The organisation has no competency to review; add one before launching.")
    ctx.uow.flush()
    counts = ctx.uow.cycle_launch.launch(cycle)
    if counts.participants == 0:
        raise Conflict(
            "The cycle has no participants; choose some (or give people a product role) first."
        )
    _record(
        ctx,
        cycle,
        "launched",
        before,
        participants=counts.participants,
        reviews=counts.reviews,
        competencies=counts.competencies,
        roles=counts.roles,
    )
    ctx.uow.commit()
    return cycle_view(ctx, cycle, counts.participants)


def _choose_at_launch(ctx: Context, cycle: ReviewCycle) -> None:
    """Teams, and "every eligible member", are read as the cycle launches, not as its
    draft was written: people hired, moved or given a role since then take part. Chosen
    members stay as chosen (those who left are left out), but each must still be one the
    cycle may have: within its head of product's subtree, with a product role (409
    naming the others, so the draft is changed first, not launched for someone else's
    people or for people nothing can be measured against)."""
    within = cycle.created_by
    creator = ctx.uow.members.get(within) if within is not None else None
    if creator is not None and creator.access_role is AccessRole.ADMIN:
        within = None
    if cycle.member_ids is None:
        ctx.uow.participants.select(cycle, Selection(cycle.team_ids, None, within))
        return
    facts = ctx.uow.participants.selection_facts(Selection(None, cycle.member_ids, within))
    problems = [
        f"Not in the reporting subtree of the cycle's head of product now: {member_id}."
        if not chosen.in_scope
        else f"Has no product role now: {member_id}."
        for member_id, chosen in facts.members.items()
        if chosen.active and not (chosen.in_scope and chosen.has_role)
    ]
    if problems:
        raise Conflict(
            "Some chosen participants can no longer take part: change the draft's"
            " member_ids, then launch.",
            {"member_ids": sorted(problems)},
        )


def start_calibration(
    ctx: Context, cycle_id: UUID, *, force: bool, expected_version: int | None
) -> CycleView:
    """``active -> calibrating``; with manager reviews still open only when forced."""
    cycle = _begin(ctx, cycle_id, expected_version)
    before = cycle.state
    waiting = ctx.uow.cycles.open_manager_reviews(cycle.id) if before is CycleState.ACTIVE else []
    cycle.start_calibration(ctx.now(), waiting, force=force)
    _record(
        ctx,
        cycle,
        "calibrating",
        before,
        forced=bool(force and waiting),
        open_manager_reviews=len(waiting),
    )
    ctx.uow.commit()
    return cycle_view(ctx, cycle)


def release_cycle(ctx: Context, cycle_id: UUID, expected_version: int | None) -> CycleView:
    """``calibrating -> released``: every participant's results at once."""
    cycle = _begin(ctx, cycle_id, expected_version)
    before = cycle.state
    cycle.release(ctx.now())
    _record(ctx, cycle, "released", before)
    ctx.uow.flush()
    # Released results never change again: keep them now, in the same transaction,
    # so the first report on this cycle reads them instead of computing them.
    ctx.uow.reports.freeze_released_outcomes(cycle.id)
    ctx.uow.commit()
    return cycle_view(ctx, cycle)


def cancel_cycle(ctx: Context, cycle_id: UUID, expected_version: int | None) -> CycleView:
    cycle = _begin(ctx, cycle_id, expected_version)
    before = cycle.state
    cycle.cancel(ctx.now())
    _record(ctx, cycle, "cancelled", before)
    ctx.uow.commit()
    return cycle_view(ctx, cycle)
