"""Participants with their progress and results, and calibrating final ratings."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from uuid import UUID

from service.application import audit
from service.application.concurrency import check_version
from service.application.context import Context
from service.application.cycle_access import visible_cycle
from service.application.cycle_ports import ParticipantRecord, ParticipantScope
from service.application.pagination import Page, PageRequest
from service.domain.access import Scope
from service.domain.calibration import CycleParticipant
from service.domain.cycle import CycleState, ReviewCycle, in_competency_order, runs_cycles
from service.domain.errors import Forbidden, NotFound
from service.domain.readiness import final_ratings


@dataclass(frozen=True, slots=True)
class ParticipantView:
    record: ParticipantRecord
    #: None when the caller may not see results (then neither field is shown).
    final_ratings: list[tuple[UUID, int]] | None
    calibrated: bool | None
    version: int | None = None


def _view(record: ParticipantRecord, results: bool, order: Sequence[UUID]) -> ParticipantView:
    if not results:
        return ParticipantView(record, None, None)
    finals = final_ratings(record.manager_scores, record.calibrated_scores)
    ordered = in_competency_order(finals.items(), order, lambda kv: kv[0])
    return ParticipantView(record, ordered, bool(record.calibrated_scores))


def list_participants(ctx: Context, cycle_id: UUID, page: PageRequest) -> Page[ParticipantView]:
    """Admins see every participant; anyone else those in their reporting subtree.

    Results are withheld, until release, from their own participant (the reviewee sees
    nothing before release) and from a reviewer whose review of the participant is
    not submitted yet (blindness), admins included."""
    caller = ctx.caller
    caller.require_scope(Scope.READ)
    cycle = visible_cycle(ctx, cycle_id)
    # A draft has no results yet, a cancelled cycle none any more (nor reports).
    results = runs_cycles(caller) and cycle.state not in (CycleState.DRAFT, CycleState.CANCELLED)
    scope = ParticipantScope(caller.member_id, everyone=caller.is_admin)
    found = ctx.uow.participants.list(cycle, scope, page, results=results)
    order = [c.competency_id for c in ctx.uow.cycles.competencies(cycle.id)] if results else []
    withheld: set[UUID] = set()
    if results and cycle.state is not CycleState.RELEASED:
        withheld = ctx.uow.reviews.awaited_from(cycle.id, caller.member_id) | {caller.member_id}
    return Page(
        [_view(r, results and r.member_id not in withheld, order) for r in found.items],
        found.total,
    )


def _calibrated_participant(ctx: Context, cycle: ReviewCycle, member_id: UUID) -> CycleParticipant:
    caller = ctx.caller
    participant = ctx.uow.participants.get(cycle.id, member_id, lock=True)
    if participant is None:
        raise NotFound("Participant")
    if member_id == caller.member_id:
        raise Forbidden("Nobody calibrates their own ratings; another admin or head does.")
    if member_id in ctx.uow.reviews.awaited_from(cycle.id, caller.member_id):
        # Calibrating shows the manager's ratings, which blindness hides from them.
        raise Forbidden(
            "You have still to submit a review of this person: another admin or head of "
            "product calibrates them."
        )
    if not caller.is_admin and not ctx.uow.reporting_lines.oversees(caller.member_id, member_id):
        raise Forbidden("A head of product calibrates only people in their reporting subtree.")
    return participant


def calibrate_participant(
    ctx: Context,
    cycle_id: UUID,
    member_id: UUID,
    ratings: Sequence[tuple[UUID, int]],
    note: str | None,
    expected_version: int | None,
) -> ParticipantView:
    """Set a participant's final ratings (replacing earlier ones) while calibrating."""
    caller = ctx.caller
    caller.require_scope(Scope.WRITE)
    if not runs_cycles(caller):
        raise Forbidden("Only admins and heads of product calibrate.")
    # Share-locked: a release in flight is waited for, and then refuses this (409).
    cycle = visible_cycle(ctx, cycle_id, lock="share")
    participant = _calibrated_participant(ctx, cycle, member_id)
    cycle.require_state(CycleState.CALIBRATING, "Calibration")
    check_version(participant.version, expected_version)
    competencies = ctx.uow.cycles.competencies(cycle.id)
    before = participant.audit_calibration()
    participant.calibrate(
        ratings,
        note,
        scale=(cycle.scale_min or 0, cycle.scale_max or 0),
        competency_ids=[c.competency_id for c in competencies],
        by=caller.member_id,
        now=ctx.now(),
    )
    audit.record(
        ctx,
        entity_type="cycle_participant",
        entity_id=participant.id,
        action="calibrated",
        before=before,
        after=participant.audit_calibration(),
    )
    ctx.uow.commit()
    found = ctx.uow.participants.list(
        cycle,
        ParticipantScope(caller.member_id, everyone=True),
        PageRequest(1, 1),
        results=True,
        member_id=member_id,
    )
    order = [c.competency_id for c in competencies]
    view = _view(found.items[0], True, order)
    return ParticipantView(view.record, view.final_ratings, view.calibrated, participant.version)
