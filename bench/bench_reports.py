"""Reports at scale: ``python -m bench reports``.

Seeds with ``COPY`` (``bench/seed_reports.py``) an organisation of 5,000 PMs with 8
released cycles (self, manager and 5 peer reviews each, over 4 competencies: 1.1
million ratings), then measures against a gunicorn of one sync worker (so the export's
memory is that worker's):

- team metrics, and promotion readiness, for one cycle (the first: no history);
- promotion readiness of the eighth cycle, with the outlook over all 8 cycles;
- the CSV export of all 5,000 rows: its peak memory growth in the worker.

Each report's time is the median of sequential requests (client-side, to the last byte
of the body, on loopback), against the time of its SQL alone: the same statements run
with psycopg as the request role with the tenant set (and the serving engine's
connection options). The cycles are released, so the server reads their frozen outcomes
(``service/adapters/reports/outcomes_sql.py``) and so does the SQL alone; the live
statement (as while a cycle is active or calibrating) is timed too, for comparison
(``live_sql_ms``). The seeding freezes the 8 cycles' outcomes, as releasing each does
(reports only read them); that is timed apart.

The issue's targets: one-cycle reports at most 150 ms and within 1.5 times their SQL;
the outlook at most 300 ms; the export's peak memory growth under 50 MB.
"""

from __future__ import annotations

import os
import statistics
import sys
import time
import urllib.request
import uuid
from collections.abc import Callable
from pathlib import Path
from typing import Any

import psycopg
from sqlalchemy import TextClause, text
from sqlalchemy.dialects.postgresql import psycopg as psycopg_dialect

from bench import cpu
from bench.harness import (
    SERVICE_APP,
    BenchContext,
    Check,
    Result,
    Server,
    libpq,
    sign_up,
    wait_for_quiet,
)
from bench.report_organisation import benchmark_dataset
from bench.seed_reports import write
from service.adapters.reports import CYCLE_SQL
from service.adapters.reports.assessment import SETTINGS, Scope
from service.adapters.reports.outcomes_sql import FREEZE_SQL
from service.adapters.reports.readiness_sql import readiness_statement
from service.adapters.reports.team_metrics_sql import team_metrics_statement

PEOPLE = int(os.environ.get("BENCH_REPORT_PEOPLE", "5000"))
CYCLES = 8
REPEAT = int(os.environ.get("BENCH_REPORT_REPEAT", "15"))
ONE_CYCLE_MS, RATIO, OUTLOOK_MS, EXPORT_MB = 150.0, 1.5, 300.0, 50.0
QUIET_WAIT = float(os.environ.get("BENCH_QUIET_WAIT", "30"))


def _log(message: str) -> None:
    print(f"[bench reports] {message}", file=sys.stderr, flush=True)


def _median_ms(call: Callable[[], Any], repeat: int = REPEAT) -> float:
    call()  # warm: caches, plans
    times = []
    for _ in range(repeat):
        started = time.perf_counter()
        call()
        times.append((time.perf_counter() - started) * 1000)
    return statistics.median(times)


def _get(url: str, token: str, accept: str = "application/json") -> bytes:
    request = urllib.request.Request(
        url, headers={"Authorization": f"Bearer {token}", "Accept": accept}
    )
    with urllib.request.urlopen(request, timeout=120) as answer:
        body: bytes = answer.read()
        if answer.status != 200:
            raise RuntimeError(f"{url}: {answer.status} {body[:300]!r}")
        return body


class Sql:
    """The report's statements alone, as the request role with the tenant set."""

    def __init__(self, url: str, org_id: uuid.UUID) -> None:
        # The serving engine's settings (service/adapters/database.py): no JIT, and no
        # server-side prepared statements.
        self.conn = psycopg.connect(
            libpq(url), autocommit=False, options="-c jit=off", prepare_threshold=None
        )
        self.org_id = org_id

    def _compiled(self, clause: TextClause, params: dict[str, Any]) -> tuple[str, dict[str, Any]]:
        compiled = clause.bindparams(**params).compile(dialect=psycopg_dialect.dialect())
        return str(compiled), dict(compiled.params)

    def freeze(self, cycle_id: uuid.UUID) -> None:
        """What releasing does: keep the outcomes (of this and earlier released cycles)."""
        self._transaction(
            [
                (text(f"SELECT {SETTINGS}"), {}, True),
                (text(FREEZE_SQL), {"org": self.org_id, "cycle": cycle_id}, False),
            ]
        )

    def report(self, cycle_id: uuid.UUID, statement: str) -> None:
        scope = Scope(self.org_id, cycle_id, frozen=True)
        self._transaction(
            [
                (CYCLE_SQL, {"org": self.org_id, "cycle": cycle_id, "team": None}, True),
                (text(statement), scope.params, True),
            ]
        )

    def _transaction(self, steps: list[tuple[TextClause, dict[str, Any], bool]]) -> None:
        """Each (statement, parameters, whether it returns rows), in one transaction."""
        with self.conn.transaction():
            self.conn.execute("SET LOCAL ROLE review_app")
            self.conn.execute("SELECT set_config('app.current_org', %s, true)", (str(self.org_id),))
            for clause, params, returns_rows in steps:
                sql, bound = self._compiled(clause, params)
                cursor = self.conn.execute(sql, bound)
                if returns_rows:
                    cursor.fetchall()

    def close(self) -> None:
        self.conn.close()


def _worker(server: Server) -> int:
    assert server.process is not None
    workers = [p for p in cpu.descendants(server.process.pid) if p != server.process.pid]
    if len(workers) != 1:
        raise RuntimeError(f"expected one gunicorn worker, found {workers}")
    return workers[0]


def _status_kb(pid: int, field: str) -> int:
    for line in Path(f"/proc/{pid}/status").read_text().splitlines():
        if line.startswith(field + ":"):
            return int(line.split()[1])
    raise RuntimeError(f"no {field} for {pid}")


def _peak_growth_mb(pid: int, call: Callable[[], Any]) -> tuple[float, float]:
    """(peak RSS growth in MB during ``call``, seconds): VmHWM reset before (clear_refs 5)."""
    Path(f"/proc/{pid}/clear_refs").write_text("5")
    before = _status_kb(pid, "VmRSS")
    started = time.perf_counter()
    call()
    elapsed = time.perf_counter() - started
    return (_status_kb(pid, "VmHWM") - before) / 1024, elapsed


def _seed(ctx: BenchContext, server: Server) -> tuple[Any, list[uuid.UUID], dict[str, Any]]:
    org = sign_up(server.url(), "Reports Bench")
    started = time.perf_counter()
    data = benchmark_dataset(uuid.UUID(org.id), people=PEOPLE, cycles=CYCLES, peers=5)
    with ctx.database.connect() as conn:
        write(conn, data)
    with psycopg.connect(libpq(ctx.database.url), autocommit=True) as conn:
        conn.execute("VACUUM ANALYZE")  # what autovacuum does soon after a bulk load
    facts = {
        "people": len(data.people),
        "cycles": len(data.cycles),
        "reviews": sum(len(c.reviews) for c in data.cycles),
        "ratings": sum(len(r.ratings) for c in data.cycles for r in c.reviews),
        "seed_s": round(time.perf_counter() - started, 1),
    }
    _log(f"seeded {facts}")
    return org, [c.id for c in data.cycles], facts


def run(ctx: BenchContext) -> list[Result]:
    server = Server("reports", SERVICE_APP, ctx.app_env(), 1, ctx.logs).start()
    try:
        return _run(ctx, server)
    finally:
        server.stop()


def _run(ctx: BenchContext, server: Server) -> list[Result]:
    org, cycles, facts = _seed(ctx, server)
    first, last = cycles[0], cycles[-1]
    base = server.url("/api/v1/reports")
    readiness = f"{base}/promotion-readiness?cycle_id="
    metrics = f"{base}/team-metrics?cycle_id="
    sql = Sql(ctx.database.url, uuid.UUID(org.id))
    org_id = uuid.UUID(org.id)

    started = time.perf_counter()
    sql.freeze(last)  # seeded as released: what their releases would have kept
    freeze_ms = (time.perf_counter() - started) * 1000
    _log(f"freezing {CYCLES} released cycles' outcomes: {freeze_ms:,.0f} ms")
    # Autovacuum's insert threshold visits the new outcomes on its own within a minute,
    # setting the visibility map that index-only scans rely on; do it now.
    with psycopg.connect(libpq(ctx.database.url), autocommit=True) as conn:
        conn.execute("VACUUM ANALYZE cycle_outcomes")

    def measure(name: str, url: str, build: Callable[[Scope], str], cycle: uuid.UUID) -> Result:
        wait_for_quiet(QUIET_WAIT)
        served = _median_ms(lambda: _get(url, org.token))
        # The cycles are released: the server reads their frozen outcomes; so does this.
        alone = _median_ms(lambda: sql.report(cycle, build(Scope(org_id, cycle, frozen=True))))
        # For comparison, the live statement (as while the cycle is active or calibrating).
        live = _median_ms(lambda: sql.report(cycle, build(Scope(org_id, cycle))), repeat=5)
        _log(f"{name}: {served:.1f} ms served, {alone:.1f} ms SQL alone ({live:.1f} ms live)")
        return Result(
            name,
            extra={"server_ms": round(served, 1), "sql_ms": round(alone, 1),
                   "ratio": round(served / alone, 2), "live_sql_ms": round(live, 1),
                   "repeat": REPEAT},
        )  # fmt: skip

    team = measure("team metrics, one cycle", metrics + str(last), team_metrics_statement, last)
    one = measure("readiness, one cycle", readiness + str(first), readiness_statement, first)
    outlook = measure(
        f"readiness, outlook over {CYCLES} cycles", readiness + str(last), readiness_statement, last
    )
    sql.close()

    wait_for_quiet(QUIET_WAIT)
    worker = _worker(server)
    size: list[int] = []
    growth, seconds = _peak_growth_mb(
        worker, lambda: size.append(len(_get(readiness + str(last), org.token, "text/csv")))
    )
    export = Result(
        f"CSV export, {PEOPLE:,} rows",
        extra={"peak_growth_mb": round(growth, 1), "export_ms": round(seconds * 1000, 1),
               "bytes": size[0]},
    )  # fmt: skip
    _log(f"export: {growth:.1f} MB peak growth, {seconds * 1000:.0f} ms, {size[0]:,} bytes")

    for result, limit in ((team, ONE_CYCLE_MS), (one, ONE_CYCLE_MS)):
        served, ratio = result.extra["server_ms"], result.extra["ratio"]
        result.checks += [
            Check(f"{result.name} <= {limit:.0f} ms", served <= limit, f"{served} ms"),
            Check(
                f"{result.name} <= {RATIO} x its SQL",
                ratio <= RATIO,
                f"{ratio} ({served} ms / {result.extra['sql_ms']} ms)",
            ),
        ]
    outlook.checks.append(
        Check(
            f"{outlook.name} <= {OUTLOOK_MS:.0f} ms",
            outlook.extra["server_ms"] <= OUTLOOK_MS,
            f"{outlook.extra['server_ms']} ms (SQL alone {outlook.extra['sql_ms']} ms)",
        )
    )
    export.checks.append(
        Check(f"export peak growth < {EXPORT_MB:.0f} MB", growth < EXPORT_MB, f"{growth:.1f} MB")
    )
    seeded = Result("seeded organisation", extra={**facts, "freeze_ms": round(freeze_ms)})
    return [seeded, team, one, outlook, export]
