"""The machine interface (VERA OHD) on the seeded database: the order list of the contractor
with the most orders, and booking a visit through POST afspraken.

    DATABASE_URL=postgres://postgres@127.0.0.1:5432/kp_bench .venv/bin/python bench/api.py
    .venv/bin/python bench/api.py --runs 100 --bookings 50 --json var/bench/api.json
    .venv/bin/python bench/api.py --quick          # the CI smoke test (bench/run.py --quick)

In-process, as pages.py: Django's test Client with a bearer token, production settings, one
request after the other (no HTTP server; the throttle is lifted for the run). An API client
is made for the contractor with the most orders (api.services.api_client_create) and its
token fetched from the token endpoint; both are deleted at the end.

(a) GET onderhoudsorders, 100 a page: the first page and a deep one (the middle page of the
    contractor's orders unless --deep-page), --runs times each after one warm-up: requests
    per second, p50/p95, queries per request, and EXPLAIN (ANALYZE, BUFFERS) of each of the
    list's statements (the count and the page); a Seq Scan on the request table or a sort on
    disk is reported (with --strict it fails the run; at 1/1000 PostgreSQL rightly scans).
(b) POST afspraken for --bookings orders of that contractor waiting for a visit that have
    free dayparts: the options are fetched (not timed), then the first one is booked (timed,
    after one untimed booking of the first order as a warm-up) inside a
    transaction that is rolled back, so the database is as before and no mail or webhook
    leaves (on_commit never runs). The time is therefore the booking without its COMMIT.

Exits non-zero when a request answers anything but the expected status.
"""

import argparse
import base64
import json
import os
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
)

OHD = "/api/vera/ohd/v4"
PAGE_SIZE = 100
REQUEST_TABLE = "repairs_repairrequest"


def parse_args(argv=None):
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--runs", type=int, default=50, help="timed requests per list page")
    parser.add_argument("--bookings", type=int, default=30, help="orders to book (and undo)")
    parser.add_argument("--deep-page", type=int, help="the deep page (default: the middle one)")
    parser.add_argument("--no-explain", action="store_true", help="skip EXPLAIN ANALYZE")
    parser.add_argument("--plans", action="store_true", help="print the list's plans")
    parser.add_argument("--strict", action="store_true", help="fail on a Seq Scan of requests")
    parser.add_argument("--quick", action="store_true", help="5 runs, 3 bookings: CI smoke")
    parser.add_argument("--json", help="write the figures to this file")
    parser.add_argument("--database-url", help="default: $DATABASE_URL or kp_bench")
    args = parser.parse_args(argv)
    if args.quick:
        args.runs, args.bookings = min(args.runs, 5), min(args.bookings, 3)
    return args


class Failed(Exception):
    pass


def heaviest_contractor() -> tuple[int, int]:
    """(contractor id, orders) of the contractor with the most orders."""
    from django.db.models import Count

    from api.selectors import ORDER_STATUSES
    from repairs.models import RepairRequest

    row = (
        RepairRequest.objects.filter(status__in=ORDER_STATUSES, contractor__isnull=False)
        .values("contractor_id")
        .annotate(orders=Count("pk"))
        .order_by("-orders", "contractor_id")
        .first()
    )
    if row is None:
        raise SystemExit("No orders: seed the database first (bench/seed.py).")
    return row["contractor_id"], row["orders"]


def waiting_contractor() -> int | None:
    """The contractor with the most orders waiting for a visit, whose bookings are timed; at
    a small scale the contractor with the most orders may have none waiting."""
    from django.db.models import Count

    from repairs.lifecycle import Status
    from repairs.models import AppointmentStatus, RepairRequest

    row = (
        RepairRequest.objects.filter(
            status__in=[Status.ROUTED, Status.FOLLOW_UP], contract__isnull=False
        )
        .exclude(appointments__status=AppointmentStatus.PLANNED)
        .values("contractor_id")
        .annotate(waiting=Count("pk"))
        .order_by("-waiting", "contractor_id")
        .first()
    )
    return None if row is None else row["contractor_id"]


def client_make(contractor_id: int):
    """An API client of the contractor and a test Client that sends its token."""
    from django.test import Client
    from django.urls import reverse

    from api.scopes import CONTRACTOR_DEFAULT_SCOPES
    from api.services import api_client_create
    from contractors.models import Contractor

    new = api_client_create(
        name="Benchmark (bench/api.py)",
        scopes=list(CONTRACTOR_DEFAULT_SCOPES),
        contractor=Contractor.objects.get(pk=contractor_id),
    )
    response = Client().post(
        reverse("api:token"),
        {"grant_type": "client_credentials"},
        HTTP_AUTHORIZATION=basic(new.client_id, new.client_secret),
    )
    if response.status_code != 200:
        client_delete(new.api_client)
        raise Failed(f"token: HTTP {response.status_code} {response.content[:200]!r}")
    token = response.json()["access_token"]
    return new.api_client, Client(HTTP_AUTHORIZATION=f"Bearer {token}")


def client_delete(api_client) -> None:
    """The client, its OAuth2 application and its tokens (the application's cascade)."""
    from oauth2_provider.models import get_application_model

    get_application_model().objects.filter(pk=api_client.application_id).delete()


def basic(client_id: str, secret: str) -> str:
    return "Basic " + base64.b64encode(f"{client_id}:{secret}".encode()).decode()


def list_page(client, page: int):
    return client.get(
        f"{OHD}/onderhoudsorders",
        {"pagina": page},
        HTTP_X_PARAMETERS_AANTALPERPAGINA=str(PAGE_SIZE),
    )


def measure_list(client, *, label: str, page: int, runs: int, do_explain: bool) -> dict:
    from django.db import connection

    from bench.pages import Capture, explain

    warm = list_page(client, page)
    if warm.status_code != 200:
        raise Failed(f"{label}: HTTP {warm.status_code} {warm.content[:200]!r}")
    capture = Capture()
    with connection.execute_wrapper(capture):
        response = list_page(client, page)
    rows = len(response.json())
    times = []
    started = time.perf_counter()
    for _run in range(runs):
        start = time.perf_counter()
        answer = list_page(client, page)
        times.append(time.perf_counter() - start)
        if answer.status_code != 200:
            raise Failed(f"{label}: HTTP {answer.status_code}")
    elapsed = time.perf_counter() - started
    statements = []
    for sql, params, seconds in capture.statements:
        entry = {"sql": sql, "params": repr(params)[:300], "ms": round(seconds * 1000, 1)}
        if do_explain:
            entry.update(explain(sql, params))
        statements.append(entry)
    return {
        "name": label,
        "page": page,
        "rows": rows,
        "total": int(response["X-Parameters-Aantal"]),
        "runs": runs,
        "per_second": round(runs / elapsed, 1) if elapsed else None,
        "p50_ms": round(percentile(times, 0.5) * 1000, 1),
        "p95_ms": round(percentile(times, 0.95) * 1000, 1),
        "queries": len(capture.statements),
        "db_ms": round(sum(s for _sql, _p, s in capture.statements) * 1000, 1),
        "statements": statements,
        "seq_scan_requests": any(REQUEST_TABLE in s.get("seq_scans", []) for s in statements),
        "disk_sorts": sum(1 for s in statements if s.get("disk_sort")),
        "slowest_query_ms": max(
            (s.get("execution_ms") or s["ms"] for s in statements), default=None
        ),
    }


def orders_to_book(contractor_id: int, count: int) -> list[str]:
    """Orders of the contractor waiting for a visit (routed, or a follow-up), newest first
    (what a planning system books first), more than asked (some have no free daypart)."""
    from repairs.lifecycle import Status
    from repairs.models import AppointmentStatus, RepairRequest

    return list(
        RepairRequest.objects.filter(
            contractor_id=contractor_id,
            status__in=[Status.ROUTED, Status.FOLLOW_UP],
            contract__isnull=False,
        )
        .exclude(appointments__status=AppointmentStatus.PLANNED)
        .order_by("-created_at", "-pk")
        .values_list("reference", flat=True)[: max(count * 3, 50)]
    )


def measure_bookings(client, contractor_id: int, count: int) -> dict:
    from django.db import connection, transaction

    from bench.pages import Capture

    times, queries, skipped, booked = [], [], 0, 0
    for reference in orders_to_book(contractor_id, count):
        if booked >= count:
            break
        options = client.get(f"{OHD}/afspraak-opties", {"onderhoudsorder": reference})
        if options.status_code != 200:
            raise Failed(f"afspraak-opties {reference}: HTTP {options.status_code}")
        if not options.json():
            skipped += 1
            continue
        body = {"onderhoudsorder": {"id": reference}, "begindatum": options.json()[0]["begindatum"]}
        # The first order is booked once untimed (templates, caches), as a page's warm-up.
        for _attempt in range(2 if booked == 0 else 1):
            capture = Capture()
            with transaction.atomic():
                with connection.execute_wrapper(capture):
                    start = time.perf_counter()
                    response = client.post(
                        f"{OHD}/afspraken", json.dumps(body), content_type="application/json"
                    )
                    seconds = time.perf_counter() - start
                # Undone: the database stays as it was, and nothing is sent (no commit).
                transaction.set_rollback(True)
            if response.status_code != 201:
                raise Failed(
                    f"afspraken {reference}: HTTP {response.status_code} {response.content!r}"
                )
        times.append(seconds)
        queries.append(len(capture.statements))
        booked += 1
    if booked == 0:
        raise Failed("no routed order of the contractor has a free daypart to book")
    return {
        "name": "book (POST afspraken)",
        "bookings": booked,
        "without_options": skipped,
        "p50_ms": round(percentile(times, 0.5) * 1000, 1),
        "p95_ms": round(percentile(times, 0.95) * 1000, 1),
        "max_ms": round(max(times) * 1000, 1),
        "queries": max(queries),
        "times_ms": [round(t * 1000, 1) for t in times],
    }


def print_table(lists: list[dict], booking: dict | None) -> None:
    header = (
        f"{'measure':<28} {'rows':>5} {'runs':>5} {'req/s':>7} {'p50 ms':>8} {'p95 ms':>8} "
        f"{'queries':>7} {'slowest q':>9}  notes"
    )
    print(header)
    print("-" * len(header))
    for r in lists:
        notes = "Seq Scan on requests" if r["seq_scan_requests"] else "–"
        if r["disk_sorts"]:
            notes += f"; {r['disk_sorts']} sort(s) on disk"
        slowest = r["slowest_query_ms"]
        print(
            f"{r['name']:<28} {r['rows']:>5} {r['runs']:>5} {r['per_second']:>7} "
            f"{r['p50_ms']:>8.1f} {r['p95_ms']:>8.1f} {r['queries']:>7} "
            f"{slowest if slowest is not None else '–':>9}  {notes}"
        )
    if booking:
        print(
            f"{booking['name']:<28} {'':>5} {booking['bookings']:>5} {'':>7} "
            f"{booking['p50_ms']:>8.1f} {booking['p95_ms']:>8.1f} {booking['queries']:>7} "
            f"{'':>9}  max {booking['max_ms']} ms; rolled back"
        )


def main(argv=None) -> int:
    args = parse_args(argv)
    # One client asks many times in a row: the per-client budget would answer 429.
    os.environ.setdefault("API_THROTTLE_RATE", "1000000/min")
    env = environment(args.database_url)
    django_setup()
    database = database_name(env["DATABASE_URL"])
    print(f"API in-process on {database} ({git_commit()}; load {load_average()})", flush=True)
    contractor_id, orders = heaviest_contractor()
    pages = -(-orders // PAGE_SIZE)
    deep = args.deep_page or (pages // 2 + 1 if pages > 1 else 1)
    print(f"Contractor {contractor_id}: {orders:,} orders; deep page {deep}", flush=True)
    api_client, client = client_make(contractor_id)
    lists, booking, failure = [], None, None
    try:
        for label, page in (("orders, page 1", 1), (f"orders, page {deep}", deep)):
            lists.append(
                measure_list(
                    client, label=label, page=page, runs=args.runs, do_explain=not args.no_explain
                )
            )
        booker = waiting_contractor()
        if booker is None or booker == contractor_id:
            booking = measure_bookings(client, contractor_id, args.bookings)
        else:
            print(f"Bookings: contractor {booker}, which has the most orders waiting", flush=True)
            booking_client, booking_http = client_make(booker)
            try:
                booking = measure_bookings(booking_http, booker, args.bookings)
            finally:
                client_delete(booking_client)
    except Failed as error:
        failure = str(error)
    finally:
        client_delete(api_client)
    print_table(lists, booking)
    plans = OUT / f"plans-api-{database}.txt"
    OUT.mkdir(parents=True, exist_ok=True)
    with plans.open("w") as out:
        for r in lists:
            out.write(f"=== {r['name']}\n")
            for s in r["statements"]:
                out.write(f"--- {s['ms']} ms\n{s['sql']}\n{s['params']}\n{s.get('plan', '')}\n\n")
    print(f"Plans of the list's statements: {plans} (load {load_average()})")
    if args.plans:
        print(plans.read_text())
    if args.json:
        Path(args.json).write_text(
            json.dumps(
                {
                    "database": database,
                    "commit": git_commit(),
                    "load": load_average(),
                    "contractor_id": contractor_id,
                    "orders": orders,
                    "lists": lists,
                    "booking": booking,
                },
                indent=2,
            )
        )
    if failure:
        print(f"FAILED: {failure}")
        return 1
    if args.strict and any(r["seq_scan_requests"] or r["disk_sorts"] for r in lists):
        print("FAILED: a Seq Scan on the request table or a sort on disk (--strict)")
        return 1
    return 0


if __name__ == "__main__":
    sys.exit(main())
