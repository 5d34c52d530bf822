"""CPU time per process group over a benchmark window, read from /proc (Linux only).

On a 2-CPU machine the till benchmark's throughput is set by the CPU that *every* process spends
per request, not only the API's: a sale also costs PostgreSQL, the relay, Kafka and four
consumers. Snapshot before and after a run, then divide each group's CPU seconds by the requests.
"""

from __future__ import annotations

import os

TICKS = os.sysconf("SC_CLK_TCK")

# First match wins; matched against the command line (NUL-separated args joined with spaces).
GROUPS = (
    ("gunicorn", "API (gunicorn)"),
    # A context's Celery worker hosts its relay and its Kafka consumer (threads of one process).
    ("pos_project worker", "pipeline (workers: relay + consumers)"),
    ("consume_events", "pipeline (workers: relay + consumers)"),
    ("pos_project beat", "celery beat"),
    ("kafka.Kafka", "kafka"),
    ("postgres", "postgresql"),
    ("redis-server", "redis"),
    ("wrk", "wrk (load tool)"),
)


def _group(cmdline: str) -> str:
    return next((name for needle, name in GROUPS if needle in cmdline), "other")


def _parents() -> dict[int, int]:
    out = {}
    for entry in os.listdir("/proc"):
        if entry.isdigit():
            try:
                with open(f"/proc/{entry}/stat") as f:
                    out[int(entry)] = int(f.read().rsplit(")", 1)[1].split()[1])
            except OSError:
                continue
    return out


def stack_pids(roots: set[int]) -> set[int]:
    """`roots` and every process below them: one stack's processes, not those of other jobs that
    share the machine (their PostgreSQL or Kafka would otherwise count as ours)."""
    parents = _parents()
    found = {pid for pid in roots if pid in parents}
    grew = True
    while grew:
        below = {pid for pid, parent in parents.items() if parent in found} - found
        found |= below
        grew = bool(below)
    return found


def service_pids(services_dir: str) -> set[int]:
    """The main pids of scripts/services' PostgreSQL, Redis and Kafka (from their pid files)."""
    out = set()
    for path in ("postgres/data/postmaster.pid", "redis/redis.pid", "kafka/kafka.pid"):
        try:
            with open(os.path.join(services_dir, path)) as f:
                out.add(int(f.readline().strip()))
        except (OSError, ValueError):
            continue
    return out


def snapshot(pids: set[int] | None = None) -> dict[int, tuple[str, int]]:
    """{pid: (group, user+system ticks)} for every process readable now (only `pids`, if given)."""
    out = {}
    for entry in os.listdir("/proc"):
        if not entry.isdigit() or (pids is not None and int(entry) not in pids):
            continue
        try:
            with open(f"/proc/{entry}/cmdline", "rb") as f:
                cmdline = f.read().replace(b"\0", b" ").decode(errors="replace")
            with open(f"/proc/{entry}/stat") as f:
                fields = f.read().rsplit(")", 1)[1].split()
        except OSError:  # exited meanwhile, or not ours to read
            continue
        out[int(entry)] = (_group(cmdline), int(fields[11]) + int(fields[12]))  # utime, stime
    return out


def per_group(before: dict, after: dict) -> dict[str, float]:
    """CPU seconds per group between two snapshots (processes that exited in between are missed;
    new ones count from zero)."""
    seconds: dict[str, float] = {}
    for pid, (group, ticks) in after.items():
        start = before.get(pid, (group, 0))[1]
        seconds[group] = seconds.get(group, 0.0) + max(ticks - start, 0) / TICKS
    return seconds
