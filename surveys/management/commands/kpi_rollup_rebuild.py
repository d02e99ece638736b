"""Compute the monthly KPI rollup again: every month with data, or the months since one."""

import datetime

from django.core.management.base import BaseCommand, CommandError

from surveys.rollup import kpi_rollup_rebuild


def _month(value: str) -> datetime.date:
    try:
        return datetime.date.fromisoformat(f"{value}-01")
    except ValueError:
        raise CommandError(f"--since={value}: give a month as YYYY-MM, e.g. 2026-01") from None


class Command(BaseCommand):
    help = "Compute the monthly KPI rollup again (every month with data, or since --since)."

    def add_arguments(self, parser) -> None:
        parser.add_argument(
            "--since", type=_month, default=None, help="first month to compute, as YYYY-MM"
        )

    def handle(self, *args, since: datetime.date | None = None, **options) -> None:
        result = kpi_rollup_rebuild(since=since)
        self.stdout.write(f"KPI rollup: {result['rows']} rows in {result['months']} months.")
