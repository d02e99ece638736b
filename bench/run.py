"""Run the whole harness in one go; in CI at 1/1000 of the reference size as a smoke test.

    .venv/bin/python bench/run.py --scale 0.001 --quick

Seeds a separate database anew ($BENCH_SMOKE_DB, default kp_bench_smoke, on the server of
$DATABASE_URL, default the local PostgreSQL; Redis db 9 unless $BENCH_REDIS_URL), then runs the
page runner briefly, a 10-second load at 5 req/s with a short ratio run, the survey
dispatch rate and the API's order list and booking (api.py). Exits non-zero if any step
fails (an error, a non-200 page, a failed request, an invitation not sent exactly once, an
API answer not as expected); slow pages or sequential scans do not fail it.

Without --quick it runs the full measurements (20 runs per page, 60 s at 20 req/s, ratio,
saturation, 3000 invitations); with --no-seed on a database seeded before, e.g.
    .venv/bin/python bench/run.py --database kp_bench --no-seed
"""

import argparse
import os
import subprocess
import sys
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).absolute().parent.parent))

from bench._common import (
    DEFAULT_DATABASE_URL,
    DEFAULT_REDIS_URL,
    OUT,
    ROOT,
    load_average,
    with_database_name,
)


def parse_args(argv=None):
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--scale", type=float, default=0.001, help="seed size (default 1/1000)")
    parser.add_argument("--quick", action="store_true", help="short runs: the CI smoke test")
    parser.add_argument(
        "--database",
        default=os.environ.get("BENCH_SMOKE_DB", "kp_bench_smoke"),
        help="database name (default $BENCH_SMOKE_DB or kp_bench_smoke)",
    )
    parser.add_argument("--no-seed", action="store_true", help="use the database as it is")
    return parser.parse_args(argv)


def main(argv=None) -> int:
    args = parse_args(argv)
    url = with_database_name(os.environ.get("DATABASE_URL", DEFAULT_DATABASE_URL), args.database)
    env = {
        **os.environ,
        "DATABASE_URL": url,
        "REDIS_URL": os.environ.get("BENCH_REDIS_URL", DEFAULT_REDIS_URL),
    }
    python = sys.executable
    bench = ROOT / "bench"
    OUT.mkdir(parents=True, exist_ok=True)
    steps: list[tuple[str, list[str], int]] = []
    if not args.no_seed:
        seed = [python, str(bench / "seed.py"), "--reset"]
        if args.scale != 1:
            seed += ["--scale", str(args.scale)]
        steps.append(("seed", seed, 1800))
    if args.quick:
        steps += [
            ("pages", [python, str(bench / "pages.py"), "--runs", "3", "--max-seconds", "5"], 600),
            ("load", [python, str(bench / "load.py"), "--quick"], 600),
            ("dispatch", [python, str(bench / "dispatch.py"), "--count", "50"], 300),
            ("api", [python, str(bench / "api.py"), "--quick"], 300),
        ]
    else:
        steps += [
            ("pages", [python, str(bench / "pages.py"), "--json", str(OUT / "pages.json")], 3600),
            ("load", [python, str(bench / "load.py"), "--saturation", "--allow-errors"], 3600),
            ("dispatch", [python, str(bench / "dispatch.py")], 1800),
            ("api", [python, str(bench / "api.py"), "--json", str(OUT / "api.json")], 1800),
        ]
    results = []
    for name, command, timeout in steps:
        print(f"\n== {name}: {' '.join(command[1:])}", flush=True)
        started = time.perf_counter()
        try:
            done = subprocess.run(  # noqa: S603 - our own interpreter and scripts
                command, env=env, cwd=ROOT, timeout=timeout, check=False
            )
            code = done.returncode
        except subprocess.TimeoutExpired:
            code = "timeout"
        results.append((name, code, time.perf_counter() - started))
    print(f"\n== bench on {args.database} (load {load_average()})")
    for name, code, seconds in results:
        print(f"  {name:<10} {'ok' if code == 0 else f'FAILED ({code})':<16} {seconds:7.1f} s")
    return 0 if all(code == 0 for _name, code, _s in results) else 1


if __name__ == "__main__":
    sys.exit(main())
