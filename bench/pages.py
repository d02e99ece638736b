"""Time every page of the mix in-process and show the plan of each of its queries.

    DATABASE_URL=postgres://postgres@127.0.0.1:5432/kp_bench .venv/bin/python bench/pages.py
    .venv/bin/python bench/pages.py --runs 5 --pages planner_,admin_ --plans --json out.json

Per page: the number of queries, p50/p95 over --runs requests (Django's test Client with
force_login, production settings, in the same process, after one warm-up request), and
EXPLAIN (ANALYZE, BUFFERS) of each distinct statement, flagging any Seq Scan on the request,
event, visit (appointment) or invitation tables and any sort that spilled to disk. The
objects are the heaviest realistic ones of the seeded data (bench/mix.py). All plans go to
var/bench/plans-<database>.txt. Exits non-zero when a page answers anything but 200 or raises.
"""

import argparse
import json
import re
import sys
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).absolute().parent.parent))

from bench._common import (
    OUT,
    database_name,
    django_setup,
    environment,
    git_commit,
    load_average,
    percentile,
    static_ensure,
)

SEQ_SCAN = re.compile(r"Seq Scan on (\w+)")
DISK_SORT = re.compile(r"Sort Method: external merge|Disk: \d+kB")
EXECUTION = re.compile(r"Execution Time: ([\d.]+) ms")
WRITES = (
    "INSERT",
    "UPDATE",
    "DELETE",
    "SAVEPOINT",
    "RELEASE",
    "ROLLBACK",
    "BEGIN",
    "COMMIT",
    "SET",
)


def parse_args(argv=None):
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--runs", type=int, default=20, help="timed requests per page")
    parser.add_argument(
        "--max-seconds",
        type=float,
        default=30.0,
        help="stop timing a page after this long (at least 5 runs)",
    )
    parser.add_argument("--pages", help="comma-separated page names or prefixes")
    parser.add_argument("--no-explain", action="store_true", help="skip EXPLAIN ANALYZE")
    parser.add_argument("--plans", action="store_true", help="print every plan")
    parser.add_argument("--json", help="write the figures to this file")
    parser.add_argument("--database-url", help="default: $DATABASE_URL or kp_bench")
    parser.add_argument(
        "--profile",
        metavar="DIR",
        help="also write a pyinstrument profile of each page's timed runs (DIR/<page>.txt)",
    )
    return parser.parse_args(argv)


class Capture:
    """execute_wrapper that keeps each statement with its parameters and time."""

    def __init__(self):
        self.statements: list[tuple[str, object, float]] = []

    def __call__(self, execute, sql, params, many, context):
        start = time.perf_counter()
        try:
            return execute(sql, params, many, context)
        finally:
            self.statements.append((sql, params, time.perf_counter() - start))


def explain(sql: str, params) -> dict:
    from django.db import connection

    head = sql.lstrip().split(None, 1)[0].upper()
    if head in WRITES:
        return {"plan": "(write, not explained)", "seq_scans": [], "disk_sort": False}
    try:
        with connection.cursor() as cursor:
            cursor.execute("EXPLAIN (ANALYZE, BUFFERS) " + sql, params)
            plan = "\n".join(row[0] for row in cursor.fetchall())
    except Exception as error:  # report, keep going
        return {"plan": f"(EXPLAIN failed: {error})", "seq_scans": [], "disk_sort": False}
    execution = EXECUTION.search(plan)
    return {
        "plan": plan,
        "seq_scans": sorted(set(SEQ_SCAN.findall(plan))),
        "disk_sort": bool(DISK_SORT.search(plan)),
        "execution_ms": float(execution.group(1)) if execution else None,
    }


def client_for(identity):
    from django.test import Client

    from portal.models import User

    client = Client()
    if identity.user_id is not None:
        client.force_login(User.objects.get(pk=identity.user_id))
    return client


def measure(
    page,
    identity,
    client,
    *,
    runs: int,
    max_seconds: float,
    do_explain: bool,
    profile_dir: Path | None = None,
) -> dict:
    from django.db import connection

    from bench.mix import BIG_TABLES

    url = page.url(identity.fx)
    result = {"page": page.name, "url": url, "role": page.role, "user_id": identity.user_id}
    try:
        warm = client.get(url)
        capture = Capture()
        with connection.execute_wrapper(capture):
            response = client.get(url)
    except Exception as error:  # one broken page must not hide the others
        result.update(status="error", error=f"{type(error).__name__}: {error}")
        return result
    result["status"] = response.status_code
    if response.status_code != 200 or warm.status_code != 200:
        result["error"] = f"HTTP {response.status_code}"
    result["queries"] = len(capture.statements)
    result["bytes"] = len(response.content)
    times = []
    profiler = None
    if profile_dir is not None:
        from pyinstrument import Profiler

        profiler = Profiler(interval=0.0005)
        profiler.start()
    started = time.perf_counter()
    for _run in range(runs):
        start = time.perf_counter()
        client.get(url)
        times.append(time.perf_counter() - start)
        if len(times) >= 5 and time.perf_counter() - started > max_seconds:
            break
    if profiler is not None:
        profiler.stop()
        profile_dir.mkdir(parents=True, exist_ok=True)
        (profile_dir / f"{page.name}.txt").write_text(
            profiler.output_text(unicode=True, processor_options={"show_all": False})
        )
    result["runs"] = len(times)
    result["p50_ms"] = round(percentile(times, 0.5) * 1000, 1)
    result["p95_ms"] = round(percentile(times, 0.95) * 1000, 1)
    result["db_ms"] = round(sum(t for _s, _p, t in capture.statements) * 1000, 1)
    statements = []
    seen: dict[str, dict] = {}
    for sql, params, seconds in capture.statements:
        if sql in seen:
            seen[sql]["count"] += 1
            continue
        entry = {
            "sql": sql,
            "params": repr(params)[:300],
            "count": 1,
            "ms": round(seconds * 1000, 1),
        }
        if do_explain:
            entry.update(explain(sql, params))
        seen[sql] = entry
        statements.append(entry)
    result["statements"] = statements
    flagged = sorted(
        {table for s in statements for table in s.get("seq_scans", []) if table in BIG_TABLES}
    )
    result["seq_scan_big"] = [BIG_TABLES[table] for table in flagged]
    result["seq_scan_other"] = sorted(
        {t for s in statements for t in s.get("seq_scans", []) if t not in BIG_TABLES}
    )
    result["disk_sorts"] = sum(1 for s in statements if s.get("disk_sort"))
    slowest = max(statements, key=lambda s: s.get("execution_ms") or s["ms"], default=None)
    result["slowest_query_ms"] = (slowest.get("execution_ms") or slowest["ms"]) if slowest else None
    return result


def print_header() -> None:
    header = (
        f"{'page':<24} {'HTTP':>4} {'queries':>7} {'p50 ms':>8} {'p95 ms':>8} "
        f"{'slowest q':>9}  seq scan on big tables / notes"
    )
    print(header)
    print("-" * len(header))


def print_row(r: dict) -> None:
    if r.get("status") == "error":
        print(f"{r['page']:<24} {'ERR':>4}  {r['error']}", flush=True)
        return
    notes = ", ".join(r.get("seq_scan_big", [])) or "–"
    if r.get("disk_sorts"):
        notes += f"; {r['disk_sorts']} sort(s) on disk"
    if r.get("error"):
        notes += f"; {r['error']}"
    slowest = r.get("slowest_query_ms")
    print(
        f"{r['page']:<24} {r['status']:>4} {r['queries']:>7} {r['p50_ms']:>8.1f} "
        f"{r['p95_ms']:>8.1f} {slowest if slowest is not None else '–':>9}  {notes}",
        flush=True,
    )


def write_plans(results: list[dict], path: Path) -> None:
    with path.open("w") as out:
        for r in results:
            out.write(f"=== {r['page']}  {r.get('url', '')}\n")
            for s in r.get("statements", []):
                out.write(f"--- ×{s['count']}  {s['ms']} ms\n{s['sql']}\n{s['params']}\n")
                out.write(f"{s.get('plan', '')}\n\n")


def selected(pages, spec: str | None):
    if not spec:
        return pages
    wanted = [part.strip() for part in spec.split(",") if part.strip()]
    return [page for page in pages if any(page.name.startswith(w) for w in wanted)]


def main(argv=None) -> int:
    args = parse_args(argv)
    env = environment(args.database_url)
    django_setup()
    from bench.mix import PAGES, heaviest

    static_ensure()
    database = database_name(env["DATABASE_URL"])
    print(f"Pages in-process on {database} ({git_commit()}; load {load_average()})", flush=True)
    identities = heaviest()
    clients = {}
    results = []
    for page in selected(PAGES, args.pages):
        identity = identities[page.role]
        if page.role not in clients:
            clients[page.role] = client_for(identity)
        result = measure(
            page,
            identity,
            clients[page.role],
            runs=args.runs,
            max_seconds=args.max_seconds,
            do_explain=not args.no_explain,
            profile_dir=Path(args.profile) if args.profile else None,
        )
        if not results:
            print_header()
        results.append(result)
        print_row(result)
    plans = OUT / f"plans-{database}.txt"
    OUT.mkdir(parents=True, exist_ok=True)
    write_plans(results, plans)
    print(f"Plans of every statement: {plans} (load {load_average()})")
    if args.plans:
        print(plans.read_text())
    if args.json:
        Path(args.json).write_text(
            json.dumps(
                {
                    "database": database,
                    "commit": git_commit(),
                    "load": load_average(),
                    "pages": results,
                },
                indent=2,
            )
        )
    failed = [r["page"] for r in results if r.get("status") != 200 or r.get("error")]
    if failed:
        print(f"FAILED: {', '.join(failed)}")
        return 1
    return 0


if __name__ == "__main__":
    sys.exit(main())
