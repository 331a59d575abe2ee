"""Finding a cycle the caller may see, or run, and presenting it with its actions."""

from __future__ import annotations

from dataclasses import dataclass
from uuid import UUID

from service.application.context import Context
from service.application.cycle_ports import CycleCompetency, CycleLock
from service.domain.access import Principal, Scope
from service.domain.cycle import ReviewCycle, manages_cycle, runs_cycles
from service.domain.errors import Forbidden, NotFound
from service.domain.review_visibility import Viewer


@dataclass(frozen=True, slots=True)
class CycleView:
    cycle: ReviewCycle
    participant_count: int
    allowed_actions: list[str]
    #: The snapshotted competencies (only on a single cycle's read).
    competencies: list[CycleCompetency] | None = None
    #: Whom the cycle chose by name (``member_ids``): for those who run cycles. A PM
    #: taking part learns nothing of who else was chosen.
    shows_chosen_members: bool = True


def viewer_of(caller: Principal) -> Viewer:
    return Viewer(caller.member_id, caller.is_admin, Scope.WRITE in caller.scopes)


def visible_cycle(ctx: Context, cycle_id: UUID, *, lock: CycleLock | None = None) -> ReviewCycle:
    """The cycle, or 404 when it does not exist, belongs to another organisation,
    or is none of the caller's business (they cannot tell which).

    A write whose rules depend on the cycle's state takes ``lock="share"``: checked
    unlocked, the state could change under it before it commits.
    """
    caller = ctx.caller
    cycles = ctx.uow.cycles
    cycle = cycles.get(cycle_id) if lock is None else cycles.get_locked(cycle_id, lock)
    if cycle is None or not cycles.visible(cycle, viewer_of(caller)):
        raise NotFound("Cycle")
    return cycle


def managed_cycle(ctx: Context, cycle_id: UUID) -> ReviewCycle:
    """A cycle the caller runs, locked for the transition or change to come."""
    cycle = visible_cycle(ctx, cycle_id, lock="update")
    if not manages_cycle(ctx.caller, cycle):
        raise Forbidden("Only an admin or the head of product who created it runs this cycle.")
    return cycle


def cycle_view(
    ctx: Context,
    cycle: ReviewCycle,
    participant_count: int | None = None,
    competencies: list[CycleCompetency] | None = None,
) -> CycleView:
    if participant_count is None:
        participant_count = ctx.uow.cycles.participant_count(cycle.id)
    return CycleView(
        cycle,
        participant_count,
        cycle.allowed_actions(manages_cycle(ctx.caller, cycle), participant_count),
        competencies,
        shows_chosen_members=runs_cycles(ctx.caller),
    )
