"""The promotion-readiness report in one statement, each row rendered as JSON by PostgreSQL.

The report's cycle is assessed live, or read from its frozen outcomes once released
(``outcomes_sql``); the outlook adds the weighted mean gaps the
same people had in earlier released cycles (``cycle_outcomes``, see ``outcomes_sql``)
and fits a least-squares slope in exact numeric arithmetic (closed form for
x = 0..n-1). Rows come out ordered by name, then one row with the promotion cost
summed per currency.
"""

from __future__ import annotations

from service.adapters.reports.assessment import REPORT_CTE, Scope, live_ctes, visible_ctes
from service.adapters.reports.json_text import (
    boolean,
    escaped,
    json_object,
    number,
    quoted,
    raw,
)
from service.adapters.reports.outcomes_sql import frozen_ctes

OUTPUT_CTES = """
series_cycles AS (
    -- Released cycles that ended no later than the report's (a past report stays as
    -- it was when later cycles are released), then the report's own, in order.
    SELECT c.id,
           row_number() OVER (ORDER BY c.period_end, c.id = :cycle, c.period_start, c.id) AS k
    FROM review_cycles c CROSS JOIN report
    WHERE c.org_id = :org
      AND (c.id = :cycle OR (c.state = 'released' AND c.period_end <= report.period_end))
),
history AS (
    SELECT o.member_id, o.weighted_mean_gap AS mean_gap, s.k
    FROM cycle_outcomes o
    JOIN series_cycles s ON s.id = o.cycle_id
    -- An array, so the cycles are an index condition (no nested loop needed).
    WHERE o.org_id = :org AND o.cycle_id = ANY (ARRAY(SELECT id FROM series_cycles))
      AND o.cycle_id <> :cycle AND o.weighted_mean_gap IS NOT NULL
      AND o.member_id IN (SELECT member_id FROM participant)
    UNION ALL
    SELECT a.member_id, a.mean_gap, s.k
    FROM assessed a JOIN series_cycles s ON s.id = :cycle
    WHERE a.mean_gap IS NOT NULL
),
series AS (
    SELECT member_id, mean_gap,
           row_number() OVER (PARTITION BY member_id ORDER BY k) - 1 AS x
    FROM history
),
trend AS (
    SELECT member_id, count(*) AS n,
           12 * sum(x * mean_gap) - 6 * (count(*) - 1) * sum(mean_gap) AS slope_num,
           count(*) * (count(*) * count(*) - 1) AS slope_den,
           (array_agg(mean_gap ORDER BY x DESC))[1] AS latest
    FROM series
    GROUP BY member_id
),
outlook AS (
    SELECT member_id,
           CASE WHEN n >= 2 THEN round(slope_num / slope_den, 4) END AS trend_per_cycle,
           CASE WHEN latest >= 0 THEN 0
                WHEN n >= 2 AND slope_num > 0 THEN ceil(-latest * slope_den / slope_num)::int
           END AS cycles_to_ready
    FROM trend
),
result AS (
    SELECT a.member_id, m.name, a.product_role_id, a.next_role_id, a.final_list,
           a.overall_score, a.readiness, a.gap_list, a.mean_gap,
           a.promotion_recommendation, o.trend_per_cycle, o.cycles_to_ready,
           a.cost_currency, a.cost_amount
    FROM assessed a
    JOIN members m ON m.org_id = :org AND m.id = a.member_id
    LEFT JOIN outlook o ON o.member_id = a.member_id
)"""

ROW_JSON = json_object(
    ("member_id", quoted("member_id")),
    ("name", escaped("name")),
    ("current_role_id", quoted("product_role_id")),
    ("next_role_id", quoted("next_role_id")),
    ("final_ratings", raw("final_list", "[]")),
    ("overall_score", number("overall_score")),
    ("readiness", quoted("readiness")),
    ("gaps", raw("gap_list", "[]")),
    ("weighted_mean_gap", number("mean_gap")),
    ("manager_recommendation", quoted("promotion_recommendation")),
    (
        "disagreement",
        boolean("promotion_recommendation <> readiness AND readiness <> 'top_of_track'"),
    ),
    (
        "outlook",
        json_object(
            ("trend_per_cycle", number("trend_per_cycle")),
            ("cycles_to_ready", number("cycles_to_ready")),
        ),
    ),
    (
        "promotion_cost",
        "CASE WHEN cost_currency IS NULL THEN 'null' ELSE "
        + json_object(("currency", escaped("cost_currency")), ("amount", number("cost_amount")))
        + " END",
    ),
)

COST_JSON = """(SELECT COALESCE(json_agg(json_build_object('currency', currency,
                                                      'amount', amount, 'count', n)
                                    ORDER BY currency), '[]'::json)::text
     FROM (SELECT cost_currency AS currency, sum(cost_amount) AS amount, count(*) AS n
           FROM result WHERE cost_currency IS NOT NULL GROUP BY cost_currency) AS costs)"""


def readiness_statement(scope: Scope) -> str:
    """Rows ``(part, document)``: part 0 per participant (a JSON row), then part 1 (costs)."""
    ctes = [
        *visible_ctes(scope),
        REPORT_CTE,
        (frozen_ctes(scope) if scope.frozen else live_ctes("{column} = :cycle", scope)).strip(),
        OUTPUT_CTES.strip(),
    ]
    return (
        "WITH "
        + ",\n".join(ctes)
        + f"""
SELECT part, document FROM (
    SELECT 0 AS part, name, member_id, {ROW_JSON} AS document FROM result
    UNION ALL
    SELECT 1, NULL, NULL, {COST_JSON}
) AS report_rows
ORDER BY part, name, member_id"""
    )
