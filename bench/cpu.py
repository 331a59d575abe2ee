"""Where the CPU went during a measurement, from /proc (Linux).

On a small machine shared by the server, PostgreSQL, the load generator and whatever
else runs there, requests per second alone mislead: CPU milliseconds per request of
each side show what a request costs, and the CPU used by everything else shows how
far the figures are understated by neighbours (a test run, a report query...).
"""

from __future__ import annotations

import os
import resource
from collections.abc import Iterable
from dataclasses import dataclass
from pathlib import Path

_TICK = os.sysconf("SC_CLK_TCK") if hasattr(os, "sysconf") else 100
PROC = Path("/proc")


def _stat_fields(pid: int) -> list[str] | None:
    try:
        text = (PROC / str(pid) / "stat").read_text()
    except OSError:
        return None
    return text[text.rindex(")") + 2 :].split()  # after "pid (comm) "


def process_cpu(pid: int) -> float:
    """User plus system seconds of one live process (0 when it is gone)."""
    fields = _stat_fields(pid)
    return 0.0 if fields is None else (int(fields[11]) + int(fields[12])) / _TICK


def descendants(root: int) -> list[int]:
    """``root`` and every live process below it."""
    children: dict[int, list[int]] = {}
    for entry in PROC.iterdir():
        if entry.name.isdigit():
            fields = _stat_fields(int(entry.name))
            if fields is not None:
                children.setdefault(int(fields[1]), []).append(int(entry.name))
    found, todo = [], [root]
    while todo:
        pid = todo.pop()
        found.append(pid)
        todo.extend(children.get(pid, ()))
    return found


def machine_cpu() -> tuple[float, float]:
    """(busy, total) CPU seconds of the whole machine since boot.

    Busy is user, nice and system time: what processes are charged with. Interrupt
    time (the loopback traffic of the measurement itself) is charged to no process,
    so it counts in the total only.
    """
    values = [int(v) for v in (PROC / "stat").read_text().split("\n", 1)[0].split()[1:]]
    total = sum(values[:8])  # guest time is already in user time
    return sum(values[:3]) / _TICK, total / _TICK


def _children_cpu() -> float:
    usage = resource.getrusage(resource.RUSAGE_CHILDREN)
    return usage.ru_utime + usage.ru_stime


def _self_cpu() -> float:
    usage = resource.getrusage(resource.RUSAGE_SELF)
    return usage.ru_utime + usage.ru_stime


@dataclass(frozen=True, slots=True)
class CpuUse:
    """CPU per request of each side, and the share of the machine used by others."""

    server_ms: float  # the gunicorn under test, all its processes
    database_ms: float  # the PostgreSQL backends of the bench's database
    client_ms: float  # the load generator (and this process)
    others_share: float  # of all CPUs over the window, used by anything else

    def as_json(self) -> dict[str, float]:
        return {
            "server_ms_per_request": round(self.server_ms, 3),
            "database_ms_per_request": round(self.database_ms, 3),
            "client_ms_per_request": round(self.client_ms, 3),
            "others_share": round(self.others_share, 3),
        }


class CpuWindow:
    """Start before a measurement, ``stop(requests)`` after it.

    ``server_pid`` is gunicorn's master; ``database_pids`` the backends serving the
    bench's database (pooled connections live as long as the workers do).
    """

    def __init__(self, server_pid: int, database_pids: Iterable[int]) -> None:
        self.server = descendants(server_pid)
        self.database = list(database_pids)
        self._start = self._sample()

    def _sample(self) -> tuple[float, float, float, float, float]:
        busy, total = machine_cpu()
        return (
            sum(process_cpu(p) for p in self.server),
            sum(process_cpu(p) for p in self.database),
            _children_cpu() + _self_cpu(),
            busy,
            total,
        )

    def stop(self, requests: int) -> CpuUse:
        end = self._sample()
        deltas = [b - a for a, b in zip(self._start, end, strict=True)]
        server, database, client, busy, total = deltas
        per = 1000 / max(requests, 1)
        others = max(0.0, busy - server - database - client)
        return CpuUse(server * per, database * per, client * per, others / total if total else 0)
