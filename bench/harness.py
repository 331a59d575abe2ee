"""What every benchmark shares: a fresh database, gunicorn, seeding, load and results.

One run of ``python -m bench`` makes one ``BenchContext``: a new database on the
PostgreSQL server, migrated to head, and at most one gunicorn serving the service and
one serving the bare baseline app, each started on first use. ``close()`` stops them
and drops the database. Benchmarks seed their own organisations through the HTTP API
(or SQL, as the owner, for bulk data) so they never depend on one another's data.
"""

from __future__ import annotations

import os
import shutil
import sys
import tempfile
import time
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from bench import loadgen
from bench.api import PASSWORD, HttpError, SeededOrg, call, sign_up
from bench.cpu import CpuUse, CpuWindow, machine_cpu
from bench.loadgen import LoadResult
from bench.servers import ROOT, Database, Server, free_port, libpq

# What benchmarks import from here, wherever it is defined.
__all__ = [
    "PASSWORD",
    "BenchContext",
    "Check",
    "Database",
    "HttpError",
    "Options",
    "Result",
    "SeededOrg",
    "Server",
    "call",
    "free_port",
    "libpq",
    "sign_up",
    "wait_for_quiet",
]

SERVICE_APP = "service.app:create_app()"
BARE_APP = "bench.bare_app:create_app()"


def _env_number(name: str, default: float) -> float:
    value = os.environ.get(name)
    return float(value) if value else default


def default_workers() -> int:
    """``WEB_CONCURRENCY`` if set, else one sync worker per core.

    Measured on this 2-core machine (bench/README.md): 2 workers served both the bare
    endpoint and the service faster than 3 or 5 (the usual ``2 * cores + 1``). Every
    extra process (worker, its PostgreSQL backend) adds context switches on the same two
    cores, and the service's CPU per request rose from 1.4 ms with 2 workers to 2.3 ms
    with 3 and 2.7 ms with 5. The load generator and PostgreSQL fill a worker's waits.
    """
    return int(os.environ.get("WEB_CONCURRENCY") or (os.cpu_count() or 1))


@dataclass(frozen=True, slots=True)
class Options:
    """How hard and how long to measure; every field has a BENCH_* variable."""

    duration: float = 10.0
    warmup: float = 2.0
    connections: int = 16
    workers: int = 2
    keep: bool = False  # keep the database after the run (for a look with psql)
    quiet_wait: float = 30.0  # at most this long, wait for others to leave the CPUs
    rounds: int = 1  # measure comparable rows this many times in turn, keep the quietest

    @classmethod
    def from_env(cls) -> Options:
        return cls(
            duration=_env_number("BENCH_DURATION", 10.0),
            warmup=_env_number("BENCH_WARMUP", 2.0),
            connections=int(_env_number("BENCH_CONNECTIONS", 16)),
            workers=int(_env_number("BENCH_WORKERS", default_workers())),
            keep=os.environ.get("BENCH_KEEP_DATABASE", "") in {"1", "true", "yes"},
            quiet_wait=_env_number("BENCH_QUIET_WAIT", 30.0),
            rounds=int(_env_number("BENCH_ROUNDS", 1)),
        )


@dataclass(frozen=True, slots=True)
class Check:
    """A target from an issue: what was promised, whether it held, and the figure."""

    target: str
    passed: bool
    measured: str


@dataclass(slots=True)
class Result:
    """One row of the table: a load measurement, or only facts (``extra``) and checks."""

    name: str
    load: LoadResult | None = None
    cpu: CpuUse | None = None
    extra: dict[str, Any] = field(default_factory=dict)
    checks: list[Check] = field(default_factory=list)
    benchmark: str = ""  # the module, filled in by the runner

    def as_json(self) -> dict[str, Any]:
        return {
            "benchmark": self.benchmark,
            "name": self.name,
            "load": None if self.load is None else self.load.as_json(),
            "cpu": None if self.cpu is None else self.cpu.as_json(),
            "extra": self.extra,
            "checks": [
                {"target": c.target, "passed": c.passed, "measured": c.measured}
                for c in self.checks
            ],
        }


QUIET = 0.10  # of all CPUs busy with other work: quiet enough to measure


def wait_for_quiet(max_wait: float) -> float:
    """Wait (at most ``max_wait`` s) until the machine's CPUs are nearly idle; the share
    last seen busy. Call it while the servers under test are idle."""
    deadline = time.monotonic() + max_wait
    told = False
    while True:
        busy0, total0 = machine_cpu()
        time.sleep(1.0)
        busy1, total1 = machine_cpu()
        share = (busy1 - busy0) / max(total1 - total0, 1e-9)
        if share <= QUIET or time.monotonic() >= deadline:
            if told:
                print(f"[bench] measuring with the CPUs {share:.0%} busy", file=sys.stderr)
            return share
        if not told:
            print(
                f"[bench] the CPUs are {share:.0%} busy with other work: waiting up to "
                f"{max_wait:.0f} s for them to quieten (BENCH_QUIET_WAIT)",
                file=sys.stderr,
                flush=True,
            )
            told = True


def _quietest_first(result: Result) -> tuple[float, float]:
    """Least CPU used by others (to the percent), then the highest rate."""
    others = result.cpu.others_share if result.cpu else 0.0
    return round(others, 2), -(result.load.rps if result.load else 0.0)


class BenchContext:
    """The shared state of one run; servers start on first use and stop in ``close()``."""

    def __init__(self, options: Options) -> None:
        self.options = options
        self.logs = Path(tempfile.mkdtemp(prefix="review-bench-"))
        self.tool = loadgen.choose_tool()
        self._database: Database | None = None
        self._servers: dict[str, Server] = {}

    @property
    def database(self) -> Database:
        if self._database is None:
            self._database = Database.create()
        return self._database

    def app_env(self, **extra: str) -> dict[str, str]:
        """The service's environment: the owner URL; it serves as review_app by SET ROLE."""
        env = {k: v for k, v in os.environ.items() if k not in {"APP_DATABASE_URL", "PORT"}}
        env.update(
            DATABASE_URL=self.database.url,
            # Hashing runs at sign-up, log-in and seeding only, never on a measured path.
            FAST_PASSWORD_HASHING="true",
            LOG_LEVEL="INFO",  # as in production: one JSON line per request
            # Every request is counted, as in production, against a budget no benchmark
            # spends. In each worker's memory: Redis (production) adds ~0.1 ms a request.
            RATE_LIMIT_PER_TOKEN="100000000/minute",
            RATE_LIMIT_PER_ADDRESS="100000000/minute",  # seeding logs many people in
            RATE_LIMIT_STORAGE_URL="memory://",
            PYTHONPATH=str(ROOT),
        )
        env.update(extra)
        return env

    def server(self, name: str, app: str = SERVICE_APP, **env: str) -> Server:
        """A gunicorn serving ``app`` on this run's database, started on first use."""
        if name not in self._servers:
            server = Server(name, app, self.app_env(**env), self.options.workers, self.logs)
            self._servers[name] = server.start()
        return self._servers[name]

    def service(self) -> Server:
        return self.server("service")

    def bare(self) -> Server:
        return self.server("bare", BARE_APP)

    def load(self, url: str, headers: dict[str, str] | None = None) -> LoadResult:
        """Warm up, then measure ``GET url`` at the run's concurrency and duration."""
        options = self.options
        if options.warmup > 0:
            loadgen.measure(self.tool, url, headers or {}, options.warmup, options.connections)
        return loadgen.measure(self.tool, url, headers or {}, options.duration, options.connections)

    def measure(
        self, name: str, server: Server, path: str, headers: dict[str, str] | None = None
    ) -> Result:
        """A table row: ``GET path`` under load, with where the CPU went meanwhile."""
        return self.measure_many({name: (server, path, headers or {})})[name]

    def measure_many(
        self, rows: dict[str, tuple[Server, str, dict[str, str]]]
    ) -> dict[str, Result]:
        """Rows to compare with one another, measured ``BENCH_ROUNDS`` times in turn; each
        row keeps its quietest round (least CPU used by others), every round in ``extra``."""
        rounds: dict[str, list[Result]] = {name: [] for name in rows}
        for _ in range(max(1, self.options.rounds)):
            for name, (server, path, headers) in rows.items():
                rounds[name].append(self._measure_once(name, server, path, headers))
        chosen = {}
        for name, results in rounds.items():
            best = min(results, key=_quietest_first)
            if len(results) > 1:
                best.extra["rounds_rps"] = [round(r.load.rps) for r in results if r.load]
            chosen[name] = best
        return chosen

    def _measure_once(
        self, name: str, server: Server, path: str, headers: dict[str, str]
    ) -> Result:
        url = server.url(path)
        options = self.options
        wait_for_quiet(options.quiet_wait)
        if options.warmup > 0:  # also opens the workers' pooled connections
            loadgen.measure(self.tool, url, headers, options.warmup, options.connections)
        if server.process is None:
            raise RuntimeError(f"{server.name} is not running")
        window = CpuWindow(server.process.pid, self.database.backend_pids())
        load = loadgen.measure(self.tool, url, headers, options.duration, options.connections)
        return Result(name, load, window.stop(load.requests))

    def close(self, keep_logs: bool = False) -> None:
        """Stop the servers, drop the database; the servers' logs go too unless kept."""
        for server in self._servers.values():
            server.stop()
        self._servers.clear()
        if self._database is not None and not self.options.keep:
            self._database.drop()
            self._database = None
        if not keep_logs:
            shutil.rmtree(self.logs, ignore_errors=True)
