"""SQL shared by the reports: who is in scope, and each participant's live assessment.

Built as CTE text. Every table is filtered on ``org_id = :org`` besides row-level
security, so each access starts from the tenant's own index entries. Parameters:
``:org``, ``:cycle`` (the report's cycle), ``:root`` (a head of product, when the
report is limited to their subtree) and ``:team``.

Decisions (also in the OpenAPI descriptions):

- A head of product's subtree follows the *current* reporting lines (``members``),
  like every other visibility rule, whoever managed the person when the cycle ran;
  it excludes the head themselves, whose own results they may not read before
  release. It is the project's one subtree builder (``reporting_lines.subtree``),
  compiled into the report's text. A team filter uses each participant's team as
  launch snapshotted it (``cycle_participants.team_id``): later moves change no
  past cycle.
- The manager review of a participant is the one launch assigned to the manager
  snapshotted in the cycle (unique per cycle, reviewee, reviewer and type), and
  only once *submitted*: a draft's ratings, recommendation and potential never count.
- Ratings are fetched per review through a covering index (a fenced ``LATERAL``,
  so the planner cannot turn it into a hash join over every rating of the
  organisation): one index probe per participant and review.
- The report transaction turns nested loops off (``SETTINGS``): every other join
  is a hash or merge join, so a plan stays n log n even when the statistics are
  missing (a cycle launched a minute ago, before autovacuum analysed it), where a
  nested loop over a CTE estimated at one row would go quadratic.
"""

from __future__ import annotations

from dataclasses import dataclass
from functools import cache
from uuid import UUID

from sqlalchemy import literal_column, select
from sqlalchemy.engine import make_url

from service.adapters.reporting_lines import subtree
from service.adapters.reports.json_text import json_list, json_object, number, quoted


@dataclass(frozen=True, slots=True)
class Scope:
    """Which participants a report covers, and the parameters its SQL binds."""

    org_id: UUID
    cycle_id: UUID
    team_id: UUID | None = None
    subtree_of: UUID | None = None
    #: The cycle is released: its participants' outcomes are read, frozen.
    frozen: bool = False
    #: The reader, whose own results and those they have still to review are left out.
    withheld_from: UUID | None = None

    @property
    def params(self) -> dict[str, UUID]:
        params = {"org": self.org_id, "cycle": self.cycle_id}
        if self.team_id is not None:
            params["team"] = self.team_id
        if self.subtree_of is not None:
            params["root"] = self.subtree_of
        if self.withheld_from is not None:
            params["reader"] = self.withheld_from
        return params

    @property
    def restricted(self) -> bool:
        return self.team_id is not None or self.subtree_of is not None


@cache
def subtree_sql() -> str:
    """The ids of everyone under ``:root`` (``reporting_lines.subtree``) as SQL text.

    The builder's organisation and root are the text's own ``:org`` and ``:root``
    parameters; its constants (depth, guard, ``OFFSET 0``) are rendered inline.
    """
    tree = subtree(literal_column(":org"), literal_column(":root"))
    return str(
        # PostgreSQL's own SQL (``LIMIT ALL``, where the generic compiler writes ``-1``).
        select(tree.c.id).compile(
            dialect=make_url("postgresql://").get_dialect()(),
            compile_kwargs={"literal_binds": True},
        )
    )


def visible_ctes(scope: Scope) -> list[str]:
    """``visible(id)``: the members the caller may see in this report (when restricted)."""
    if not scope.restricted:
        return []
    if scope.team_id is None:
        return [f"visible(id) AS (\n{subtree_sql()}\n)"]
    # The team each participant was in at launch: later moves change no past cycle.
    where = "t.org_id = :org AND t.cycle_id = :cycle AND t.team_id = :team"
    if scope.subtree_of is not None:
        where += f" AND t.member_id IN (\n{subtree_sql()}\n)"
    return [f"visible(id) AS (\n    SELECT t.member_id FROM cycle_participants t WHERE {where}\n)"]


def in_scope(scope: Scope | None, column: str, cycle_column: str | None = None) -> str:
    """A condition keeping ``column`` (a member id) within the caller's visibility.

    ``cycle_column``: the rows are of another cycle (the previous one), whose own launch
    says who was in the team; ``visible`` answers for the report's cycle only."""
    if scope is None:
        return ""
    condition = f" AND {column} IN (SELECT id FROM visible)" if scope.restricted else ""
    if cycle_column is not None and scope.team_id is not None:
        condition = (
            f" AND {column} IN (SELECT t.member_id FROM cycle_participants t"
            f" WHERE t.org_id = :org AND t.cycle_id = {cycle_column} AND t.team_id = :team)"
        )
        if scope.subtree_of is not None:
            condition += f" AND {column} IN (\n{subtree_sql()}\n)"
    if scope.withheld_from is not None:
        # Blindness: not the reader, nor anyone whose review the reader has still to submit.
        condition += (
            f" AND {column} <> :reader AND NOT EXISTS ("
            "SELECT 1 FROM reviews awaited WHERE awaited.org_id = :org"
            " AND awaited.reviewer_id = :reader AND awaited.cycle_id = :cycle"
            f" AND awaited.reviewee_id = {column} AND awaited.status <> 'submitted')"
        )
    return condition


def _ratings(review_column: str) -> str:
    """(cycle, member, competency, score) of one review of each participant.

    A ``LATERAL`` subquery fenced with ``OFFSET 0`` is never flattened into a join:
    it stays one probe of the covering index per review, whatever the statistics.
    """
    return f"""(
        SELECT rp.cycle_id, rp.member_id, rr.competency_id, rr.score
        FROM participant rp
        CROSS JOIN LATERAL (
            SELECT r.competency_id, r.score FROM review_ratings r
            WHERE r.org_id = :org AND r.review_id = rp.{review_column} AND r.score IS NOT NULL
            OFFSET 0
        ) AS rr
    )"""


def live_ctes(
    cycles: str, scope: Scope | None, *, with_self: bool = False, maps: bool = False
) -> str:
    """The live assessment of the participants of some cycles, as CTEs.

    ``cycles`` is a condition on a cycle id column named ``{column}`` (for example
    ``{column} = :cycle``); ``scope`` None means every participant (as when results
    are frozen). ``participant``: one row per participant and cycle, with the
    snapshot and the manager review; ``competency``: the cycles' competencies in
    order; ``grid``: one row per participant and competency; ``assessed``: the
    participant row with the report's numbers and JSON parts (``maps``: the final,
    manager, self and calibrated ratings as JSON objects, for freezing).
    """

    def as_map(column: str) -> str:
        if not maps:
            return f"NULL::jsonb AS {column}_map"
        return (
            f"jsonb_object_agg(competency_id, {column}) FILTER (WHERE {column} IS NOT NULL)"
            f" AS {column}_map"
        )

    self_column = "NULL::uuid AS self_review_id"
    self_join = self_ratings = ""
    self_score = "NULL::int"
    if with_self:
        self_column = "sr.id AS self_review_id"
        self_join = """
    LEFT JOIN reviews sr
      ON sr.org_id = :org AND sr.cycle_id = p.cycle_id AND sr.reviewee_id = p.member_id
     AND sr.reviewer_id = p.member_id AND sr.type = 'self' AND sr.status = 'submitted'"""
        self_score = "sr.score"
        self_ratings = f"""
    LEFT JOIN {_ratings("self_review_id")} AS sr
      ON sr.cycle_id = pa.cycle_id AND sr.member_id = pa.member_id
     AND sr.competency_id = c.competency_id"""
    final = json_object(("competency_id", quoted("competency_id")), ("score", number("final")))
    gap = json_object(
        ("competency_id", quoted("competency_id")),
        ("final", number("final")),
        ("expected", number("next_expected")),
        ("gap", number("final - next_expected")),
    )
    return f"""
participant AS MATERIALIZED (
    SELECT p.cycle_id, p.member_id, p.product_role_id, p.manager_id,
           cr.role_id IS NOT NULL AS in_snapshot, cr.next_role_id,
           cr.pay_currency, cr.pay_min, cr.pay_max,
           nr.pay_currency AS next_currency, nr.pay_min AS next_min, nr.pay_max AS next_max,
           COALESCE(c.ready_soon_max_gap, 1) AS max_gap,
           COALESCE(c.ready_soon_min_mean_gap, -0.5) AS min_mean_gap,
           mr.id AS manager_review_id, mr.reviewer_id, mr.promotion_recommendation,
           mr.potential, {self_column}
    FROM cycle_participants p
    JOIN review_cycles c ON c.org_id = :org AND c.id = p.cycle_id
    LEFT JOIN cycle_roles cr
      ON cr.org_id = :org AND cr.cycle_id = p.cycle_id AND cr.role_id = p.product_role_id
    LEFT JOIN cycle_roles nr
      ON nr.org_id = :org AND nr.cycle_id = p.cycle_id AND nr.role_id = cr.next_role_id
    LEFT JOIN reviews mr
      ON mr.org_id = :org AND mr.cycle_id = p.cycle_id AND mr.reviewee_id = p.member_id
     AND mr.type = 'manager' AND mr.status = 'submitted'{self_join}
    WHERE p.org_id = :org AND {cycles.format(column="p.cycle_id")}{in_scope(scope, "p.member_id")}
),
competency AS MATERIALIZED (
    SELECT cycle_id, competency_id, position, key,
           row_number() OVER (PARTITION BY cycle_id ORDER BY position, key COLLATE "C") AS ord
    FROM cycle_competencies
    WHERE org_id = :org AND {cycles.format(column="cycle_id")}
),
grid AS (
    SELECT pa.cycle_id, pa.member_id, pa.reviewer_id, c.competency_id, c.ord,
           mr.score AS manager_score, {self_score} AS self_score, cal.score AS calibrated_score,
           -- The calibrated rating where one was set, else the manager review's.
           COALESCE(cal.score, mr.score) AS final,
           ce.weight, ne.expected_score AS next_expected, ne.weight AS next_weight
    FROM participant pa
    JOIN competency c ON c.cycle_id = pa.cycle_id
    LEFT JOIN {_ratings("manager_review_id")} AS mr
      ON mr.cycle_id = pa.cycle_id AND mr.member_id = pa.member_id
     AND mr.competency_id = c.competency_id{self_ratings}
    LEFT JOIN calibrations cal
      ON cal.org_id = :org AND cal.cycle_id = pa.cycle_id AND cal.member_id = pa.member_id
     AND cal.competency_id = c.competency_id
    LEFT JOIN cycle_expectations ce
      ON ce.org_id = :org AND ce.cycle_id = pa.cycle_id AND ce.role_id = pa.product_role_id
     AND ce.competency_id = c.competency_id
    LEFT JOIN cycle_expectations ne
      ON ne.org_id = :org AND ne.cycle_id = pa.cycle_id AND ne.role_id = pa.next_role_id
     AND ne.competency_id = c.competency_id
),
sums AS (
    SELECT cycle_id, member_id,
           -- Overall: weighted mean of final ratings with the role's own weights.
           sum(weight * final) AS cur_num, sum(weight) AS cur_den,
           count(weight) - count(weight * final) AS cur_missing,
           -- gap_k = final_k - expected_k over the next role's competencies.
           sum(next_weight * (final - next_expected)) AS gap_num, sum(next_weight) AS gap_den,
           count(next_weight) - count(next_weight * final) AS gap_missing,
           min(final - next_expected) AS min_gap,
           -- The lists follow the ordered input (the competencies' order): an ORDER BY
           -- in each aggregate would sort every participant's few rows apart.
           {json_list(final, "final IS NOT NULL")} AS final_list,
           {json_list(gap, "next_weight IS NOT NULL")} AS gap_list,
           {as_map("final")}, {as_map("manager_score")}, {as_map("self_score")},
           {as_map("calibrated_score")}
    FROM (SELECT * FROM grid ORDER BY cycle_id, member_id, ord) AS ordered
    GROUP BY cycle_id, member_id
),
assessed AS (
    SELECT pa.*, s.final_list, s.gap_list, s.final_map, s.manager_score_map,
           s.self_score_map, s.calibrated_score_map, o.overall_score, o.mean_gap, o.readiness,
           -- Next band's midpoint minus the current one's, for those ready now.
           CASE WHEN o.readiness = 'ready_now' AND pa.pay_currency IS NOT NULL
                 AND pa.next_currency IS NOT NULL THEN pa.next_currency END AS cost_currency,
           CASE WHEN o.readiness = 'ready_now' AND pa.pay_currency IS NOT NULL
                 AND pa.next_currency IS NOT NULL
                THEN trim_scale(((pa.next_min + pa.next_max) - (pa.pay_min + pa.pay_max)) * 0.5)
           END AS cost_amount
    FROM participant pa
    LEFT JOIN sums s ON s.cycle_id = pa.cycle_id AND s.member_id = pa.member_id
    CROSS JOIN LATERAL (
        SELECT CASE WHEN s.cur_missing = 0 AND s.cur_den > 0
                    THEN round(s.cur_num / s.cur_den, 4) END AS overall_score,
               CASE WHEN pa.next_role_id IS NOT NULL AND s.gap_missing = 0 AND s.gap_den > 0
                    THEN round(s.gap_num / s.gap_den, 4) END AS mean_gap,
               CASE WHEN NOT pa.in_snapshot THEN NULL
                    WHEN pa.next_role_id IS NULL THEN 'top_of_track'
                    WHEN s.gap_missing > 0 THEN NULL
                    WHEN s.min_gap IS NULL OR s.min_gap >= 0 THEN 'ready_now'
                    -- Exact sums, never a rounded mean, against the snapshotted thresholds.
                    WHEN s.min_gap >= -pa.max_gap AND s.gap_num >= pa.min_mean_gap * s.gap_den
                    THEN 'ready_soon'
                    ELSE 'not_ready' END AS readiness
    ) AS o
)"""


#: The report transaction's settings (see the module's docstring): sorts and hashes
#: of a few thousand rows stay in memory, and no nested loop but the ``LATERAL`` index
#: probes. (JIT is off on every connection of the serving engine: ``database.py``.)
SETTINGS = "set_config('work_mem', '32MB', true), set_config('enable_nestloop', 'off', true)"

#: ``report``: the report's cycle (its period and snapshotted scale).
REPORT_CTE = """report AS (
    SELECT c.id, c.period_start, c.period_end, c.scale_min, c.scale_max
    FROM review_cycles c
    WHERE c.org_id = :org AND c.id = :cycle
)"""
