"""Load generators: ``wrk`` when it is there (or installable), else Python processes.

Server and client share this machine's cores, so the client must cost as little CPU as
possible: wrk (C, epoll) drives thousands of requests a second on a fraction of one
core, where a Python client would be the bottleneck. Both open a new connection per
request, as gunicorn's sync workers close every connection after its response; both
count connection and socket errors and non-2xx answers as errors.
"""

from __future__ import annotations

import json
import multiprocessing
import os
import shutil
import subprocess
import sys
import tempfile
import time
import urllib.parse
from dataclasses import asdict, dataclass
from http.client import HTTPConnection
from pathlib import Path
from typing import Any

PYTHON = "python"
_SUMMARY_MARK = "BENCH-SUMMARY "

# wrk prints its own report; this prints the figures as one JSON line to parse.
_WRK_SCRIPT = """
done = function(summary, latency, requests)
  local e = summary.errors
  io.write(string.format(
    '%s{"requests":%d,"duration_us":%d,"connect":%d,"read":%d,"write":%d,'
    .. '"status":%d,"timeout":%d,"p50":%f,"p90":%f,"p99":%f,"mean":%f,"max":%f}\\n',
    "MARK", summary.requests, summary.duration, e.connect, e.read, e.write,
    e.status, e.timeout, latency:percentile(50), latency:percentile(90),
    latency:percentile(99), latency.mean, latency.max))
end
""".replace("MARK", _SUMMARY_MARK)


@dataclass(frozen=True, slots=True)
class LoadResult:
    tool: str
    connections: int
    duration_s: float
    requests: int
    errors: int
    rps: float
    p50_ms: float
    p90_ms: float
    p99_ms: float
    mean_ms: float
    max_ms: float

    def as_json(self) -> dict[str, Any]:
        return {k: round(v, 3) if isinstance(v, float) else v for k, v in asdict(self).items()}


def _log(message: str) -> None:
    print(f"[bench] {message}", file=sys.stderr, flush=True)


def choose_tool() -> str:
    """The path of wrk, installing it with apt-get when we may; else ``PYTHON``."""
    if os.environ.get("BENCH_CLIENT") == PYTHON:
        return PYTHON
    found = shutil.which("wrk")
    if found:
        return found
    if os.geteuid() == 0 and shutil.which("apt-get"):
        _log("wrk is missing: installing it with apt-get (Debian package 'wrk')")
        quiet = {"stdout": subprocess.DEVNULL, "check": False}
        subprocess.run(["apt-get", "update", "-qq"], **quiet)  # type: ignore[call-overload]
        subprocess.run(["apt-get", "install", "-y", "-qq", "wrk"], **quiet)  # type: ignore[call-overload]
        found = shutil.which("wrk")
        if found:
            return found
    _log(
        "wrk is not available: using the Python client, which saturates before the server "
        "does on a small machine; install wrk for figures that mean something"
    )
    return PYTHON


def measure(
    tool: str, url: str, headers: dict[str, str], duration: float, connections: int
) -> LoadResult:
    if tool == PYTHON:
        return _python(url, headers, duration, connections)
    return _wrk(tool, url, headers, duration, connections)


def _wrk(wrk: str, url: str, headers: dict[str, str], duration: float, conns: int) -> LoadResult:
    with tempfile.NamedTemporaryFile("w", suffix=".lua", delete=False) as script:
        script.write(_WRK_SCRIPT)
    try:
        command = [wrk, "-t1", f"-c{conns}", f"-d{max(1, round(duration))}s", "--timeout=10s"]
        command += ["-s", script.name]
        for name, value in headers.items():
            command += ["-H", f"{name}: {value}"]
        done = subprocess.run(
            [*command, url], capture_output=True, text=True, check=False, timeout=duration + 60
        )
    finally:
        Path(script.name).unlink(missing_ok=True)
    lines = [x for x in done.stdout.splitlines() if x.startswith(_SUMMARY_MARK)]
    if done.returncode != 0 or not lines:
        raise RuntimeError(f"wrk failed ({done.returncode}): {done.stdout}\n{done.stderr}")
    s = json.loads(lines[-1][len(_SUMMARY_MARK) :])
    seconds = s["duration_us"] / 1e6
    errors = s["connect"] + s["read"] + s["write"] + s["status"] + s["timeout"]
    return LoadResult(
        tool="wrk",
        connections=conns,
        duration_s=seconds,
        requests=s["requests"],
        errors=errors,
        rps=s["requests"] / seconds,
        p50_ms=s["p50"] / 1000,
        p90_ms=s["p90"] / 1000,
        p99_ms=s["p99"] / 1000,
        mean_ms=s["mean"] / 1000,
        max_ms=s["max"] / 1000,
    )


def _get(host: str, port: int, target: str, headers: dict[str, str]) -> int:
    """One GET on a new connection, its answer read in full: the status."""
    connection = HTTPConnection(host, port, timeout=10)
    try:
        connection.request("GET", target, headers=headers)
        answer = connection.getresponse()
        answer.read()
        return answer.status
    finally:
        connection.close()


def _client_loop(args: tuple[str, int, str, dict[str, str], float]) -> tuple[list[float], int]:
    host, port, target, headers, deadline = args
    latencies: list[float] = []
    errors = 0
    while time.monotonic() < deadline:
        started = time.perf_counter()
        try:
            status = _get(host, port, target, headers)
        except OSError:
            errors += 1
            continue
        if 200 <= status < 300:
            latencies.append(time.perf_counter() - started)
        else:
            errors += 1
    return latencies, errors


def _split(url: str) -> tuple[str, int, str]:
    parts = urllib.parse.urlsplit(url)
    target = parts.path + (f"?{parts.query}" if parts.query else "")
    return parts.hostname or "127.0.0.1", parts.port or 80, target


def _python(url: str, headers: dict[str, str], duration: float, conns: int) -> LoadResult:
    """One process per connection, each a closed loop: the fallback when wrk is missing."""
    started = time.monotonic()
    job = (*_split(url), headers, started + duration)
    with multiprocessing.get_context("fork").Pool(conns) as pool:
        outcomes = pool.map(_client_loop, [job] * conns)
    elapsed = time.monotonic() - started
    latencies = sorted(x for lat, _ in outcomes for x in lat)
    errors = sum(e for _, e in outcomes)
    if not latencies:
        raise RuntimeError(f"no request to {url} succeeded ({errors} errors)")

    def percentile(p: float) -> float:
        return latencies[min(len(latencies) - 1, int(p / 100 * len(latencies)))] * 1000

    return LoadResult(
        tool=PYTHON,
        connections=conns,
        duration_s=elapsed,
        requests=len(latencies) + errors,
        errors=errors,
        rps=len(latencies) / elapsed,
        p50_ms=percentile(50),
        p90_ms=percentile(90),
        p99_ms=percentile(99),
        mean_ms=sum(latencies) / len(latencies) * 1000,
        max_ms=latencies[-1] * 1000,
    )


def single_latency_ms(url: str, headers: dict[str, str], repeat: int = 200) -> float:
    """The median time of one request at a time, with no load: the unloaded cost."""
    host, port, target = _split(url)
    times = []
    for _ in range(repeat):
        started = time.perf_counter()
        status = _get(host, port, target, headers)
        if not 200 <= status < 300:
            raise RuntimeError(f"GET {url} answered {status}")
        times.append(time.perf_counter() - started)
    times.sort()
    return times[len(times) // 2] * 1000
