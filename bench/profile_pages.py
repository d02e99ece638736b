"""Per-request cost of the key pages against a bare view in the same process or server.

    export DATABASE_URL=sqlite:////tmp/kp_perf.sqlite3
    DEBUG=true .venv/bin/python manage.py migrate && DEBUG=true .venv/bin/python manage.py demo_data
    .venv/bin/python bench/profile_pages.py                 # in-process p50/p95, queries, ÷ bare
    .venv/bin/python bench/profile_pages.py --profile DIR   # and a pyinstrument profile per page
    .venv/bin/python bench/profile_pages.py --http          # req/s through gunicorn, ÷ bare
    .venv/bin/python bench/profile_pages.py --compare DIR   # against another checkout

Runs with bench.settings, the production settings over plain http (DEBUG off, so the cached
template loader and the manifest static storage are what is measured), on the database named
by DATABASE_URL (default: the SQLite file /tmp/kp_perf.sqlite3 filled with the demo data);
REDIS_URL, when set, puts the cache and the sessions on Redis as in production. In-process, each page goes
through Django's test client with every middleware, so the only difference to a server is
the HTTP handling. --http serves the same URLs by gunicorn (4 sync workers) and keeps 8
connections busy for a fixed time per page. What the profiles showed is in bench/profiles.md.
"""

import argparse
import json
import multiprocessing
import os
import socket
import statistics
import subprocess
import sys
import time
from pathlib import Path

BASE_DIR = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(BASE_DIR))
os.environ.setdefault("DATABASE_URL", "sqlite:////tmp/kp_perf.sqlite3")
os.environ.setdefault("DEBUG", "false")
os.environ.setdefault("SECRET_KEY", "bench-only-secret-key-0123456789-abcdefghijklmnopqrstuvwxyz")
os.environ.setdefault("ALLOWED_HOSTS", "testserver,127.0.0.1")
os.environ.setdefault("AXES_ENABLED", "false")
os.environ.setdefault("LOG_LEVEL", "WARNING")
# The portal's settings over plain http, with the bare view at /bench/bare/.
os.environ.setdefault("DJANGO_SETTINGS_MODULE", "bench.settings")

import django  # noqa: E402

django.setup()

from django.conf import settings  # noqa: E402
from django.core.management import call_command  # noqa: E402
from django.db import connection, reset_queries  # noqa: E402
from django.test import Client  # noqa: E402

from portal.models import User  # noqa: E402

# (label, who is logged in (None: nobody), path (None: the tenant's newest planned request))
PAGES = [
    ("bare view", None, "/bench/bare/"),
    ("login page", None, "/account/inloggen/"),
    ("tenant list", "huurder2@example.nl", "/mijn-reparaties/"),
    ("tenant detail", "huurder2@example.nl", None),
    ("planner queue", "planner@vandenberg.nl", "/aannemer/werk/new/"),
    ("admin list", "beheer@ketenportaal.nl", "/admin/repairs/repairrequest/"),
]


def client_for(email: str | None) -> Client:
    client = Client(HTTP_ACCEPT_LANGUAGE="nl")
    if email:
        client.force_login(User.objects.get(email=email))
    return client


def detail_path(email: str) -> str:
    from repairs.models import RepairRequest

    reference = (
        RepairRequest.objects.filter(tenancy__tenant__email=email, appointments__isnull=False)
        .order_by("-created_at")
        .values_list("reference", flat=True)
        .first()
    )
    return f"/mijn-reparaties/{reference}/"


def pages(only: str | None):
    chosen = {"bare view", *only.split(",")} if only else None
    for label, email, url in PAGES:
        if chosen and label not in chosen:
            continue
        yield label, email, url or detail_path(email)


def warm_up(client: Client, url: str) -> int:
    """Ten requests to fill what is kept per process; returns the queries of one more."""
    for _ in range(10):
        response = client.get(url)
        assert response.status_code == 200, (url, response.status_code)
    executed = []

    def count(execute, sql, params, many, context):
        executed.append(sql)
        return execute(sql, params, many, context)

    with connection.execute_wrapper(count):
        client.get(url)
    return len(executed)


def measure(client: Client, url: str, rounds: int) -> tuple[list[float], list[float]]:
    # CPU time of this process as well as wall time: on a shared machine the wall time
    # follows the load of everything else; with SQLite the database work is in the CPU time.
    times, cpu_times = [], []
    for _ in range(rounds):
        start, cpu_start = time.perf_counter(), time.process_time()
        client.get(url)
        times.append(time.perf_counter() - start)
        cpu_times.append(time.process_time() - cpu_start)
        reset_queries()
    return times, cpu_times


def profile(client: Client, url: str, label: str, folder: Path, rounds: int) -> None:
    from pyinstrument import Profiler

    folder.mkdir(parents=True, exist_ok=True)
    profiler = Profiler(interval=0.001)
    with profiler:
        for _ in range(rounds):
            client.get(url)
    name = label.replace(" ", "_")
    # Library frames are where the time goes (ORM, template engine), so none are hidden;
    # only branches under 2% of the total are left out.
    options = {"show_regex": ".*", "filter_threshold": 0.02}
    (folder / f"{name}.txt").write_text(
        profiler.output_text(unicode=True, processor_options=options)
    )
    (folder / f"{name}.flat.txt").write_text(
        profiler.output_text(unicode=True, flat=True, processor_options=options)
    )
    (folder / f"{name}.html").write_text(profiler.output_html())


def in_process(args) -> None:
    rows = []
    bare_cpu = None
    for label, email, url in pages(args.only):
        client = client_for(email)
        queries = warm_up(client, url)
        times, cpu_times = measure(client, url, args.rounds)
        p50, p95 = statistics.median(times), statistics.quantiles(times, n=20)[18]
        cpu = statistics.median(cpu_times)
        bare_cpu = bare_cpu or cpu
        rows.append((label, queries, p50 * 1000, p95 * 1000, cpu * 1000, bare_cpu / cpu))
        if args.profile and label != "bare view":
            profile(client, url, label, Path(args.profile), args.rounds)
    print(
        f"{'page':<16} {'queries':>7} {'p50 ms':>8} {'p95 ms':>8} {'CPU p50 ms':>11} "
        f"{'÷ bare (CPU)':>13}"
    )
    for label, queries, p50, p95, cpu, ratio in rows:
        print(f"{label:<16} {queries:>7} {p50:>8.2f} {p95:>8.2f} {cpu:>11.2f} {ratio:>13.3f}")
    print(
        f"(in-process, DEBUG={settings.DEBUG}, {connection.vendor}, "
        f"sessions {settings.SESSION_ENGINE.rsplit('.', 1)[-1]}, "
        f"{args.rounds} rounds after 10 warm-up)"
    )


def serve() -> None:
    """For --compare: measure on request, one JSON line in, one out."""
    clients = {}
    for line in sys.stdin:
        order = json.loads(line)
        label = order["label"]
        if label not in clients:
            ((_, email, url),) = [page for page in pages(None) if page[0] == label]
            client = client_for(email)
            clients[label] = (client, url, warm_up(client, url))
        client, url, queries = clients[label]
        times, cpu_times = measure(client, url, order["rounds"])
        print(json.dumps({"wall": times, "cpu": cpu_times, "queries": queries}), flush=True)


def compare(args) -> None:
    """This checkout against another one (say, the commit before a change), page by page in
    alternating batches, so that both see the same load on a shared machine."""
    trees = {"other": Path(args.compare).resolve(), "this": BASE_DIR}
    servers = {
        name: subprocess.Popen(  # noqa: S603 - our own interpreter and script
            [sys.executable, str(tree / "bench" / "profile_pages.py"), "--serve"],
            cwd=tree,
            env={**os.environ, "PYTHONPATH": str(tree)},
            stdin=subprocess.PIPE,
            stdout=subprocess.PIPE,
            text=True,
        )
        for name, tree in trees.items()
    }
    results = {name: {} for name in trees}
    try:
        for label, _email, _url in pages(args.only):
            for _ in range(args.batches):
                for name, server in servers.items():
                    server.stdin.write(json.dumps({"label": label, "rounds": args.rounds}) + "\n")
                    server.stdin.flush()
                    answer = json.loads(server.stdout.readline())
                    result = results[name].setdefault(label, {"cpu": [], "wall": [], "batches": []})
                    result["cpu"] += answer["cpu"]
                    result["wall"] += answer["wall"]
                    result["batches"].append(statistics.median(answer["cpu"]))
                    result["queries"] = answer["queries"]
    finally:
        for server in servers.values():
            server.stdin.close()
            server.wait()
    print(f"other: {trees['other']}  this: {trees['this']}")
    print(
        f"{'page':<16} {'queries':>9} {'wall p50 ms':>15} {'CPU p50 ms':>15} "
        f"{'best batch ms':>15} {'÷ bare (CPU)':>15} {'change':>7}"
    )
    bare = {name: statistics.median(results[name]["bare view"]["cpu"]) for name in trees}
    for label, _email, _url in pages(args.only):
        other, this = results["other"][label], results["this"][label]
        cpu = {name: statistics.median(results[name][label]["cpu"]) for name in trees}
        wall = {name: statistics.median(results[name][label]["wall"]) for name in trees}
        print(
            f"{label:<16} {other['queries']:>4}→{this['queries']:<4} "
            f"{wall['other'] * 1000:>6.2f}→{wall['this'] * 1000:<8.2f} "
            f"{cpu['other'] * 1000:>6.2f}→{cpu['this'] * 1000:<8.2f} "
            f"{min(other['batches']) * 1000:>6.2f}→{min(this['batches']) * 1000:<8.2f} "
            f"{bare['other'] / cpu['other']:>6.3f}→{bare['this'] / cpu['this']:<8.3f} "
            f"{cpu['this'] / cpu['other'] - 1:>+7.0%}"
        )
    print(
        f"(in-process CPU time per request, {args.batches} alternating batches of "
        f"{args.rounds} per page and checkout, {connection.vendor}, "
        f"sessions {settings.SESSION_ENGINE.rsplit('.', 1)[-1]})"
    )


def _hammer(port: int, request: bytes, seconds: float, result) -> None:
    done = errors = 0
    deadline = time.perf_counter() + seconds
    while time.perf_counter() < deadline:
        with socket.create_connection(("127.0.0.1", port)) as sock:
            sock.sendall(request)
            chunks = []
            while chunk := sock.recv(65536):
                chunks.append(chunk)
        if chunks and chunks[0][8:13] == b" 200 ":
            done += 1
        else:
            errors += 1
    result.put((done, errors))


def over_http(args) -> None:
    port = args.port
    server = subprocess.Popen(  # noqa: S603 - our own interpreter and arguments
        [
            str(Path(sys.executable).parent / "gunicorn"),
            "--chdir",
            str(BASE_DIR),
            "--workers",
            str(args.workers),
            "--bind",
            f"127.0.0.1:{port}",
            "--log-level",
            "warning",
            "portal.wsgi:application",
        ],
        env=os.environ.copy(),
    )
    try:
        time.sleep(4)
        rows = []
        bare_rate = None
        for label, email, url in pages(args.only):
            client = client_for(email)
            cookie = "; ".join(f"{k}={v.value}" for k, v in client.cookies.items())
            request = (
                f"GET {url} HTTP/1.0\r\nHost: 127.0.0.1\r\nAccept-Language: nl\r\n"
                + (f"Cookie: {cookie}\r\n" if cookie else "")
                + "\r\n"
            ).encode()
            result = multiprocessing.Queue()
            # Warm every worker's caches first, then count.
            warm = multiprocessing.Process(target=_hammer, args=(port, request, 1.0, result))
            warm.start()
            warm.join()
            result.get()
            workers = [
                multiprocessing.Process(target=_hammer, args=(port, request, args.seconds, result))
                for _ in range(args.connections)
            ]
            for worker in workers:
                worker.start()
            totals = [result.get() for _ in workers]
            for worker in workers:
                worker.join()
            done = sum(d for d, _ in totals)
            errors = sum(e for _, e in totals)
            rate = done / args.seconds
            bare_rate = bare_rate or rate
            rows.append((label, rate, errors, rate / bare_rate))
        print(f"{'page':<16} {'req/s':>8} {'errors':>7} {'÷ bare':>8}")
        for label, rate, errors, ratio in rows:
            print(f"{label:<16} {rate:>8.1f} {errors:>7} {ratio:>8.3f}")
        print(
            f"(gunicorn {args.workers} sync workers, {args.connections} connections, "
            f"{args.seconds:.0f} s per page, {connection.vendor}, "
            f"sessions {settings.SESSION_ENGINE.rsplit('.', 1)[-1]})"
        )
    finally:
        server.terminate()
        server.wait()


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--rounds", type=int, default=300)
    parser.add_argument("--profile", metavar="DIR", help="write a pyinstrument profile per page")
    parser.add_argument("--only", help="page labels, comma-separated (and always the bare view)")
    parser.add_argument("--http", action="store_true", help="through gunicorn instead")
    parser.add_argument("--port", type=int, default=8765)
    parser.add_argument("--workers", type=int, default=4)
    parser.add_argument("--connections", type=int, default=8)
    parser.add_argument("--seconds", type=float, default=8.0)
    parser.add_argument("--compare", metavar="DIR", help="against the checkout in DIR")
    parser.add_argument("--batches", type=int, default=6, help="with --compare")
    parser.add_argument("--serve", action="store_true", help=argparse.SUPPRESS)
    args = parser.parse_args()

    if not settings.DEBUG and not (Path(settings.STATIC_ROOT) / "staticfiles.json").exists():
        call_command("collectstatic", interactive=False, verbosity=0)
    if args.serve:
        serve()
    elif args.compare:
        compare(args)
    elif args.http:
        over_http(args)
    else:
        in_process(args)


if __name__ == "__main__":
    main()
