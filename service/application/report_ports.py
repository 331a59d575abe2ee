"""What the report use cases need from the database: one read model, already aggregated.

The reports are computed in SQL and rendered as JSON by PostgreSQL (each readiness
row, and the team-metrics document), so the application never loops over
participants to compute a number; it checks access and scope, then hands the
stream to the HTTP edge.
"""

from __future__ import annotations

from collections.abc import Iterator, Sequence
from dataclasses import dataclass
from typing import Protocol
from uuid import UUID

from service.domain.cycle import CycleState


@dataclass(frozen=True, slots=True)
class ReportCompetency:
    competency_id: UUID
    key: str


@dataclass(frozen=True, slots=True)
class ReportCycle:
    """The cycle a report is about, with the competencies of its snapshot, in order."""

    id: UUID
    state: CycleState
    competencies: Sequence[ReportCompetency]
    #: Whether the requested team exists in the organisation (True when none was asked).
    team_found: bool


@dataclass(frozen=True, slots=True)
class ReportScope:
    """Which participants a report covers: a cycle, optionally a team and a subtree."""

    cycle_id: UUID
    team_id: UUID | None = None
    #: A head of product's member id: only people reporting to them, directly or not.
    subtree_of: UUID | None = None
    #: The cycle is released: nothing in it changes any more.
    released: bool = False
    #: Until release, the reader's own results, and those of people whose review the
    #: reader has still to submit (blindness), are left out of the report.
    withheld_from: UUID | None = None


@dataclass(frozen=True, slots=True)
class ReadinessPart:
    """One element of the readiness stream: a participant's row, or the cost totals."""

    is_row: bool
    #: A JSON object (a row) or a JSON array (``promotion_cost``), rendered by PostgreSQL.
    json: str


class ReportQueries(Protocol):
    def report_cycle(self, cycle_id: UUID, team_id: UUID | None) -> ReportCycle | None: ...

    def freeze_released_outcomes(self, cycle_id: UUID) -> int:
        """Keep the outcomes of a cycle being released (and of any earlier released
        cycle that has none yet), in the caller's transaction; reports only read them.

        Returns how many participants' outcomes were added (0 once done).
        """
        ...

    def promotion_readiness(self, scope: ReportScope) -> Iterator[ReadinessPart]:
        """Rows ordered by name, then one part with the promotion cost per currency."""
        ...

    def team_metrics(self, scope: ReportScope) -> str:
        """The team-metrics document as JSON text."""
        ...
