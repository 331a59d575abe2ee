"""Authenticated single-row reads, ``GET /me`` and ``GET /members/{id}``, against a bare
Flask endpoint doing the same read with psycopg (``bench/bare_app.py``).

The issue's targets on this 2-core machine: at least 1,500 requests/s, at least 0.6 of
the bare endpoint's rate (the autocommit one: the strictest baseline), and
authentication with the tenant setting costing at most one extra round trip to
PostgreSQL (against the same read in a transaction, as the service reads: the service
must need no more than one statement besides the read and its BEGIN/ROLLBACK).

The caller is an admin with a log-in token (an admin sees every member in full, so
``GET /members/{id}`` needs no reporting-line query); the organisation has a small
directory so the read is by primary key among other rows. ``GET /me`` with an API token
(integrations) is measured too, without a target: its look-up stamps the token's
``last_used_at``, a write committed on every request.

The ``floor`` row, without a target, is the bare read through SQLAlchemy's Session with
the tenant set in its transaction and nothing else: what the stack and the tenancy rule
cost before the service does any work of its own (authentication, access check, schema,
log line). Its own ratio to the bare read bounds what the service can reach.
"""

from __future__ import annotations

import statistics
from typing import Any

from bench import loadgen, roundtrips
from bench.harness import BenchContext, Check, Result, sign_up
from bench.loadgen import LoadResult

TARGET_RPS = 1500.0
TARGET_RATIO = 0.6
MAX_EXTRA_ROUND_TRIPS = 1
DIRECTORY_SIZE = 50
NAMES = {
    "bare": "bare: read, autocommit",
    "bare_tx": "bare: read in a transaction",
    "floor": "floor: Session, tenant, read",
    "me": "GET /me",
    "member": "GET /members/{id}",
    "me_api": "GET /me, API token",
}
BARE_KEYS = ("bare", "bare_tx", "floor")
SERVICE_KEYS = ("me", "member", "me_api")


def _load(result: Result) -> LoadResult:
    assert result.load is not None
    return result.load


def _conversations(
    ctx: BenchContext, paths: dict[str, str], headers: dict[str, dict[str, str]]
) -> Any:
    """Exactly what each request says to PostgreSQL, from apps in this process."""
    from bench.bare_app import create_app as create_bare
    from service.app import create_app

    app = create_app(ctx.app_env(LOG_LEVEL="WARNING"))
    try:
        talk = {k: roundtrips.service_conversation(app, paths[k], headers[k]) for k in SERVICE_KEYS}
    finally:
        app.extensions["review_engine"].dispose()
    bare = create_bare(ctx.database.url)
    try:
        for key in ("bare", "bare_tx"):
            talk[key] = roundtrips.bare_conversation(bare, paths[key])
        floor = bare.extensions["floor_engine"]
        talk["floor"] = roundtrips.service_conversation(bare, paths["floor"], {}, engine=floor)
    finally:
        bare.extensions["bare_connection"].close()
        bare.extensions["floor_engine"].dispose()
    return talk


def run(ctx: BenchContext) -> list[Result]:
    service, bare = ctx.service(), ctx.bare()
    org = sign_up(service.url())
    members = [org.add_member(title="Product Manager") for _ in range(DIRECTORY_SIZE)]
    target = members[DIRECTORY_SIZE // 2]["id"]
    auth = {"Authorization": f"Bearer {org.token}"}
    api_token = org.call(
        "POST", "/api/v1/api-tokens", {"name": "bench", "scopes": ["read"]}, expect=201
    )
    paths = {
        "bare": f"/bare/orgs/{org.id}/members/{target}",
        "bare_tx": f"/bare-tx/orgs/{org.id}/members/{target}",
        "floor": f"/floor/orgs/{org.id}/members/{target}",
        "me": "/api/v1/me",
        "member": f"/api/v1/members/{target}",
        "me_api": "/api/v1/me",
    }
    servers = {**dict.fromkeys(BARE_KEYS, bare), **dict.fromkeys(SERVICE_KEYS, service)}
    api_auth = {"Authorization": f"Bearer {api_token['token']}"}
    headers: dict[str, dict[str, str]] = {k: {} for k in BARE_KEYS}
    headers.update(me=auth, member=auth, me_api=api_auth)
    for key in SERVICE_KEYS:  # tells the rows' log lines apart (GET /me twice)
        headers[key] = {**headers[key], "X-Request-ID": f"bench-{key}"}

    talk = _conversations(ctx, paths, headers)
    unloaded = {k: loadgen.single_latency_ms(servers[k].url(paths[k]), headers[k]) for k in NAMES}
    rows = ctx.measure_many({NAMES[k]: (servers[k], paths[k], headers[k]) for k in NAMES})
    measured = {k: rows[NAMES[k]] for k in NAMES}
    bare_rps = _load(measured["bare"]).rps

    for key, result in measured.items():
        result.extra["round_trips"] = len(talk[key].round_trips)
        if key != "bare":
            result.extra["vs_bare"] = round(_load(result).rps / bare_rps, 2)
        result.extra["unloaded_ms"] = round(unloaded[key], 2)
        if key in SERVICE_KEYS:  # the service's own log lines, warm-ups included
            logged = service.durations_ms(paths[key], request_id=f"bench-{key}")
            result.extra["in_app_p50_ms"] = round(statistics.median(logged), 2)
        result.extra["wire"] = talk[key].round_trips
        result.extra["statements"] = talk[key].statements

    for key in ("me", "member"):
        result, name = measured[key], NAMES[key]
        load, trips = _load(result), talk[key].round_trips
        ratio = load.rps / bare_rps
        extra_trips = len(trips) - len(talk["bare_tx"].round_trips)
        result.checks += [
            Check(f"{name} >= {TARGET_RPS:,.0f} req/s", load.rps >= TARGET_RPS, f"{load.rps:,.0f}"),
            Check(
                f"{name} >= {TARGET_RATIO} of bare",
                ratio >= TARGET_RATIO,
                f"{ratio:.2f} ({load.rps:,.0f} / {bare_rps:,.0f})",
            ),
            Check(
                f"{name}: auth + tenant <= {MAX_EXTRA_ROUND_TRIPS} extra round trip",
                extra_trips <= MAX_EXTRA_ROUND_TRIPS,
                f"{len(trips)} round trips, the same read in a transaction "
                f"{len(talk['bare_tx'].round_trips)}, in autocommit "
                f"{len(talk['bare'].round_trips)}: " + " | ".join(trips),
            ),
            Check(f"{name}: no errors under load", load.errors == 0, f"{load.errors} errors"),
        ]
    return [measured[k] for k in NAMES]
