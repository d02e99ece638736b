"""A running project in the demo: new window frames and ventilation for about 40 homes of the
area of the demo tenant (huurder@example.nl), whose home is one of them, carried out by the
area's contractor. Capacity is reserved in the coming weeks, some tenants have booked a
visit, one visit is done, one tenant objected, one asked a question, the rest are invited;
so logging in as the demo tenant shows the project's booking page.

Written through the projects' own services (the done visit as a past order like the
history's). A second run finds the project and adds nothing."""

import datetime

from django.db import transaction
from django.utils import timezone

from contractors.models import Daypart
from contractors.routing import route
from contractors.services import local_datetime
from portal.models import Dwelling, Tenancy
from projects.models import DwellingStatus, Project, ProjectDwelling, ProjectKind, ProjectScope
from projects.services import (
    planned_work_category,
    project_capacity_reserve_free,
    project_dwellings_add,
    project_invite,
    project_respond,
    project_visit_book,
)
from repairs.models import MaintenanceKind, RepairRequest, VisitOutcome
from repairs.norms import end_of_day

from .records import PastVisit, past_repair_write

PROJECT_NAME = "Nieuwe kozijnen en ventilatie"
DEMO_TENANT = "huurder@example.nl"
PROJECT_SIZE = 40
STARTED_DAYS_AGO = 14
RUNS_DAYS = 42
# Places kept for the project in the coming weeks, and how many tenants booked one already.
RESERVED = 24
BOOKED = 12
LETTER = (
    "Beste bewoner,\n\n"
    "Dit voorjaar vervangen wij in uw straat de houten kozijnen door kunststof kozijnen met "
    "HR++ glas, en plaatsen wij een nieuw ventilatierooster in de woonkamer. Uw woning wordt "
    "daarmee warmer en stiller, en uw energierekening lager. De huur gaat niet omhoog.\n\n"
    "De aannemer heeft per woning ongeveer een dagdeel nodig. Kies hieronder een moment dat "
    "u past. Heeft u een vraag, of wilt u de werkzaamheden niet? Laat het ons weten."
)


@transaction.atomic
def demo_projects_write() -> int:
    """Write the demo project if it is missing; returns how many dwellings it holds."""
    if Project.objects.filter(name=PROJECT_NAME).exists():
        return 0
    tenancy = (
        Tenancy.objects.filter(tenant__email=DEMO_TENANT)
        .select_related("dwelling")
        .order_by("-start_date", "pk")
        .first()
    )
    today = timezone.localdate()
    contract = route(tenancy.dwelling, today) if tenancy is not None else None
    if contract is None:
        return 0
    home = tenancy.dwelling
    neighbours = list(
        Dwelling.objects.filter(
            organisation_id=home.organisation_id,
            area_link__area_id=contract.area_id,
            in_portfolio_until__isnull=True,
            is_vacant=False,
            tenancies__start_date__lte=today,
            tenancies__end_date__isnull=True,
        )
        .exclude(pk=home.pk)
        .order_by("postcode", "house_number", "house_number_suffix", "pk")
        .values_list("pk", flat=True)
        .distinct()[: PROJECT_SIZE - 1]
    )
    project = Project.objects.create(
        organisation_id=home.organisation_id,
        name=PROJECT_NAME,
        kind=ProjectKind.PROJECT,
        contract=contract,
        scope=ProjectScope.LIST,
        starts_on=today - datetime.timedelta(days=STARTED_DAYS_AGO),
        ends_on=today + datetime.timedelta(days=RUNS_DAYS),
        visit_minutes=180,
        letter=LETTER,
    )
    project_dwellings_add(
        project=project, dwellings=Dwelling.objects.filter(pk__in=[home.pk, *neighbours])
    )
    project_invite(project=project, now=timezone.now() - datetime.timedelta(days=10))
    project_capacity_reserve_free(project=project, limit=RESERVED)

    others = list(
        ProjectDwelling.objects.filter(project=project)
        .exclude(dwelling=home)
        .select_related("dwelling", "tenancy")
        .order_by("dwelling__postcode", "dwelling__house_number", "pk")
    )
    done, objected, asked, *rest = others
    _done_write(project, done, contract, today)
    project_respond(
        row=objected,
        kind="objection",
        text="Mijn kozijnen zijn drie jaar geleden al vervangen, op eigen kosten.",
        actor=None,
    )
    project_respond(
        row=asked,
        kind="question",
        text="Moet ik de gordijnen en de vensterbank zelf leeghalen?",
        actor=None,
    )
    for row in rest[:BOOKED]:
        reservation = next(
            (r for r in project.slots.order_by("slot__starts_at", "pk") if r.used < r.reserved),
            None,
        )
        if reservation is None:
            break
        project_visit_book(row=row, reservation_id=reservation.pk, actor=None)
    return project.dwellings.count()


def _done_write(project: Project, row: ProjectDwelling, contract, today: datetime.date) -> None:
    """The first visit, a week ago, done: a past order of the project's kind."""
    daypart = Daypart.objects.filter(contractor_id=contract.contractor_id).order_by("pk").first()
    visit_day = today - datetime.timedelta(days=7)
    recorded = local_datetime(visit_day, daypart.start_time) + datetime.timedelta(hours=3)
    order = past_repair_write(
        contract=contract,
        dwelling=row.dwelling,
        tenancy=row.tenancy,
        category=planned_work_category(project),
        reported_at=local_datetime(visit_day - datetime.timedelta(days=3), datetime.time(10)),
        description=project.name,
        completed_at=recorded,
        first_time_fix=True,
        visits=[
            PastVisit(
                date=visit_day, daypart=daypart, outcome=VisitOutcome.FIXED, recorded_at=recorded
            )
        ],
    )
    RepairRequest.objects.filter(pk=order.pk).update(
        maintenance_kind=MaintenanceKind.PROJECT,
        visit_due_at=None,
        complete_due_at=end_of_day(project.ends_on),
    )
    ProjectDwelling.objects.filter(pk=row.pk).update(status=DwellingStatus.DONE, request=order)
