"""Serve the portal with gunicorn and load it: a fixed arrival rate over the weighted page mix,
the throughput of key pages against a bare view in the same server, and a saturation run.

    DATABASE_URL=postgres://postgres@127.0.0.1:5432/kp_bench .venv/bin/python bench/load.py
    .venv/bin/python bench/load.py --rate 20 --duration 60 --saturation
    .venv/bin/python bench/load.py --quick          # 10 s at 5 req/s, short ratio run (CI)

Starts gunicorn (4 sync workers, DEBUG off, bench.settings: the portal's URLs plus a bare
view at /bench/bare/, static files by whitenoise) on a free port of 127.0.0.1, logs users in
by creating their sessions beforehand (the same session store the workers read), and drives it
with locust (bench/locustfile.py) on the loopback only. Every phase is bounded in time; the
server is stopped at the end, also on errors or Ctrl-C.

Phases:
- ratio: a closed loop (threads here, each sending the next request when the last is
  answered) at fixed concurrency (= workers) on one URL at a time: the bare view,
  tenant list and detail, the planner queue, the admin request list and the login page;
  ratio = page throughput / bare throughput (and the same from mean server time);
- load: --rate requests/s over the mix for --duration seconds, as many locust users at a
  constant throughput each (an open loop: a slow page holds one user, not the rate);
  p50/p95/p99 and errors per page, at the client and at the server (gunicorn's access log);
- saturation (--saturation): the rate stepped up until the server no longer keeps up: the
  achieved rate falls below 90% of the target, errors pass 1%, or requests queue (client p95
  above twice the server p95 plus 0.5 s).
Exits non-zero when a request fails (a non-200 answer or a timeout), unless --allow-errors.
"""

import argparse
import contextlib
import csv
import http.client
import json
import os
import signal
import socket
import subprocess
import sys
import threading
import time
import urllib.request
from pathlib import Path

sys.path.insert(0, str(Path(__file__).absolute().parent.parent))

from bench._common import (
    OUT,
    ROOT,
    database_name,
    django_setup,
    environment,
    git_commit,
    load_average,
    percentile,
    static_ensure,
)

RATIO_PAGES = [
    "bare",
    "tenant_list",
    "tenant_detail",
    "planner_new",
    "admin_requests",
    "login_page",
]
ACCESS_FORMAT = "%({x-bench-page}i)s\t%(s)s\t%(D)s\t%(m)s %(U)s"


def parse_args(argv=None):
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--rate", type=float, default=20.0, help="requests/s of the load phase")
    parser.add_argument("--duration", type=int, default=60, help="seconds of the load phase")
    parser.add_argument(
        "--seconds-per-user",
        type=float,
        default=5.0,
        help="each locust user sends one request per this many seconds (users = rate × it)",
    )
    parser.add_argument("--workers", type=int, default=4, help="gunicorn sync workers")
    parser.add_argument("--ratio-seconds", type=int, default=10, help="closed loop per page")
    parser.add_argument("--no-ratio", action="store_true")
    parser.add_argument("--no-load", action="store_true")
    parser.add_argument("--saturation", action="store_true", help="step the rate up")
    parser.add_argument(
        "--steps", default="2,3,5,10,15,20,30,40,60,80,120", help="saturation rates"
    )
    parser.add_argument("--step-seconds", type=int, default=45)
    parser.add_argument("--quick", action="store_true", help="10 s at 5 req/s, 2 s ratio runs")
    parser.add_argument("--allow-errors", action="store_true", help="exit 0 despite errors")
    parser.add_argument("--json", help="also write the figures here")
    parser.add_argument("--database-url", help="default: $DATABASE_URL or kp_bench")
    args = parser.parse_args(argv)
    if args.quick:
        args.rate, args.duration, args.ratio_seconds = 5.0, 10, 2
    return args


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


class Server:
    """gunicorn in its own process group, so stopping it stops its workers too."""

    def __init__(self, workers: int, run_dir: Path):
        self.workers = workers
        self.port = free_port()
        self.url = f"http://127.0.0.1:{self.port}"
        self.access_log = run_dir / "access.log"
        self.error_log = run_dir / "gunicorn.log"
        self.process: subprocess.Popen | None = None

    def start(self) -> None:
        self.access_log.write_text("")
        command = [
            sys.executable, "-m", "gunicorn", "portal.wsgi:application",
            "--workers", str(self.workers), "--worker-class", "sync",
            "--bind", f"127.0.0.1:{self.port}", "--timeout", "30", "--graceful-timeout", "5",
            "--access-logfile", str(self.access_log), "--access-logformat", ACCESS_FORMAT,
            "--error-logfile", str(self.error_log), "--chdir", str(ROOT), "--no-control-socket",
        ]  # fmt: skip
        self.process = subprocess.Popen(  # noqa: S603 - our own interpreter and arguments
            command, env=dict(os.environ), start_new_session=True, cwd=ROOT
        )
        deadline = time.monotonic() + 90
        while time.monotonic() < deadline:
            if self.process.poll() is not None:
                raise SystemExit(f"gunicorn exited; see {self.error_log}")
            try:
                with urllib.request.urlopen(f"{self.url}/bench/bare/", timeout=5) as response:  # noqa: S310 - loopback
                    if response.status == 200:
                        return
            except OSError:
                time.sleep(0.5)
        raise SystemExit(f"gunicorn did not answer within 90 s; see {self.error_log}")

    def stop(self) -> None:
        if self.process is None or self.process.poll() is not None:
            return
        os.killpg(self.process.pid, signal.SIGTERM)
        try:
            self.process.wait(timeout=15)
        except subprocess.TimeoutExpired:
            os.killpg(self.process.pid, signal.SIGKILL)
            self.process.wait(timeout=5)

    def mark(self) -> int:
        return self.access_log.stat().st_size

    def records(self, start: int, end: int | None = None) -> list[tuple[str, int, float]]:
        """(page, status, server ms) logged between two marks."""
        with self.access_log.open("rb") as handle:
            handle.seek(start)
            data = handle.read((end - start) if end is not None else -1)
        rows = []
        for line in data.decode(errors="replace").splitlines():
            parts = line.split("\t")
            if len(parts) >= 3 and parts[2].isdigit():
                rows.append(
                    (parts[0], int(parts[1]) if parts[1].isdigit() else 0, int(parts[2]) / 1000)
                )
        return rows


def sessions_and_plan(run_dir: Path) -> tuple[Path, dict[str, tuple[str, str | None]]]:
    """Log every user of the pools in (a session in the store the workers read) and write the
    locust plan: per page its weight and (URL, cookie) entries. Also return one (URL, cookie)
    per page for the ratio phase, with the heaviest identities."""
    from django.conf import settings
    from django.test import Client

    from bench.mix import PAGES, heaviest, pools
    from portal.models import User

    cookies: dict[int, str] = {}

    def cookie(user_id: int | None) -> str | None:
        if user_id is None:
            return None
        if user_id not in cookies:
            client = Client()
            client.force_login(User.objects.get(pk=user_id))
            cookies[user_id] = (
                f"{settings.SESSION_COOKIE_NAME}={client.cookies[settings.SESSION_COOKIE_NAME].value}"
            )
        return cookies[user_id]

    identities = pools()
    pages = []
    for page in PAGES:
        entries = []
        for identity in identities[page.role]:
            try:
                entries.append([page.url(identity.fx), cookie(identity.user_id)])
            except KeyError:
                continue
        if entries:
            pages.append({"name": page.name, "weight": page.weight, "entries": entries})
    path = run_dir / "plan.json"
    path.write_text(json.dumps({"pages": pages}))
    single = {"bare": ("/bench/bare/", None)}
    for role, identity in heaviest().items():
        for page in PAGES:
            if page.role == role and page.name in RATIO_PAGES:
                single[page.name] = (page.url(identity.fx), cookie(identity.user_id))
    print(
        f"  {len(cookies)} users logged in; {sum(len(p['entries']) for p in pages)} URLs in the mix"
    )
    return path, single


def run_locust(
    server: Server,
    run_dir: Path,
    label: str,
    *,
    user_class: str,
    users: int,
    seconds: int,
    env: dict,
) -> dict:
    prefix = run_dir / f"locust-{label}"
    command = [
        sys.executable, "-m", "locust", "-f", str(ROOT / "bench" / "locustfile.py"), user_class,
        "--headless", "--users", str(users), "--spawn-rate", str(max(users, 1)),
        "--run-time", f"{seconds}s", "--stop-timeout", "10", "--host", server.url,
        "--csv", str(prefix), "--only-summary", "--loglevel", "WARNING",
    ]  # fmt: skip
    mark = server.mark()
    started = time.monotonic()
    subprocess.run(  # noqa: S603 - our own interpreter and arguments
        command,
        env={**os.environ, **env},
        cwd=ROOT,
        stdout=subprocess.DEVNULL,
        stderr=(run_dir / f"locust-{label}.log").open("w"),
        timeout=seconds + 120,
        check=False,
    )
    elapsed = time.monotonic() - started
    time.sleep(0.5)  # let the last access-log lines land
    stats = {}
    with open(f"{prefix}_stats.csv") as handle:
        for row in csv.DictReader(handle):
            stats[row["Name"]] = {
                "count": int(row["Request Count"]),
                "failures": int(row["Failure Count"]),
                "rps": float(row["Requests/s"]),
                "p50": _number(row.get("50%")),
                "p95": _number(row.get("95%")),
                "p99": _number(row.get("99%")),
            }
    server_rows = server.records(mark)
    return {"client": stats, "server": server_side(server_rows), "elapsed": elapsed}


def _number(value: str | None) -> float | None:
    try:
        return float(value)
    except (TypeError, ValueError):
        return None


def server_side(rows: list[tuple[str, int, float]]) -> dict:
    by_page: dict[str, list[tuple[int, float]]] = {}
    for page, status, ms in rows:
        by_page.setdefault(page, []).append((status, ms))
        by_page.setdefault("Aggregated", []).append((status, ms))
    result = {}
    for page, items in by_page.items():
        times = [ms for _s, ms in items]
        result[page] = {
            "count": len(items),
            "errors": sum(1 for status, _ms in items if status != 200),
            "mean": sum(times) / len(times),
            "p50": percentile(times, 0.5),
            "p95": percentile(times, 0.95),
            "p99": percentile(times, 0.99),
        }
    return result


def closed_loop(
    server: Server, url: str, cookie: str | None, name: str, *, clients: int, seconds: float
) -> dict:
    """`clients` threads that each send the next request as soon as the last is answered;
    answers per second over the time from the first request to the last answer."""
    host, port = "127.0.0.1", server.port
    headers = {"X-Bench-Page": name, **({"Cookie": cookie} if cookie else {})}
    counts = [0] * clients
    errors = [0] * clients
    barrier = threading.Barrier(clients + 1)
    deadline = [0.0]
    finished = [0.0] * clients

    def client(index: int) -> None:
        barrier.wait()
        while time.perf_counter() < deadline[0]:
            connection = http.client.HTTPConnection(host, port, timeout=60)
            try:
                connection.request("GET", url, headers=headers)
                response = connection.getresponse()
                response.read()
                if response.status == 200:
                    counts[index] += 1
                else:
                    errors[index] += 1
            except OSError:
                errors[index] += 1
            finally:
                connection.close()
        finished[index] = time.perf_counter()

    threads = [threading.Thread(target=client, args=(i,), daemon=True) for i in range(clients)]
    for thread in threads:
        thread.start()
    started = time.perf_counter()
    deadline[0] = started + seconds
    barrier.wait()
    for thread in threads:
        thread.join(seconds + 120)
    elapsed = max(finished) - started
    return {"count": sum(counts), "errors": sum(errors), "rps": sum(counts) / elapsed}


def ratio_phase(server, single, *, seconds: int, workers: int) -> dict:
    print(
        f"Ratio to the bare view: closed loop, {workers} clients, {seconds} s per page", flush=True
    )
    results = {}
    for name in RATIO_PAGES:
        if name not in single:
            continue
        url, cookie = single[name]
        mark = server.mark()
        run = closed_loop(server, url, cookie, name, clients=workers, seconds=seconds)
        time.sleep(0.3)  # let the last access-log lines land
        served = server_side(server.records(mark)).get(name, {})
        results[name] = {
            "url": url,
            "rps": run["rps"],
            "failures": run["errors"],
            "server_mean_ms": served.get("mean"),
        }
    bare = results.get("bare", {})
    for name, row in results.items():
        row["ratio"] = (
            round(row["rps"] / bare["rps"], 3) if bare.get("rps") and row["rps"] else None
        )
        row["ratio_service_time"] = (
            round(bare["server_mean_ms"] / row["server_mean_ms"], 3)
            if bare.get("server_mean_ms") and row.get("server_mean_ms")
            else None
        )
        print(
            f"  {name:<16} {row['rps'] or 0:8.1f} req/s  ratio {row['ratio'] or 0:6.3f}  "
            f"server mean {row['server_mean_ms'] or 0:7.1f} ms  (ratio by service time "
            f"{row['ratio_service_time'] or 0:.3f})",
            flush=True,
        )
    return results


def mix_run(server, run_dir, plan, label, *, rate: float, seconds: int, per_user: float) -> dict:
    users = max(1, round(rate * per_user))
    run = run_locust(
        server,
        run_dir,
        label,
        user_class="MixUser",
        users=users,
        seconds=seconds,
        env={"BENCH_PLAN": str(plan), "BENCH_USER_RATE": str(rate / users)},
    )
    # Answers per second of the run, as the server logged them (locust's own figure leaves
    # out the ramp-up, and its CSV can miss the last answers of a short run).
    served = run["server"].get("Aggregated", {})
    achieved = served.get("count", 0) / seconds
    failures = max(run["client"].get("Aggregated", {}).get("failures", 0), served.get("errors", 0))
    return run | {
        "rate": rate,
        "users": users,
        "seconds": seconds,
        "achieved": achieved,
        "failures": failures,
    }


def print_mix(run: dict) -> None:
    client, served = run["client"], run["server"]
    print(
        f"{'page':<24} {'n':>6} {'err':>4} {'client p50':>10} {'p95':>7} {'p99':>7} "
        f"{'server p50':>10} {'p95':>7} {'p99':>7}"
    )
    names = [name for name in client if name != "Aggregated"] + ["Aggregated"]
    for name in names:
        c = client.get(name, {})
        s = served.get(name, {})
        print(
            f"{name:<24} {c.get('count', 0):>6} {c.get('failures', 0):>4} "
            f"{_ms(c.get('p50')):>10} {_ms(c.get('p95')):>7} {_ms(c.get('p99')):>7} "
            f"{_ms(s.get('p50')):>10} {_ms(s.get('p95')):>7} {_ms(s.get('p99')):>7}"
        )
    print(
        f"  target {run['rate']:g} req/s with {run['users']} users for {run['seconds']} s: "
        f"achieved {run['achieved']:.1f} req/s, {run['failures']} errors, "
        f"server p95 {_ms(served.get('Aggregated', {}).get('p95'))} ms",
        flush=True,
    )


def _ms(value) -> str:
    return "–" if value is None else f"{value:.0f}"


def saturation_phase(server, run_dir, plan, *, steps: list[float], seconds: int, per_user: float):
    print(f"Saturation: rates {steps}, {seconds} s each", flush=True)
    results = []
    for rate in steps:
        run = mix_run(
            server, run_dir, plan, f"sat-{rate:g}", rate=rate, seconds=seconds, per_user=per_user
        )
        total = run["client"].get("Aggregated", {})
        served = run["server"].get("Aggregated", {})
        row = {
            "target": rate,
            "achieved": run["achieved"],
            "failures": run["failures"],
            "count": served.get("count", 0),
            "server_p50": served.get("p50"),
            "server_p95": served.get("p95"),
            "client_p95": total.get("p95"),
        }
        error_share = row["failures"] / row["count"] if row["count"] else 1.0
        # Requests queue for a worker: the client waits much longer than the server works.
        queueing = (row["client_p95"] or 0) > 2 * (row["server_p95"] or 0) + 500
        row["broken"] = bool(error_share > 0.01 or row["achieved"] < 0.9 * rate or queueing)
        results.append(row)
        print(
            f"  {rate:>6g} req/s target: {row['achieved']:6.1f} achieved, server p50 "
            f"{_ms(row['server_p50'])} p95 {_ms(row['server_p95'])} ms, client p95 "
            f"{_ms(row['client_p95'])} ms, {row['failures']} errors"
            + ("  <- breaks down" if row["broken"] else ""),
            flush=True,
        )
        if row["broken"]:
            break
    held = [row["target"] for row in results if not row["broken"]]
    return {"steps": results, "saturation_rate": max(held) if held else None}


def warm_up(server: Server, plan: Path, workers: int) -> None:
    """Each page a few times, so every worker has its connection and templates."""
    pages = json.loads(plan.read_text())["pages"]
    for page in pages:
        url, cookie = page["entries"][0]
        for _ in range(min(workers, 2)):
            request = urllib.request.Request(server.url + url, headers={"Cookie": cookie or ""})  # noqa: S310
            with contextlib.suppress(OSError):
                urllib.request.urlopen(request, timeout=60).read()  # noqa: S310 - loopback


def main(argv=None) -> int:
    args = parse_args(argv)
    env = environment(args.database_url)
    django_setup()
    static_ensure()
    database = database_name(env["DATABASE_URL"])
    run_dir = OUT / f"load-{database}"
    run_dir.mkdir(parents=True, exist_ok=True)
    report = {"database": database, "commit": git_commit(), "load_before": load_average()}
    print(f"Load on {database} ({report['commit']}; load {report['load_before']})", flush=True)
    plan, single = sessions_and_plan(run_dir)
    from django.db import connections

    connections.close_all()
    server = Server(args.workers, run_dir)
    failures = 0
    try:
        server.start()
        print(f"  gunicorn: {args.workers} sync workers on {server.url}", flush=True)
        warm_up(server, plan, args.workers)
        if not args.no_ratio:
            report["ratio"] = ratio_phase(
                server, single, seconds=args.ratio_seconds, workers=args.workers
            )
            failures += sum(row["failures"] for row in report["ratio"].values())
        if not args.no_load:
            print(f"Fixed arrival rate: {args.rate:g} req/s for {args.duration} s", flush=True)
            run = mix_run(
                server, run_dir, plan, "load", rate=args.rate, seconds=args.duration,
                per_user=args.seconds_per_user,
            )  # fmt: skip
            print_mix(run)
            report["load"] = run
            failures += run["failures"]
        if args.saturation:
            steps = [float(step) for step in args.steps.split(",")]
            report["saturation"] = saturation_phase(
                server, run_dir, plan, steps=steps, seconds=args.step_seconds,
                per_user=args.seconds_per_user,
            )  # fmt: skip
            print(f"  saturation: holds {report['saturation']['saturation_rate']} req/s")
    finally:
        server.stop()
    report["load_after"] = load_average()
    print(f"Machine load average after: {report['load_after']}")
    (run_dir / "report.json").write_text(json.dumps(report, indent=2))
    if args.json:
        Path(args.json).write_text(json.dumps(report, indent=2))
    if failures and not args.allow_errors:
        print(f"FAILED: {failures} failed requests (see {run_dir})")
        return 1
    return 0


if __name__ == "__main__":
    sys.exit(main())
