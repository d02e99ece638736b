"""Fill an empty database with a demo of the chain; a second run finds everything and adds nothing.

Everything is drawn from one seeded random generator, so every install gets the same
associations, dwellings, tenancies and logins (`demo.world`, `demo.plan`); `demo.build`
writes what is missing and `demo_history` adds a year of completed repairs.
"""

from django.core.management import call_command
from django.core.management.base import BaseCommand
from django.db import transaction

from contractors.services import slots_generate
from demo.build import demo_world_write, summary_write, visits_plan
from demo.bundling import demo_bundling_write
from demo.due_visits import demo_due_visits_write
from demo.intake import demo_intake_write
from demo.privacy import demo_privacy_write
from demo.projects import demo_projects_write
from demo.scorecard import demo_scorecard_write
from portal.celery import app as celery_app


class Command(BaseCommand):
    help = (
        "Fill an empty database with demo associations, areas, contractors, dwellings, "
        "tenancies, logins and repair history. Safe to run again: it adds nothing twice."
    )

    def handle(self, *args, **options) -> None:
        # Seeding runs Celery tasks in-process, so no broker needs to be running.
        was_eager = celery_app.conf.task_always_eager
        celery_app.conf.task_always_eager = True
        try:
            with transaction.atomic():
                created, to_plan = demo_world_write()
        finally:
            celery_app.conf.task_always_eager = was_eager
        # A year of completed repairs with survey answers, for the KPI dashboard.
        call_command("demo_history", stdout=self.stdout)
        # A common-area order and vacant-home orders, turned from history rows.
        turned = demo_intake_write()
        self.stdout.write(f"Common-area and vacant-home orders: {turned}")
        # A former tenancy past its retention, with its repairs, anonymised (AVG).
        former = demo_privacy_write()
        if former is not None:
            self.stdout.write(f"Tenancy anonymised after its retention: {former.contract_number}")
        slots = slots_generate()
        self.stdout.write(f"Bookable slots added for the coming weeks: {slots}")
        if to_plan:
            celery_app.conf.task_always_eager = True
            try:
                planned = visits_plan(to_plan)
            finally:
                celery_app.conf.task_always_eager = was_eager
            self.stdout.write(f"Visits planned by the contractors' planners: {planned}")
        # A running renovation project around the demo tenant's home, on reserved capacity.
        self.stdout.write(f"Dwellings in the demo project: {demo_projects_write()}")
        # A visit to combine a new report with, and past jobs done at another's visit.
        self.stdout.write(f"Combined visits: {demo_bundling_write()}")
        # The area scorecard: neighbourhoods on dwellings and SROI, targets on the contracts.
        self.stdout.write(f"Area scorecard: {demo_scorecard_write()}")
        # A visit of a daypart that has begun, for each contractor to record right away.
        self.stdout.write(f"Visits to record now: {demo_due_visits_write()}")
        summary_write(self.stdout, self.style, created)
