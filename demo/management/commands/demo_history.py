"""A year of completed repairs with visits and survey answers, so the KPI dashboard shows
trends on first run (`demo.history`); run by demo_data."""

from django.core.management.base import BaseCommand

from demo.history import demo_history_write
from surveys.rollup import kpi_rollup_rebuild


class Command(BaseCommand):
    help = "Add a year of completed repairs with visits and survey answers (demo only)."

    def handle(self, *args, **options) -> None:
        written = demo_history_write()
        self.stdout.write(f"Demo history: {written} completed repairs with visits and answers.")
        if written:
            # Written in bulk, past the services: the dashboard's monthly rollup is computed
            # anew (a second run adds nothing and leaves it as it is).
            result = kpi_rollup_rebuild()
            self.stdout.write(f"KPI rollup: {result['rows']} rows in {result['months']} months.")
