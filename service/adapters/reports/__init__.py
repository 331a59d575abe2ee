"""The reports' read model: SQL aggregates over the cycle tables, rendered by PostgreSQL.

``SqlReportQueries`` runs a constant number of statements per report, whatever
the size of the organisation: the cycle look-up (with the transaction's
settings) and the report itself; reports write nothing. A released cycle's
outcomes are frozen by ``release_cycle`` (``freeze_released_outcomes``), in the
release's transaction. The readiness rows stream from a server-side cursor on a
connection of their own: the response body is written after the request's unit of
work has closed (Flask tears the request down before a streamed body is iterated),
and a large export holds memory flat.
"""

from __future__ import annotations

from collections.abc import Iterator
from uuid import UUID

from sqlalchemy import text
from sqlalchemy.engine import Engine

from service.adapters.cycle_sql import COUNTED, rowcount
from service.adapters.reports.assessment import SETTINGS, Scope
from service.adapters.reports.outcomes_sql import FREEZE_SQL
from service.adapters.reports.readiness_sql import readiness_statement
from service.adapters.reports.team_metrics_sql import team_metrics_statement
from service.adapters.repositories import TenantQueries
from service.adapters.tenancy import set_tenant
from service.application.report_ports import (
    ReadinessPart,
    ReportCompetency,
    ReportCycle,
    ReportScope,
)
from service.domain.cycle import CycleState

#: Rows fetched per round trip from the server-side cursor of a streamed report.
BATCH = 500

CYCLE_SQL = text(
    f"""SELECT {SETTINGS}, c.id, c.state,
       ARRAY(SELECT cc.competency_id FROM cycle_competencies cc
             WHERE cc.org_id = :org AND cc.cycle_id = c.id
             ORDER BY cc.position, cc.key COLLATE "C") AS competency_ids,
       ARRAY(SELECT cc.key FROM cycle_competencies cc
             WHERE cc.org_id = :org AND cc.cycle_id = c.id
             ORDER BY cc.position, cc.key COLLATE "C") AS competency_keys,
       CAST(:team AS uuid) IS NULL
       OR EXISTS (SELECT 1 FROM teams t WHERE t.org_id = :org AND t.id = CAST(:team AS uuid))
           AS team_found
FROM review_cycles c
WHERE c.org_id = :org AND c.id = :cycle"""
)

#: The stream's own transaction: its tenant (row-level security) and settings.
_PLANNER_SETTINGS = text(f"SELECT {SETTINGS}")
STREAM_SETUP = text(f"SELECT {set_tenant(':org')}, {SETTINGS}")

STREAM = {"stream_results": True, "yield_per": BATCH}


class SqlReportQueries(TenantQueries):
    def _scope(self, scope: ReportScope) -> Scope:
        return Scope(
            self.org_id,
            scope.cycle_id,
            scope.team_id,
            scope.subtree_of,
            frozen=scope.released,
            withheld_from=scope.withheld_from,
        )

    def report_cycle(self, cycle_id: UUID, team_id: UUID | None) -> ReportCycle | None:
        row = self.session.execute(
            CYCLE_SQL, {"org": self.org_id, "cycle": cycle_id, "team": team_id}
        ).first()
        if row is None:
            return None
        competencies = [
            ReportCompetency(c, k)
            for c, k in zip(row.competency_ids, row.competency_keys, strict=True)
        ]
        return ReportCycle(row.id, CycleState(row.state), competencies, bool(row.team_found))

    def freeze_released_outcomes(self, cycle_id: UUID) -> int:
        # Called on release, outside a report's transaction: the reports' planner settings.
        self.session.execute(_PLANNER_SETTINGS)
        return rowcount(
            self.session.execute(
                text(FREEZE_SQL), {"org": self.org_id, "cycle": cycle_id}, execution_options=COUNTED
            )
        )

    def promotion_readiness(self, scope: ReportScope) -> Iterator[ReadinessPart]:
        sql_scope = self._scope(scope)
        bind = self.session.get_bind()
        engine: Engine = bind if isinstance(bind, Engine) else bind.engine
        with engine.connect() as connection:
            connection.execute(STREAM_SETUP, {"org": str(sql_scope.org_id)})
            result = connection.execute(
                text(readiness_statement(sql_scope)), sql_scope.params, execution_options=STREAM
            )
            for part, document in result:
                yield ReadinessPart(part == 0, document)

    def team_metrics(self, scope: ReportScope) -> str:
        sql_scope = self._scope(scope)
        document: str = self.session.execute(
            text(team_metrics_statement(sql_scope)), sql_scope.params
        ).scalar_one()
        return document
