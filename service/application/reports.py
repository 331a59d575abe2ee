"""Reports on a cycle: promotion readiness and team metrics, within the caller's visibility.

Admins see every participant; a head of product only the people reporting to
them, directly or not (current reporting lines), whoever else the cycle
includes; a PM is refused (their own results are at ``/me/feedback``). Until
release, nobody's report counts their own results, or those of the people whose
review they have still to submit. The
numbers come from SQL aggregates (``ReportQueries``); this layer decides who may
see what, over which cycle and team. Reports only read: a released cycle's outcomes
were kept when it was released (``cycle_transitions.release_cycle``).
"""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass
from itertools import chain
from uuid import UUID

from service.application.context import Context
from service.application.cycle_access import visible_cycle
from service.application.report_ports import ReadinessPart, ReportCycle, ReportScope
from service.domain.access import AccessRole, Scope
from service.domain.cycle import CycleState
from service.domain.errors import Conflict, NotFound

#: Reports exist from launch on ("with what is submitted so far").
REPORTABLE = frozenset({CycleState.ACTIVE, CycleState.CALIBRATING, CycleState.RELEASED})


@dataclass(frozen=True, slots=True)
class ReadinessReport:
    cycle: ReportCycle
    #: Participants' rows (JSON objects) in name order, then the cost totals.
    parts: Iterator[ReadinessPart]


@dataclass(frozen=True, slots=True)
class TeamMetricsReport:
    cycle: ReportCycle
    #: The whole document as JSON text.
    document: str


def _authorised_scope(
    ctx: Context, cycle_id: UUID, team_id: UUID | None
) -> tuple[ReportCycle, ReportScope]:
    caller = ctx.caller
    caller.require_scope(Scope.READ)
    caller.require_role(AccessRole.ADMIN, AccessRole.HEAD_OF_PRODUCT)
    if not caller.is_admin:
        # A cycle the caller may not see answers as a missing one: not its state.
        visible_cycle(ctx, cycle_id)
    cycle = ctx.uow.reports.report_cycle(cycle_id, team_id)
    if cycle is None:
        raise NotFound("Cycle")
    if not cycle.team_found:
        raise NotFound("Team")
    if cycle.state is CycleState.DRAFT:
        raise Conflict("The cycle is a draft: its reports start when it is launched.")
    if cycle.state not in REPORTABLE:
        raise Conflict("The cycle was cancelled: it has no reports.")
    subtree_of = None if caller.is_admin else caller.member_id
    released = cycle.state is CycleState.RELEASED
    withheld_from = None if released else caller.member_id
    return cycle, ReportScope(cycle_id, team_id, subtree_of, released, withheld_from)


def promotion_readiness(
    ctx: Context, cycle_id: UUID, team_id: UUID | None = None
) -> ReadinessReport:
    cycle, scope = _authorised_scope(ctx, cycle_id, team_id)
    parts = ctx.uow.reports.promotion_readiness(scope)
    # The statement runs now, inside the request: a failure is an error answer,
    # never a stream broken halfway. There is always a part (the cost totals).
    first = next(parts)
    return ReadinessReport(cycle, chain([first], parts))


def team_metrics(ctx: Context, cycle_id: UUID, team_id: UUID | None = None) -> TeamMetricsReport:
    cycle, scope = _authorised_scope(ctx, cycle_id, team_id)
    return TeamMetricsReport(cycle, ctx.uow.reports.team_metrics(scope))
