"""Nominating peers: each nomination creates a peer review in an active cycle."""

from __future__ import annotations

import uuid
from collections.abc import Sequence
from dataclasses import dataclass
from uuid import UUID

from service.application import audit
from service.application.context import Context
from service.application.cycle_access import visible_cycle
from service.domain.access import Scope
from service.domain.calibration import CycleParticipant
from service.domain.cycle import CycleState, ReviewCycle, ReviewType
from service.domain.errors import Conflict, Forbidden, Invalid
from service.domain.review import Review, check_nomination

NOT_YOURS = "Only the reviewee's manager (or the reviewee, if allowed) nominates peers."


@dataclass(frozen=True, slots=True)
class Nomination:
    reviewee_id: UUID
    reviewer_ids: list[UUID]
    #: Peer reviews of the reviewee in the cycle, these included.
    peer_count: int


def _may_nominate(
    ctx: Context, cycle: ReviewCycle, participant: CycleParticipant, member_id: UUID
) -> bool:
    """Admins, the reviewee's manager (as snapshotted, or anyone above them now),
    and the reviewee when the cycle allows it."""
    caller = ctx.caller
    if caller.is_admin or participant.manager_id == member_id:
        return True
    if participant.member_id == member_id:
        return cycle.allow_self_nomination
    return ctx.uow.reporting_lines.oversees(member_id, participant.member_id)


def _refuse_managers_as_peers(
    ctx: Context, participant: CycleParticipant, reviewers: Sequence[UUID]
) -> None:
    """The reviewee's managers (as snapshotted, and up the line now) read the reviewee's
    reviews already; as peers they would read the others before writing their own,
    which blindness forbids, and count toward the peers' anonymity threshold."""
    chain = ctx.uow.reporting_lines.manager_chain(participant.member_id)
    managers = {link.id for link in chain[1:]} | {participant.manager_id}
    refused = [str(r) for r in reviewers if r in managers]
    if refused:
        raise Invalid(
            "A manager of the reviewee is not their peer.",
            {"reviewer_ids": [f"Manages the reviewee: {r}." for r in refused]},
        )


def nominate_peers(
    ctx: Context, cycle_id: UUID, reviewee_id: UUID, reviewer_ids: Sequence[UUID]
) -> Nomination:
    caller = ctx.caller
    caller.require_scope(Scope.WRITE)
    # Share-locked: a start of calibration in flight is waited for, then refuses this.
    cycle = visible_cycle(ctx, cycle_id, lock="share")
    # Locking the reviewee's row queues concurrent nominations for them, so the
    # per-reviewee maximum holds under concurrency too.
    participant = ctx.uow.participants.get(cycle.id, reviewee_id, lock=True)
    if participant is None:
        # Who takes part is news only to those who may nominate for the person: anyone
        # else hears the refusal a participant would give them.
        if not (caller.is_admin or ctx.uow.reporting_lines.oversees(caller.member_id, reviewee_id)):
            raise Forbidden(NOT_YOURS)
        raise Invalid(
            "The reviewee does not take part in this cycle.",
            {"reviewee_id": ["Not a participant of this cycle."]},
        )
    # Before the reviewee and the peers are read: a deactivation takes this lock before
    # it withdraws what its member had to write or to be reviewed on, so it either
    # commits first (the peer or reviewee is then refused below) or waits, and then
    # withdraws the peer reviews created here. Lock order: the cycle's row, the
    # reviewee's participation, then the reporting lines (a launch: the cycle, then
    # the reporting lines).
    ctx.uow.reporting_lines.lock()
    reviewee = ctx.uow.members.get(reviewee_id)
    if reviewee is None or not reviewee.is_active:
        raise Conflict("The reviewee has left the organisation: nobody reviews them now.")
    if not _may_nominate(ctx, cycle, participant, caller.member_id):
        raise Forbidden(NOT_YOURS)
    cycle.require_state(CycleState.ACTIVE, "Nominating peers")
    if ReviewType.PEER not in cycle.takes:
        raise Conflict("This cycle has no peer reviews.")
    reviewers = list(reviewer_ids)
    already = ctx.uow.reviews.peer_reviewers(cycle.id, reviewee_id)
    check_nomination(reviewee_id, reviewers, already, cycle.max_peers_per_reviewee)
    active = ctx.uow.reviews.active_members(reviewers)
    unknown = [str(r) for r in reviewers if r not in active]
    if unknown:
        raise Invalid(
            "Peers must be active members of the organisation.",
            {"reviewer_ids": [f"No such active member: {r}." for r in unknown]},
        )
    _refuse_managers_as_peers(ctx, participant, reviewers)
    now = ctx.now()
    for reviewer_id in reviewers:
        ctx.uow.reviews.add(
            Review(
                org_id=caller.org_id,
                id=uuid.uuid4(),
                cycle_id=cycle.id,
                reviewee_id=reviewee_id,
                reviewer_id=reviewer_id,
                type=ReviewType.PEER,
                nominated_by=caller.member_id,
                created_at=now,
                updated_at=now,
            )
        )
    audit.record(
        ctx,
        entity_type="review_cycle",
        entity_id=cycle.id,
        action="peers_nominated",
        after={
            "reviewee_id": str(reviewee_id),
            "reviewer_ids": [str(r) for r in reviewers],
        },
    )
    ctx.uow.commit()
    return Nomination(reviewee_id, reviewers, len(already) + len(reviewers))
