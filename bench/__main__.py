"""``python -m bench [NAME...]``: run the benchmarks, print a table, write the results.

NAME is a module's name with or without ``bench_`` (``members`` runs ``bench_members.py``);
with none, every ``bench/bench_*.py`` runs, in name order, on one database and one pair of
servers. The results go to ``bench/results/latest.json``; the exit status is 1 when a
benchmark failed or missed one of its targets.
"""

from __future__ import annotations

import argparse
import dataclasses
import importlib
import json
import os
import platform
import signal
import sys
import time
import traceback
from pathlib import Path
from types import FrameType
from typing import Any

from bench.harness import BenchContext, Options, Result

HERE = Path(__file__).resolve().parent
RESULTS = HERE / "results" / "latest.json"
BUSY_WARNING = 0.10  # of all CPUs, used by processes that are not part of the measurement


def discover() -> list[str]:
    return sorted(p.stem for p in HERE.glob("bench_*.py"))


def _select(names: list[str]) -> list[str]:
    known = discover()
    chosen = []
    for name in names:
        module = name if name.startswith("bench_") else f"bench_{name}"
        module = module.removesuffix(".py")
        if module not in known:
            raise SystemExit(f"no benchmark {name!r}; there are: {', '.join(known)}")
        chosen.append(module)
    return chosen or known


def _fmt(value: float | None, digits: int = 1) -> str:
    return "-" if value is None else f"{value:,.{digits}f}"


def table(results: list[Result]) -> str:
    """The figures, one row per measurement; CPU in milliseconds per request."""
    width = max([len("measurement"), *(len(r.name) for r in results)])
    header = (
        f"{'benchmark':<9} {'measurement':<{width}} {'req/s':>7} {'p50 ms':>7} {'p99 ms':>7} "
        f"{'errors':>6} {'srv cpu':>7} {'db cpu':>6} {'others':>6}  notes"
    )
    lines = [header, "-" * len(header)]
    for r in results:
        load, cpu = r.load, r.cpu
        others = f"{cpu.others_share:.0%}" if cpu else "-"
        notes = "; ".join(f"{k}={v}" for k, v in r.extra.items() if not isinstance(v, list | dict))
        lines.append(
            f"{r.benchmark.removeprefix('bench_'):<9} {r.name:<{width}} "
            f"{_fmt(load.rps if load else None, 0):>7} {_fmt(load.p50_ms if load else None, 2):>7} "
            f"{_fmt(load.p99_ms if load else None, 2):>7} {load.errors if load else '-':>6} "
            f"{_fmt(cpu.server_ms if cpu else None, 2):>7} "
            f"{_fmt(cpu.database_ms if cpu else None, 2):>6} {others:>6}  {notes}"
        )
    busy = max((r.cpu.others_share for r in results if r.cpu), default=0.0)
    if busy > BUSY_WARNING:
        lines.append(
            f"\nWARNING: other processes used up to {busy:.0%} of the CPUs during a "
            "measurement: the rates above understate the service; run again on a quiet machine."
        )
    checks = [c for r in results for c in r.checks]
    if checks:
        lines += ["", "targets:"]
        lines += [f"  [{'PASS' if c.passed else 'FAIL'}] {c.target}: {c.measured}" for c in checks]
    return "\n".join(lines)


def _on_term(signum: int, _frame: FrameType | None) -> None:
    raise KeyboardInterrupt(signal.Signals(signum).name)  # so that teardown runs


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m bench", description=__doc__.split("\n")[0])
    parser.add_argument("names", nargs="*", help=f"benchmarks to run (of: {', '.join(discover())})")
    args = parser.parse_args(argv)
    modules = _select(args.names)
    options = Options.from_env()
    signal.signal(signal.SIGTERM, _on_term)
    print(f"[bench] {', '.join(modules)} with {options}", file=sys.stderr, flush=True)

    ctx = BenchContext(options)
    results: list[Result] = []
    failed: list[str] = []
    started = time.time()
    try:
        for module_name in modules:
            print(f"[bench] running {module_name}", file=sys.stderr, flush=True)
            try:  # one benchmark's failure (even on import) must not stop the others
                produced = importlib.import_module(f"bench.{module_name}").run(ctx)
            except Exception:
                traceback.print_exc()
                failed.append(module_name)
                continue
            for result in produced:
                result.benchmark = module_name
            results.extend(produced)
    except BaseException:
        failed.append("(interrupted)")
        raise
    finally:
        ctx.close(keep_logs=bool(failed))
        if failed:
            print(f"[bench] the servers' logs are kept in {ctx.logs}", file=sys.stderr)

    print()
    print(table(results))
    missed = [c.target for r in results for c in r.checks if not c.passed]
    report: dict[str, Any] = {
        "started_at": time.strftime("%Y-%m-%dT%H:%M:%SZ", time.gmtime(started)),
        "machine": {"cpus": os.cpu_count(), "platform": platform.platform()},
        "python": platform.python_version(),
        "options": dataclasses.asdict(options),
        "load_generator": ctx.tool,
        "failed_benchmarks": failed,
        "results": [r.as_json() for r in results],
    }
    RESULTS.parent.mkdir(exist_ok=True)
    RESULTS.write_text(json.dumps(report, indent=2) + "\n")
    print(f"\nwritten: {RESULTS.relative_to(HERE.parent)}")
    if failed:
        print(f"benchmarks that failed: {', '.join(failed)}")
    return 1 if failed or missed else 0


if __name__ == "__main__":
    sys.exit(main())
