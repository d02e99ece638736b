"""Benchmark: the fee of a month and a CSV import, for a given number of dwellings.

    DATABASE_URL=postgres://postgres@127.0.0.1:5432/kp_bench .venv/bin/python bench/fees_and_imports.py 30000

Builds its own association in the database named by DATABASE_URL (default: a throw-away
SQLite file), prints seconds per step. Figures live here, not in timed tests.

Only the fee statements, of an association already in the database (seeded by bench/seed.py),
with the plan of the statement's one aggregate query on PostgreSQL:

    DATABASE_URL=postgres://postgres@127.0.0.1:5432/kp_bench .venv/bin/python bench/fees_and_imports.py --fees <slug> [--explain]
"""

import os
import statistics
import sys
import tempfile
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))
os.environ.setdefault("DATABASE_URL", f"sqlite:///{tempfile.mkdtemp()}/bench.sqlite3")
os.environ.setdefault("DEBUG", "true")
# The import files (8 MB per 100k dwellings, four per run) go to a throw-away folder.
os.environ.setdefault("MEDIA_ROOT", tempfile.mkdtemp())
os.environ.setdefault("DJANGO_SETTINGS_MODULE", "portal.settings")

import django

django.setup()

import datetime  # noqa: E402
from decimal import Decimal  # noqa: E402

from django.core.files.base import ContentFile  # noqa: E402
from django.core.management import call_command  # noqa: E402
from django.db import connection  # noqa: E402
from django.test.utils import CaptureQueriesContext  # noqa: E402

from contractors.fees import fee_lines  # noqa: E402
from contractors.models import Area, Contract, Contractor, PostcodeRule  # noqa: E402
from portal.models import Dwelling, ImportJob, Organisation  # noqa: E402
from portal.services import import_job_run  # noqa: E402


def timed(label: str, function):
    start = time.perf_counter()
    result = function()
    print(f"{label:<48} {time.perf_counter() - start:8.2f} s")
    return result


def import_timed(label: str, organisation: Organisation, text: str) -> None:
    """An import job run in this process: wall time, this process's CPU time (the rest is the
    database and waiting for a core), and what the job counted."""
    job = ImportJob.objects.create(
        organisation=organisation,
        kind="dwellings",
        file=ContentFile(text.encode(), name="bench.csv"),
    )
    start, cpu = time.perf_counter(), time.process_time()
    import_job_run(job_id=job.pk)
    wall, cpu = time.perf_counter() - start, time.process_time() - cpu
    job.refresh_from_db()
    print(
        f"{label:<48} {wall:8.2f} s  (cpu {cpu:.2f} s; {job.status}: {job.new_rows} new, "
        f"{job.updated_rows} changed, {job.skipped_rows} unchanged)"
    )


def main(count: int) -> None:
    call_command("migrate", verbosity=0)
    organisation, _ = Organisation.objects.get_or_create(
        slug=f"bench-{count}", defaults={"name": f"Benchmark {count}", "emergency_phone": "112"}
    )
    area, _ = Area.objects.get_or_create(organisation=organisation, name="Alles")
    PostcodeRule.objects.get_or_create(
        organisation=organisation, area=area, range_start=1000, range_end=9999, postcode=None
    )
    contractor, _ = Contractor.objects.get_or_create(
        kvk_number="99999999", defaults={"name": "Bench", "email": "b@b.nl", "phone": "1"}
    )
    Contract.objects.get_or_create(
        organisation=organisation,
        area=area,
        contractor=contractor,
        valid_from=datetime.date(2024, 1, 1),
        defaults={"fee_per_dwelling_year": Decimal("180.00")},
    )
    header = "vhe_nummer,straat,huisnummer,toevoeging,postcode,plaats,woningtype,in_bezit_vanaf,in_bezit_tot,leegstand"
    rows = [
        f"B{count}-{i:06d},Benchstraat,{i + 1},,{1000 + i % 8999}AB,Stad,TUS,2020-01-01,,nee"
        for i in range(count)
    ]
    # Every tenth dwelling moved to another postcode: the update path, and the stored areas.
    moved = [
        row.replace("AB,Stad", "CD,Stad") if i % 10 == 0 else row for i, row in enumerate(rows)
    ]
    held = Dwelling.objects.filter(organisation=organisation).count()
    if held:
        print(f"(the association already holds {held} dwellings: the first import updates)")
    for label, lines in (
        (f"import {count} dwellings (check + write)", rows),
        (f"import the same {count} again (all unchanged)", rows),
        (f"import {count} with every tenth moved", moved),
        (f"import {count} as at first (every tenth back)", rows),
    ):
        import_timed(label, organisation, "\n".join([header, *lines]))
    print(f"dwellings: {Dwelling.objects.filter(organisation=organisation).count()}")
    fee_statements(organisation)


def fee_statements(organisation: Organisation, explain: bool = False) -> None:
    """A month's and a year's statement: median of 5 runs, the queries each asks, and on
    PostgreSQL the plan of its aggregate (EXPLAIN ANALYZE, BUFFERS)."""
    dwellings = Dwelling.objects.filter(organisation=organisation).count()
    for label, start, end in (
        ("month", datetime.date(2026, 10, 1), datetime.date(2026, 10, 31)),
        ("year", datetime.date(2026, 1, 1), datetime.date(2026, 12, 31)),
    ):
        seconds = []
        for _run in range(5):
            with CaptureQueriesContext(connection) as queries:
                began = time.perf_counter()
                lines = fee_lines(organisation_id=organisation.pk, start=start, end=end)
                seconds.append(time.perf_counter() - began)
        statements = [query["sql"] for query in queries.captured_queries]
        aggregates = [sql for sql in statements if "GROUP BY" in sql]
        print(
            f"fee statement, one {label}, {dwellings} dwellings, {len(lines)} contracts: "
            f"p50 {statistics.median(seconds) * 1000:.0f} ms, max {max(seconds) * 1000:.0f} ms, "
            f"{len(statements)} queries, {len(aggregates)} aggregate"
        )
        if explain and connection.vendor == "postgresql":
            with connection.cursor() as cursor:
                for sql in aggregates:
                    cursor.execute(f"EXPLAIN (ANALYZE, BUFFERS) {sql}")
                    print("\n".join(f"    {row[0]}" for row in cursor.fetchall()))


if __name__ == "__main__":
    if "--fees" in sys.argv:
        slug = sys.argv[sys.argv.index("--fees") + 1]
        fee_statements(Organisation.objects.get(slug=slug), explain="--explain" in sys.argv)
    else:
        main(int(sys.argv[1]) if len(sys.argv) > 1 else 5000)
