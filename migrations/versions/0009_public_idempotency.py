"""Idempotency keys of POSTs sent without a token: sign-up, log-in, accept-invitation.

There is no organisation or member for these keys to belong to, so the table has no
``org_id`` and no row-level security policy for the request role; like
``login_failures``, the request role has no privilege on it at all, and reaches it
only through three narrow SECURITY DEFINER functions (``migrations.rls.grant_execute``):

- ``public_idempotency_claim(key, request, lifetime)`` claims a key, or tells how it
  is held: by the same request (with its answer, once there is one) or by another
  (without it). Records older than the lifetime count as none; the claim deletes its
  own key's expired record and up to ten of the oldest expired ones of any key, so
  expired records leave at least as fast as new ones come (no sweeper to run).
- ``public_idempotency_complete(key, request, ...)`` stores the answer of a claim
  that has none yet, for that same request only.
- ``public_idempotency_release(key, request)`` lets go of such a claim (a server
  error), so that a retry runs again.

Keys and requests are SHA-256 digests made by ``service.domain.idempotency``; why the
answer is kept under both is told in ``service.application.idempotency``. Row-level
security is enabled with no policy: even a grant made by mistake later reads nothing.

Revision ID: 0009
Revises: 0008
Create Date: 2026-11-28
"""

from collections.abc import Sequence

from alembic import op

from migrations.rls import grant_execute

revision: str = "0009"
down_revision: str | None = "0008"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

TABLE = """
CREATE TABLE public_idempotency_keys (
    key_hash VARCHAR(64) NOT NULL,
    request_hash VARCHAR(64) NOT NULL,
    status_code INTEGER,
    response_body TEXT,
    response_headers JSONB DEFAULT '{}'::jsonb NOT NULL,
    created_at TIMESTAMP WITH TIME ZONE DEFAULT now() NOT NULL,
    CONSTRAINT pk_public_idempotency_keys PRIMARY KEY (key_hash)
);

CREATE INDEX ix_public_idempotency_keys_created_at ON public_idempotency_keys (created_at);
"""

# The answer leaves the table only for the request that made it (same key digest and
# same request digest). A record released (a server error) between this claim's insert
# and its look-up reads as still being processed: the client's next retry claims it.
FUNCTIONS = """
CREATE FUNCTION public_idempotency_claim(
    p_key_hash text, p_request_hash text, p_lifetime_seconds integer
)
RETURNS TABLE (
    claimed boolean, same_request boolean,
    answer_status integer, answer_body text, answer_headers jsonb
)
LANGUAGE plpgsql VOLATILE SECURITY DEFINER SET search_path = public, pg_temp AS $$
DECLARE
    cutoff TIMESTAMP WITH TIME ZONE := now() - make_interval(secs => p_lifetime_seconds);
    held public_idempotency_keys%ROWTYPE;
BEGIN
    DELETE FROM public_idempotency_keys k
    WHERE k.key_hash = p_key_hash AND k.created_at <= cutoff;
    DELETE FROM public_idempotency_keys k
    WHERE k.key_hash IN (
        SELECT o.key_hash FROM public_idempotency_keys o
        WHERE o.created_at <= cutoff
        ORDER BY o.created_at
        LIMIT 10
        FOR UPDATE SKIP LOCKED
    );
    INSERT INTO public_idempotency_keys (key_hash, request_hash)
    VALUES (p_key_hash, p_request_hash)
    ON CONFLICT ON CONSTRAINT pk_public_idempotency_keys DO NOTHING;
    IF FOUND THEN
        RETURN QUERY SELECT true, true, NULL::integer, NULL::text, NULL::jsonb;
        RETURN;
    END IF;
    SELECT * INTO held FROM public_idempotency_keys k WHERE k.key_hash = p_key_hash;
    IF NOT FOUND THEN
        RETURN QUERY SELECT false, true, NULL::integer, NULL::text, NULL::jsonb;
    ELSIF held.request_hash <> p_request_hash THEN
        RETURN QUERY SELECT false, false, NULL::integer, NULL::text, NULL::jsonb;
    ELSE
        RETURN QUERY SELECT false, true, held.status_code, held.response_body,
                            held.response_headers;
    END IF;
END
$$;

CREATE FUNCTION public_idempotency_complete(
    p_key_hash text, p_request_hash text, p_status_code integer, p_body text, p_headers jsonb
)
RETURNS void
LANGUAGE sql VOLATILE SECURITY DEFINER SET search_path = public, pg_temp AS $$
    UPDATE public_idempotency_keys
    SET status_code = p_status_code, response_body = p_body, response_headers = p_headers
    WHERE key_hash = p_key_hash AND request_hash = p_request_hash AND status_code IS NULL;
$$;

CREATE FUNCTION public_idempotency_release(p_key_hash text, p_request_hash text)
RETURNS void
LANGUAGE sql VOLATILE SECURITY DEFINER SET search_path = public, pg_temp AS $$
    DELETE FROM public_idempotency_keys
    WHERE key_hash = p_key_hash AND request_hash = p_request_hash AND status_code IS NULL;
$$;
"""

SIGNATURES = (
    "public_idempotency_claim(text, text, integer)",
    "public_idempotency_complete(text, text, integer, text, jsonb)",
    "public_idempotency_release(text, text)",
)


def upgrade() -> None:
    op.execute(TABLE)
    op.execute("ALTER TABLE public_idempotency_keys ENABLE ROW LEVEL SECURITY")
    op.execute("REVOKE ALL ON public_idempotency_keys FROM PUBLIC")
    op.execute(FUNCTIONS)
    for signature in SIGNATURES:
        grant_execute(signature)


def downgrade() -> None:
    for signature in SIGNATURES:
        op.execute(f"DROP FUNCTION IF EXISTS {signature}")
    op.execute("DROP TABLE IF EXISTS public_idempotency_keys")
