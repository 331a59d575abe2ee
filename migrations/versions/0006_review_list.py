"""The review list: each review keeps the JSON the list answers.

A page of 100 reviews (``GET /reviews``) spent most of its PostgreSQL time writing
JSON: a sorted aggregate of ratings per review, then the review around it. A
review changes only when its reviewer saves, so it is written then, once:

- ``ratings_json``: its ratings, by statement triggers on ``review_ratings``,
  whoever writes them (the service, a bulk fill, a data fix);
- ``listed_json``: the review's object, up to ``potential`` and left open for what
  depends on the caller, and ``listed_author_json``, the author's part (shown to some
  callers only): generated columns, kept by PostgreSQL with every write of the row.

The list reads the two generated columns only: they stay in the row, uncompressed,
and the ratings they are made from move out of it first when a review grows long.

The JSON is ``ReviewSchema``'s; changing that schema means writing these again in a
new migration (an API test holds the list equal to reading each review).

Revision ID: 0006
Revises: 0005
Create Date: 2026-11-26
"""

from collections.abc import Sequence

from alembic import op

revision: str = "0006"
down_revision: str | None = "0005"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

RATINGS = """
ALTER TABLE reviews ADD COLUMN ratings_json TEXT DEFAULT '[]' NOT NULL;

-- The ratings of one review as a JSON array, in the cycle's competency order (any
-- rating outside it last, by competency, as a single review's read orders them).
-- Concatenation, not json_build_object: values are uuids and integers, free text
-- goes through to_json, evidence is already JSON.
CREATE FUNCTION listed_ratings(p_org_id UUID, p_review_id UUID, p_cycle_id UUID)
RETURNS TEXT LANGUAGE sql STABLE AS $$
    SELECT '[' || COALESCE(string_agg(
        '{"competency_id":"' || rr.competency_id
        || '","score":' || COALESCE(rr.score::text, 'null')
        || ',"comment":' || COALESCE(to_json(rr.comment)::text, 'null')
        || ',"evidence":' || rr.evidence::text || '}',
        ',' ORDER BY cc.position, rr.competency_id), '') || ']'
    FROM review_ratings rr
    LEFT JOIN cycle_competencies cc ON cc.org_id = rr.org_id AND cc.cycle_id = p_cycle_id
        AND cc.competency_id = rr.competency_id
    WHERE rr.org_id = p_org_id AND rr.review_id = p_review_id
$$;

UPDATE reviews r SET ratings_json = listed_ratings(r.org_id, r.id, r.cycle_id)
WHERE EXISTS (SELECT FROM review_ratings rr WHERE rr.org_id = r.org_id AND rr.review_id = r.id);

-- Once per statement, for the reviews it touched: a bulk write renders each review
-- once, not once per rating. Runs as the writer, under its row-level security.
CREATE FUNCTION render_listed_ratings() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
    IF TG_OP = 'DELETE' THEN
        UPDATE reviews r SET ratings_json = listed_ratings(r.org_id, r.id, r.cycle_id)
        WHERE (r.org_id, r.id) IN (SELECT org_id, review_id FROM old_ratings);
    ELSE
        UPDATE reviews r SET ratings_json = listed_ratings(r.org_id, r.id, r.cycle_id)
        WHERE (r.org_id, r.id) IN (SELECT org_id, review_id FROM new_ratings);
    END IF;
    RETURN NULL;
END
$$;

-- A trigger with transition tables fires on one event only: three of them.
CREATE TRIGGER listed_ratings_insert AFTER INSERT ON review_ratings
    REFERENCING NEW TABLE AS new_ratings
    FOR EACH STATEMENT EXECUTE FUNCTION render_listed_ratings();
CREATE TRIGGER listed_ratings_update AFTER UPDATE ON review_ratings
    REFERENCING NEW TABLE AS new_ratings
    FOR EACH STATEMENT EXECUTE FUNCTION render_listed_ratings();
CREATE TRIGGER listed_ratings_delete AFTER DELETE ON review_ratings
    REFERENCING OLD TABLE AS old_ratings
    FOR EACH STATEMENT EXECUTE FUNCTION render_listed_ratings();
"""

# A generated column may call only immutable functions. to_json is stable because
# of the types it takes; on text its answer depends on the text alone.
REVIEW = """
CREATE FUNCTION json_string(value TEXT) RETURNS TEXT
LANGUAGE sql IMMUTABLE PARALLEL SAFE AS $$ SELECT to_json(value)::text $$;

ALTER TABLE reviews ADD COLUMN listed_json TEXT GENERATED ALWAYS AS (
    '{"id":"' || id::text
    || '","cycle_id":"' || cycle_id::text
    || '","reviewee_id":"' || reviewee_id::text
    || '","type":"' || type
    || '","status":"' || status
    || '","ratings":' || ratings_json
    || ',"summary":' || COALESCE(json_string(summary), 'null')
    || ',"promotion_recommendation":' || COALESCE('"' || promotion_recommendation || '"', 'null')
    || ',"potential":' || COALESCE('"' || potential || '"', 'null')
) STORED;

-- Times as Python's isoformat writes them in UTC (the API's times are UTC), without
-- the fraction of a second when it is zero. to_char is stable because of its
-- locale-bound patterns; these are numbers only.
CREATE FUNCTION json_time(value TIMESTAMPTZ) RETURNS TEXT
LANGUAGE sql IMMUTABLE PARALLEL SAFE AS $$
    SELECT COALESCE('"' || replace(to_char(value AT TIME ZONE 'UTC',
        'YYYY-MM-DD"T"HH24:MI:SS.US'), '.000000', '') || '+00:00"', 'null')
$$;

ALTER TABLE reviews ADD COLUMN listed_author_json TEXT GENERATED ALWAYS AS (
    ',"reviewer_id":"' || reviewer_id::text
    || '","submitted_at":' || json_time(submitted_at)
    || ',"updated_at":' || json_time(updated_at)
) STORED;

ALTER TABLE reviews
    ALTER COLUMN ratings_json SET STORAGE EXTERNAL,
    ALTER COLUMN listed_json SET STORAGE MAIN,
    ALTER COLUMN listed_author_json SET STORAGE MAIN;

"""

DOWNGRADE = """
ALTER TABLE reviews DROP COLUMN IF EXISTS listed_author_json;
ALTER TABLE reviews DROP COLUMN IF EXISTS listed_json;
DROP FUNCTION IF EXISTS json_time(TIMESTAMPTZ);
DROP FUNCTION IF EXISTS json_string(TEXT);
DROP TRIGGER IF EXISTS listed_ratings_insert ON review_ratings;
DROP TRIGGER IF EXISTS listed_ratings_update ON review_ratings;
DROP TRIGGER IF EXISTS listed_ratings_delete ON review_ratings;
DROP FUNCTION IF EXISTS render_listed_ratings();
DROP FUNCTION IF EXISTS listed_ratings(UUID, UUID, UUID);
ALTER TABLE reviews DROP COLUMN IF EXISTS ratings_json;
"""


def upgrade() -> None:
    op.execute(RATINGS)
    op.execute(REVIEW)


def downgrade() -> None:
    op.execute(DOWNGRADE)
