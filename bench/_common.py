"""What every bench script shares: the environment, the database to work in, Django set-up.

The scripts run against the database named by DATABASE_URL (default: kp_bench on the local
PostgreSQL) with production-like settings (DEBUG off) from bench/settings.py, which adds a bare
view to the portal's URLs and lets the portal run over plain http on the loopback.
"""

import os
import sys
import time
from contextlib import contextmanager
from pathlib import Path
from urllib.parse import urlsplit, urlunsplit

ROOT = Path(__file__).absolute().parent.parent
OUT = ROOT / "var" / "bench"
DEFAULT_DATABASE_URL = "postgres://postgres@127.0.0.1:5432/kp_bench"
DEFAULT_REDIS_URL = "redis://127.0.0.1:6379/9"
# Every seeded login has this password (one hash for all, so seeding does not hash 50k times).
BENCH_PASSWORD = "Bench-Lekkende-Kraan-2026"  # noqa: S105 - a benchmark database only

BENCH_ENV = {
    "DJANGO_SETTINGS_MODULE": "bench.settings",
    "DEBUG": "false",
    "SECRET_KEY": "bench-only-secret-key-0123456789-abcdefghijklmnopqrstuvwxyz",
    "ALLOWED_HOSTS": "127.0.0.1,localhost,testserver",
    "REDIS_URL": DEFAULT_REDIS_URL,
    "SECURE_SSL_REDIRECT": "false",
    "SECURE_COOKIES": "false",
    "SECURE_HSTS_SECONDS": "0",
    "LOG_LEVEL": "WARNING",
}


def environment(database_url: str | None = None) -> dict[str, str]:
    """Set (without overriding what the caller set) the bench environment; return it."""
    if str(ROOT) not in sys.path:
        sys.path.insert(0, str(ROOT))
    for key, value in BENCH_ENV.items():
        os.environ.setdefault(key, value)
    if database_url:
        os.environ["DATABASE_URL"] = database_url
    os.environ.setdefault("DATABASE_URL", DEFAULT_DATABASE_URL)
    return {key: os.environ[key] for key in [*BENCH_ENV, "DATABASE_URL"]}


def with_database_name(url: str, name: str) -> str:
    parts = urlsplit(url)
    return urlunsplit((parts.scheme, parts.netloc, f"/{name}", parts.query, parts.fragment))


def database_name(url: str) -> str:
    return urlsplit(url).path.lstrip("/")


def _maintenance_connection(url: str):
    import psycopg

    return psycopg.connect(with_database_name(url, "postgres"), autocommit=True)


def database_exists(url: str) -> bool:
    with _maintenance_connection(url) as connection:
        return (
            connection.execute(
                "SELECT 1 FROM pg_database WHERE datname = %s", [database_name(url)]
            ).fetchone()
            is not None
        )


def database_ensure(url: str, *, reset: bool = False) -> bool:
    """Create the database if it is missing (drop it first with reset); True if created."""
    from psycopg import sql

    name = database_name(url)
    if not name.startswith(("kp_bench", "bench")) and reset:
        raise SystemExit(
            f"Refusing to drop {name!r}: only kp_bench* or bench* databases are reset."
        )
    with _maintenance_connection(url) as connection:
        exists = (
            connection.execute("SELECT 1 FROM pg_database WHERE datname = %s", [name]).fetchone()
            is not None
        )
        if exists and reset:
            connection.execute(
                "SELECT pg_terminate_backend(pid) FROM pg_stat_activity "
                "WHERE datname = %s AND pid <> pg_backend_pid()",
                [name],
            )
            connection.execute(sql.SQL("DROP DATABASE {}").format(sql.Identifier(name)))
            exists = False
        if not exists:
            connection.execute(sql.SQL("CREATE DATABASE {}").format(sql.Identifier(name)))
            return True
    return False


def django_setup(database_url: str | None = None) -> None:
    environment(database_url)
    import django

    django.setup()


@contextmanager
def timed(label: str, timings: dict | None = None, *, quiet: bool = False):
    start = time.perf_counter()
    yield
    seconds = time.perf_counter() - start
    if timings is not None:
        timings[label] = round(seconds, 2)
    if not quiet:
        print(f"  {label:<52} {seconds:8.1f} s", flush=True)


def load_average() -> str:
    try:
        return " ".join(f"{value:.2f}" for value in os.getloadavg())
    except OSError:
        return "?"


def git_commit() -> str:
    """The commit measured: BENCH_COMMIT when set (a run from an exported tree), else git's."""
    if os.environ.get("BENCH_COMMIT"):
        return os.environ["BENCH_COMMIT"]
    import shutil
    import subprocess

    try:
        return subprocess.run(  # noqa: S603 - git, fixed arguments
            [shutil.which("git") or "/usr/bin/git", "log", "--oneline", "-1"],
            cwd=ROOT,
            capture_output=True,
            text=True,
            check=True,
        ).stdout.strip()
    except (OSError, subprocess.CalledProcessError):
        return "?"


def percentile(values: list[float], fraction: float) -> float | None:
    """Linear-interpolated percentile (as numpy's default), None for no values."""
    if not values:
        return None
    ordered = sorted(values)
    position = (len(ordered) - 1) * fraction
    lower = int(position)
    upper = min(lower + 1, len(ordered) - 1)
    return ordered[lower] + (ordered[upper] - ordered[lower]) * (position - lower)


def static_ensure() -> None:
    """Collect static files for DEBUG-off runs (the manifest storage needs its manifest)."""
    from django.conf import settings
    from django.core.management import call_command

    manifest = Path(settings.STATIC_ROOT) / "staticfiles.json"
    collected = manifest.stat().st_mtime if manifest.exists() else 0.0
    # again when a file was added or changed since (a page would fail on its missing entry)
    newest = max(
        (
            path.stat().st_mtime
            for directory in settings.STATICFILES_DIRS
            for path in Path(directory).rglob("*")
            if path.is_file()
        ),
        default=0.0,
    )
    if newest > collected:
        call_command("collectstatic", interactive=False, verbosity=0)
