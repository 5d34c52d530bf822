#!/usr/bin/env python
"""Benchmark: rebuild a projection from N inbox events (speed and peak memory).

Fills a scratch PostgreSQL database (`pos_bench` on the server of DATABASE_URL; created and
migrated if missing) with N inbox events of consumer `lab` (~300-byte data each, one SQL
statement with generate_series), then rebuilds the lab's `EventCounts` projection in a child
process (so its peak RSS is its own) and prints events/s and the child's peak RSS (VmHWM).

    eval "$(scripts/services env)"
    DJANGO_SETTINGS_MODULE=pos_project.settings POS_EXTRA_APPS=tests.lab DJANGO_SECRET_KEY=bench \\
        .venv/bin/python bench/rebuild.py --sizes 100000,1000000

The target is >= 20,000 events/s, with memory that does not grow with N (the rebuild reads the
inbox in keyset-paginated batches). The app database is never touched.
"""

from __future__ import annotations

import argparse
import json
import os
import platform
import resource
import subprocess
import sys
import time
from pathlib import Path

REPO_ROOT = Path(__file__).absolute().parents[1]
sys.path.insert(0, str(REPO_ROOT))
sys.path.insert(0, str(REPO_ROOT / "bench"))

from common import bench_database_url, ensure_database  # noqa: E402

FILL_SQL = """
INSERT INTO es_inbox (consumer, event_id, source_context, stream_type, stream_id, version, event_type,
                      schema_version, data, metadata, recorded_at, received_at, status, error)
SELECT 'lab',
       md5('bench-' || i)::uuid,
       'lab', 'Tally', tally_id, i / 1000 + 1,
       event_type,
       CASE event_type WHEN 'ItemAdded' THEN 2 ELSE 1 END,
       CASE event_type
         WHEN 'TallyOpened' THEN jsonb_build_object(
              'tally_id', tally_id, 'name', 'Tally ' || i || ' ' || repeat(md5(i::text), 5))
         WHEN 'ItemAdded' THEN jsonb_build_object(
              'tally_id', tally_id, 'item', 'Item ' || repeat(md5(i::text), 7), 'quantity', 1 + i %% 7,
              'amount', to_char((i %% 10000) / 100.0, 'FM99990.00'))
         ELSE jsonb_build_object(
              'tally_id', tally_id, 'item', 'Item ' || repeat(md5(i::text), 7), 'quantity', 1)
       END,
       jsonb_build_object('correlation_id', md5('c' || i), 'user', 'bench', 'till', 'till-7'),
       now(), now(), 'applied', ''
  FROM (SELECT i,
               'tally-' || lpad((i / 1000)::text, 8, '0') AS tally_id,
               CASE WHEN i %% 1000 = 0 THEN 'TallyOpened' WHEN i %% 5 = 1 THEN 'ItemRemoved' ELSE 'ItemAdded' END
                 AS event_type
          FROM generate_series(%s, %s) AS i) AS g
"""


def setup_django(database_url: str) -> None:
    os.environ["DATABASE_URL"] = database_url
    os.environ.setdefault("DJANGO_SETTINGS_MODULE", "pos_project.settings")
    os.environ.setdefault("DJANGO_SECRET_KEY", "bench-only-secret")
    os.environ.setdefault("POS_LOG_LEVEL", "WARNING")
    extra = [a for a in os.environ.get("POS_EXTRA_APPS", "").split(",") if a]
    if "tests.lab" not in extra:
        os.environ["POS_EXTRA_APPS"] = ",".join(extra + ["tests.lab"])
    import django

    django.setup()


def fill(n: int, chunk: int = 250_000) -> float:
    from django.db import connection

    started = time.perf_counter()
    with connection.cursor() as cursor:
        cursor.execute("TRUNCATE es_inbox, lab_event_count, lab_tally_total RESTART IDENTITY")
        for low in range(1, n + 1, chunk):
            cursor.execute(FILL_SQL, [low, min(low + chunk - 1, n)])
        cursor.execute("VACUUM ANALYZE es_inbox")
        cursor.execute("SELECT count(*), avg(octet_length(data::text))::int, "
                       "pg_size_pretty(pg_total_relation_size('es_inbox')) FROM es_inbox")
        count, avg_bytes, size = cursor.fetchone()
    assert count == n, (count, n)
    print(f"  filled {n:,} inbox events (data {avg_bytes} bytes on average, table {size}) "
          f"in {time.perf_counter() - started:.1f}s", flush=True)
    return avg_bytes


def vm_status(field: str) -> int:
    """A /proc/self/status field in kB (VmHWM: peak resident set size; VmRSS: current)."""
    for line in Path("/proc/self/status").read_text().splitlines():
        if line.startswith(field + ":"):
            return int(line.split()[1])
    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss


def process_cpu() -> float:
    usage = resource.getrusage(resource.RUSAGE_SELF)
    return usage.ru_utime + usage.ru_stime


def server_cpu(pid: int) -> float | None:
    """CPU seconds used so far by a PostgreSQL backend process (same machine only)."""
    try:
        fields = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
    except (OSError, IndexError):
        return None
    return (int(fields[11]) + int(fields[12])) / os.sysconf("SC_CLK_TCK")


def child(args) -> None:
    """Runs in its own process: the rebuild, then one JSON line of results on stdout."""
    setup_django(os.environ["DATABASE_URL"])
    from django.db import connection

    from infrastructure.projections.rebuild import rebuild, replayable_projections

    [projection] = replayable_projections("lab", args.projection)
    with connection.cursor() as cursor:
        cursor.execute("SELECT pg_backend_pid()")
        backend = cursor.fetchone()[0]
    rss_before = vm_status("VmRSS")
    cpu_before, server_before = process_cpu(), server_cpu(backend)
    result = rebuild(projection, batch_size=args.batch_size, progress=args.progress)
    cpu, server = process_cpu() - cpu_before, server_cpu(backend) - server_before
    with connection.cursor() as cursor:
        cursor.execute("SELECT coalesce(sum(count), 0) FROM lab_event_count")
        counted = int(cursor.fetchone()[0])
    print(json.dumps({"events": result.events, "seconds": result.seconds, "eps": result.events_per_second,
                      "rss_before_kb": rss_before, "peak_rss_kb": vm_status("VmHWM"), "counted": counted,
                      "client_cpu": cpu, "server_cpu": server}))


def cpu_text(result) -> str:
    return f"{result['server_cpu']:.2f}s" if result.get("server_cpu") is not None else "n/a (remote server)"


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--sizes", default="100000,1000000", help="comma-separated event counts")
    parser.add_argument("--batch-size", type=int, default=2000)
    parser.add_argument("--projection", default="EventCounts")
    parser.add_argument("--database", default="pos_bench", help="scratch database name (created if missing)")
    parser.add_argument("--progress", action="store_true", help="show the rebuild's progress bar")
    parser.add_argument("--child", action="store_true", help=argparse.SUPPRESS)
    args = parser.parse_args()
    if args.child:
        return child(args)

    url = os.environ.get("DATABASE_URL")
    if not url:
        raise SystemExit('DATABASE_URL is not set: eval "$(scripts/services env)" first')
    bench_url = bench_database_url(url, args.database)
    ensure_database(url, args.database)
    setup_django(bench_url)
    import django
    from django.core.management import call_command
    from django.db import connection

    call_command("migrate", verbosity=0)
    with connection.cursor() as cursor:
        cursor.execute("SHOW server_version")
        pg_version = cursor.fetchone()[0]
    print(f"rebuild benchmark: projection lab.{args.projection}, batch size {args.batch_size}, "
          f"database {args.database}")
    print(f"  Python {platform.python_version()}, Django {django.get_version()}, PostgreSQL {pg_version}, "
          f"{platform.machine()} x {os.cpu_count()} CPUs, {platform.platform()}")
    rows = []
    for n in [int(s) for s in args.sizes.split(",") if s.strip()]:
        avg_bytes = fill(n)
        connection.close()
        cmd = [sys.executable, __file__, "--child", "--projection", args.projection,
               "--batch-size", str(args.batch_size)] + (["--progress"] if args.progress else [])
        started = time.perf_counter()
        done = subprocess.run(cmd, env={**os.environ, "DATABASE_URL": bench_url}, cwd=REPO_ROOT,
                              stdout=subprocess.PIPE, text=True, check=True)
        wall = time.perf_counter() - started
        result = json.loads(done.stdout.strip().splitlines()[-1])
        if args.projection == "EventCounts" and result["counted"] != n:
            raise SystemExit(f"EventCounts counted {result['counted']} events, expected {n}")
        rows.append((n, avg_bytes, result, wall))
        print(f"  N={n:>9,}: {result['events']:,} events in {result['seconds']:.2f}s = "
              f"{result['eps']:,.0f} events/s; child peak RSS {result['peak_rss_kb'] / 1024:.0f} MiB "
              f"(RSS {result['rss_before_kb'] / 1024:.0f} MiB after start-up; process wall time {wall:.1f}s); "
              f"CPU: rebuild process {result['client_cpu']:.2f}s, PostgreSQL backend {cpu_text(result)}; "
              f"load average {os.getloadavg()[0]:.1f}", flush=True)
    print(f"  (max peak RSS of any child per getrusage(RUSAGE_CHILDREN): "
          f"{resource.getrusage(resource.RUSAGE_CHILDREN).ru_maxrss / 1024:.0f} MiB)")
    print("\n| events | data bytes (avg) | rebuild time | events/s | events per CPU-second (rebuild process) "
          "| PostgreSQL backend CPU | peak RSS (child) | RSS after start-up |")
    print("|---:|---:|---:|---:|---:|---:|---:|---:|")
    for n, avg_bytes, r, _ in rows:
        print(f"| {n:,} | {avg_bytes} | {r['seconds']:.2f} s | {r['eps']:,.0f} | {r['events'] / r['client_cpu']:,.0f} "
              f"| {cpu_text(r)} | {r['peak_rss_kb'] / 1024:.0f} MiB | {r['rss_before_kb'] / 1024:.0f} MiB |")


if __name__ == "__main__":
    main()
