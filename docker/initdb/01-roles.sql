-- Runs once, as the bootstrap superuser (POSTGRES_USER), connected to POSTGRES_DB,
-- when the postgres container initialises an empty data volume.
--
-- Sets up the two credentials of docs/operations.md:
--   review_owner  LOGIN, not a superuser: owns the database and, through the
--                 migrations, every table and SECURITY DEFINER function.
--                 Only the `migrate` service connects with it.
--   review_app    LOGIN, owns nothing: the api serves with it, so the forced
--                 row-level security policies apply to every query.
-- The migrations create review_app (NOLOGIN) only when it is missing, and
-- `GRANT review_app TO CURRENT_USER` needs the owner to hold ADMIN OPTION on it.
--
-- Passwords come from the container environment (psql >= 15 \getenv). This
-- script never runs again once the volume holds a cluster: change a password
-- later with ALTER ROLE.

\set ON_ERROR_STOP on

\getenv owner_password OWNER_DB_PASSWORD
\getenv app_password APP_DB_PASSWORD
\if :{?owner_password}
\else
  \set owner_password ''
\endif
\if :{?app_password}
\else
  \set app_password ''
\endif
SELECT :'owner_password' = '' OR :'app_password' = '' AS password_missing \gset
\if :password_missing
  DO $$ BEGIN
    RAISE EXCEPTION 'OWNER_DB_PASSWORD and APP_DB_PASSWORD must both be set';
  END $$;
\endif

CREATE ROLE review_owner
  LOGIN
  NOSUPERUSER NOCREATEDB NOCREATEROLE NOREPLICATION NOBYPASSRLS
  PASSWORD :'owner_password';

CREATE ROLE review_app
  LOGIN
  NOSUPERUSER NOCREATEDB NOCREATEROLE NOREPLICATION NOBYPASSRLS NOINHERIT
  PASSWORD :'app_password';

GRANT review_app TO review_owner WITH ADMIN OPTION;

-- The database created for POSTGRES_DB; since PostgreSQL 15 its public schema
-- belongs to pg_database_owner, so the owner can create there and grant USAGE.
ALTER DATABASE :"DBNAME" OWNER TO review_owner;

COMMENT ON ROLE review_owner IS
  'perf-review schema owner: migrations only, never used to serve requests';
COMMENT ON ROLE review_app IS
  'perf-review api: serving login, owns no table, subject to forced row-level security';
