"""Team metrics in one statement: PostgreSQL renders the whole JSON document.

Every metric is an aggregate over the live assessment of the report's cycle
(``grid``: one row per participant and competency; ``assessed``: one per
participant), plus the review counts and, for the change since the previous
released cycle, the frozen outcomes of that cycle. Differences of two means are
computed as one exact fraction before rounding, so no intermediate rounding
leaks into the figure.
"""

from __future__ import annotations

from service.adapters.reports.assessment import REPORT_CTE, Scope, in_scope, visible_ctes
from service.adapters.reports.assessment import live_ctes as _live_ctes
from service.adapters.reports.outcomes_sql import frozen_ctes
from service.domain.metrics import LEVELS, REVIEW_TYPES
from service.domain.readiness import Readiness

READINESS = tuple(r.value for r in Readiness)


def _values(name: str, items: tuple[str, ...]) -> str:
    rows = ", ".join(f"({i}, '{v}')" for i, v in enumerate(items))
    return f"(VALUES {rows}) AS {name}(ord, value)"


METRIC_CTES = f"""
points AS (
    SELECT generate_series(scale_min, scale_max) AS point FROM report
),
completion AS (
    -- Reviews about the participants in scope (an upward review counts with its writer).
    SELECT t.value AS type, t.ord, COALESCE(r.assigned, 0) AS assigned,
           COALESCE(r.submitted, 0) AS submitted
    FROM {_values("t", REVIEW_TYPES)}
    LEFT JOIN (
        SELECT type, count(*) AS assigned, count(*) FILTER (WHERE status = 'submitted') AS submitted
        FROM reviews
        WHERE org_id = :org AND cycle_id = :cycle
          AND CASE WHEN type = 'upward' THEN reviewer_id ELSE reviewee_id END
              IN (SELECT member_id FROM participant)
        GROUP BY type
    ) AS r ON r.type = t.value
),
per_competency AS (
    SELECT c.competency_id, c.ord,
           round(avg(g.final), 4) AS mean,
           round((percentile_cont(0.5) WITHIN GROUP (ORDER BY g.final))::numeric, 4) AS median,
           round(stddev_pop(g.final), 4) AS stddev,
           sum(g.final) AS final_sum, count(g.final) AS final_count,
           round(avg(g.final - g.manager_score), 4) AS mean_shift,
           round(avg(g.self_score - g.final), 4) AS self_awareness
    FROM competency c
    LEFT JOIN grid g ON g.competency_id = c.competency_id
    GROUP BY c.competency_id, c.ord
),
distribution AS (
    SELECT competency_id, final AS point, count(*) AS n
    FROM grid WHERE final IS NOT NULL GROUP BY competency_id, final
),
overall AS (
    -- Each overall score (as the report shows it) rounded half up to a scale point.
    SELECT floor(overall_score + 0.5)::int AS point, count(*) AS n
    FROM assessed WHERE overall_score IS NOT NULL GROUP BY 1
),
given AS (
    -- Per manager, and (the same on every row) over all manager ratings in scope.
    SELECT reviewer_id, total, n, sum(total) OVER () AS all_total, sum(n) OVER () AS all_n
    FROM (SELECT reviewer_id, sum(manager_score) AS total, count(manager_score) AS n
          FROM grid WHERE manager_score IS NOT NULL GROUP BY reviewer_id) AS per_reviewer
),
previous AS (
    SELECT c.id FROM review_cycles c CROSS JOIN report
    WHERE c.org_id = :org AND c.state = 'released' AND c.period_end < report.period_end
    ORDER BY c.period_end DESC, c.period_start DESC, c.id DESC
    LIMIT 1
),
previous_finals AS (
    SELECT f.key::uuid AS competency_id, sum(f.value::int) AS final_sum, count(*) AS final_count
    FROM cycle_outcomes o
    CROSS JOIN jsonb_each_text(o.final_ratings) AS f
    WHERE o.org_id = :org AND o.cycle_id = (SELECT id FROM previous){{previous_scope}}
    GROUP BY f.key
),
nine AS (
    SELECT CASE WHEN 3 * a.overall_score < 3 * r.scale_min + (r.scale_max - r.scale_min)
                THEN 'low'
                WHEN 3 * a.overall_score < 3 * r.scale_min + 2 * (r.scale_max - r.scale_min)
                THEN 'medium'
                ELSE 'high' END AS performance,
           a.potential, count(*) AS n
    FROM assessed a CROSS JOIN report r
    WHERE a.overall_score IS NOT NULL AND a.potential IS NOT NULL
    GROUP BY 1, 2
)"""

DOCUMENT = f"""
SELECT json_build_object(
    'cycle_id', :cycle,
    'participants', (SELECT count(*) FROM participant),
    'completion', (
        SELECT json_build_object(
            'assigned', sum(assigned), 'submitted', sum(submitted),
            'rate', round(sum(submitted) / NULLIF(sum(assigned), 0), 4),
            'by_type', json_object_agg(type, json_build_object(
                'assigned', assigned, 'submitted', submitted,
                'rate', round(submitted::numeric / NULLIF(assigned, 0), 4)) ORDER BY ord))
        FROM completion),
    'competencies', (
        SELECT COALESCE(json_agg(json_build_object(
            'competency_id', c.competency_id, 'mean', c.mean, 'median', c.median,
            'stddev', c.stddev,
            'distribution', (
                SELECT json_object_agg(p.point::text, COALESCE(d.n, 0) ORDER BY p.point)
                FROM points p
                LEFT JOIN distribution d
                  ON d.competency_id = c.competency_id AND d.point = p.point))
            ORDER BY c.ord), '[]'::json)
        FROM per_competency c),
    'overall_distribution', (
        SELECT json_object_agg(p.point::text, COALESCE(o.n, 0) ORDER BY p.point)
        FROM points p LEFT JOIN overall o ON o.point = p.point),
    'readiness_counts', (
        SELECT json_object_agg(k.value, COALESCE(a.n, 0) ORDER BY k.ord)
        FROM {_values("k", READINESS)}
        LEFT JOIN (SELECT readiness, count(*) AS n FROM assessed GROUP BY readiness) AS a
          ON a.readiness = k.value),
    'calibration', json_build_object(
        'changed', (SELECT count(DISTINCT member_id) FROM grid
                    WHERE calibrated_score IS DISTINCT FROM manager_score
                      AND calibrated_score IS NOT NULL),
        'mean_shift', (
            SELECT COALESCE(json_agg(json_build_object(
                'competency_id', competency_id, 'value', mean_shift)
                ORDER BY ord), '[]'::json)
            FROM per_competency)),
    'reviewer_leniency', (
        SELECT COALESCE(json_agg(json_build_object(
            'reviewer_id', reviewer_id,
            'mean_given', round(total::numeric / n, 4),
            -- One exact fraction: mean given minus the mean of all manager ratings.
            'delta', round((total * all_n - all_total * n)::numeric / (n * all_n), 4),
            'count', n)
            -- Equal fractions tie here whatever their terms, then the reviewer decides.
            ORDER BY round((total * all_n - all_total * n)::numeric / (n * all_n), 12) DESC,
                     reviewer_id), '[]'::json)
        FROM given),
    'self_awareness', (
        SELECT COALESCE(json_agg(json_build_object(
            'competency_id', competency_id, 'value', self_awareness)
            ORDER BY ord), '[]'::json)
        FROM per_competency),
    'change_since_previous', (
        SELECT json_agg(json_build_object(
            'competency_id', c.competency_id,
            'value', round((c.final_sum * p.final_count - p.final_sum * c.final_count)::numeric
                           / NULLIF(c.final_count * p.final_count, 0), 4))
            ORDER BY c.ord)
        FROM per_competency c
        LEFT JOIN previous_finals p ON p.competency_id = c.competency_id
        WHERE EXISTS (SELECT 1 FROM previous)),
    'nine_box', (
        SELECT json_agg(json_build_object(
            'performance', perf.value, 'potential', pot.value, 'count', COALESCE(n.n, 0))
            ORDER BY perf.ord, pot.ord)
        FROM {_values("perf", LEVELS)}
        CROSS JOIN {_values("pot", LEVELS)}
        LEFT JOIN nine n ON n.performance = perf.value AND n.potential = pot.value),
    'nine_box_unplaced', (
        SELECT count(*) FROM assessed a
        WHERE a.overall_score IS NULL OR a.potential IS NULL)
)::text AS document"""


def team_metrics_statement(scope: Scope) -> str:
    """One row, one column: the team-metrics document as JSON text."""
    ctes = [
        *visible_ctes(scope),
        REPORT_CTE,
        (
            frozen_ctes(scope)
            if scope.frozen
            else _live_ctes("{column} = :cycle", scope, with_self=True)
        ).strip(),
        METRIC_CTES.format(previous_scope=in_scope(scope, "o.member_id", "o.cycle_id")).strip(),
    ]
    return "WITH " + ",\n".join(ctes) + DOCUMENT
