"""The outcomes of released cycles: computed once, by the live SQL, then read.

A released cycle never changes again (no review, calibration or snapshot edit is
allowed after release), so each participant's result in it (final, manager, self
and calibrated ratings, overall score, gaps, weighted mean gap, readiness, the
manager's recommendation and potential, the promotion cost) is computed once, by
the same live SQL as the reports (``assessment.live_ctes``), and kept in
``cycle_outcomes``. A report on a released cycle then reads one row per
participant instead of every rating again, and the outlook and the change since
the previous cycle read one row per person and cycle.

Releasing a cycle freezes its outcomes in one ``INSERT ... SELECT``, in the
release's own transaction (``release_cycle``), so every released cycle has them
and reports only read. The statement also takes any earlier released cycle that has
none yet (only data seeded in bulk, by tests and benchmarks, lacks them); it does
nothing once done, and cannot duplicate a row (unique key, ``ON CONFLICT DO
NOTHING``). Should the formulas ever change, the migration that changes them must
recompute the table, since reports no longer refill it.
"""

from __future__ import annotations

from service.adapters.reports.assessment import Scope, in_scope, live_ctes

FREEZE_SQL = (
    """WITH pending AS (
    SELECT c.id FROM review_cycles c
    WHERE c.org_id = :org AND c.state = 'released'
      AND c.period_end <= (SELECT period_end FROM review_cycles
                           WHERE org_id = :org AND id = :cycle)
      AND NOT EXISTS (SELECT 1 FROM cycle_outcomes o
                      WHERE o.org_id = :org AND o.cycle_id = c.id)
),"""
    + live_ctes("{column} IN (SELECT id FROM pending)", None, with_self=True, maps=True)
    + """
INSERT INTO cycle_outcomes (
    org_id, id, cycle_id, member_id, product_role_id, next_role_id, overall_score,
    weighted_mean_gap, readiness, reviewer_id, promotion_recommendation, potential,
    cost_currency, cost_amount, final_ratings, manager_ratings, self_ratings,
    calibrated_ratings, final_list, gap_list)
SELECT :org, gen_random_uuid(), cycle_id, member_id, product_role_id, next_role_id,
       overall_score, mean_gap, readiness, reviewer_id, promotion_recommendation, potential,
       cost_currency, cost_amount, COALESCE(final_map, '{}'), COALESCE(manager_score_map, '{}'),
       COALESCE(self_score_map, '{}'), COALESCE(calibrated_score_map, '{}'),
       final_list::json, gap_list::json
FROM assessed
ON CONFLICT DO NOTHING"""
)


def frozen_ctes(scope: Scope) -> str:
    """``participant``, ``competency``, ``grid`` and ``assessed`` of a released cycle,
    read from its frozen outcomes, with the columns the live CTEs give."""

    def rating(column: str) -> str:
        return f"(pa.{column} ->> c.competency_id::text)::int"

    return f"""
participant AS MATERIALIZED (
    SELECT o.cycle_id, o.member_id, o.product_role_id, o.next_role_id, o.reviewer_id,
           o.promotion_recommendation, o.potential, o.overall_score,
           o.weighted_mean_gap AS mean_gap, o.readiness, o.cost_currency, o.cost_amount,
           o.final_list::text AS final_list, o.gap_list::text AS gap_list,
           o.final_ratings, o.manager_ratings, o.self_ratings, o.calibrated_ratings
    FROM cycle_outcomes o
    WHERE o.org_id = :org AND o.cycle_id = :cycle{in_scope(scope, "o.member_id")}
),
competency AS MATERIALIZED (
    SELECT cycle_id, competency_id,
           row_number() OVER (ORDER BY position, key COLLATE "C") AS ord
    FROM cycle_competencies
    WHERE org_id = :org AND cycle_id = :cycle
),
grid AS (
    SELECT pa.cycle_id, pa.member_id, pa.reviewer_id, c.competency_id, c.ord,
           {rating("final_ratings")} AS final, {rating("manager_ratings")} AS manager_score,
           {rating("self_ratings")} AS self_score,
           {rating("calibrated_ratings")} AS calibrated_score
    FROM participant pa
    JOIN competency c ON c.cycle_id = pa.cycle_id
),
assessed AS (
    SELECT * FROM participant
)"""
