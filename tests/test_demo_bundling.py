"""The demo's combined visits (demo.bundling): the demo tenant is offered to combine a new
report with a planned visit, their contractor's planner sees a bundle suggestion, and the
KPI dashboard shows visits saved; a second run adds nothing."""

import datetime
import io

import pytest
from django.core.management import call_command
from django.test import Client
from django.urls import reverse
from django.utils import timezone

from contractors.models import ContractorRole
from contractors.routing import route
from portal.models import Tenancy, User
from portal.scoping import ALL_ASSOCIATIONS
from repairs.models import Appointment, RepairCategory
from surveys.kpis import months_back, visits_saved_rows

DEMO_TENANT = "huurder@example.nl"


def english(user) -> Client:
    client = Client(HTTP_ACCEPT_LANGUAGE="en")
    client.force_login(user)
    return client


@pytest.mark.django_db
def test_the_demo_shows_the_offer_the_suggestion_and_visits_saved():
    # given the demo
    call_command("demo_data", stdout=io.StringIO())
    tenant = User.objects.get(email=DEMO_TENANT)
    tenancy = Tenancy.objects.select_related("dwelling").get(tenant=tenant, end_date=None)
    contract = route(tenancy.dwelling, timezone.localdate())

    # then reporting another repair offers a visit planned at least 5 days ahead
    category = (
        RepairCategory.objects.filter(
            organisation_id=tenancy.organisation_id,
            is_emergency=False,
            responsibility="landlord",
            is_active=True,
        )
        .order_by("pk")
        .first()
    )
    page = english(tenant).get(reverse("report_category", args=[category.pk]))
    assert "Combine with your visit on" in page.content.decode()
    planned = Appointment.objects.filter(
        request__dwelling=tenancy.dwelling,
        contractor_id=contract.contractor_id,
        status="planned",
        shared_visit__isnull=True,
        starts_at__gte=timezone.now() + datetime.timedelta(days=5),
    )
    assert planned.exists()

    # and their contractor's planner sees a bundle suggestion in the planned work
    planner = User.objects.filter(
        contractor_membership__contractor_id=contract.contractor_id,
        contractor_membership__role=ContractorRole.PLANNER,
    ).first()
    queue = english(planner).get(reverse("work_queue", args=["planned"])).content.decode()
    assert "Combine:" in queue

    # and the KPI counts past visits saved at every association
    start, end = months_back(timezone.localdate(), 12)
    rows = visits_saved_rows(organisation_ids=ALL_ASSOCIATIONS, start=start, end=end)
    saved = {}
    for row in rows:
        saved[row["organisation"]] = saved.get(row["organisation"], 0) + row["saved"]
    assert saved == {"Woonstichting De Kempen": 4, "Woonbron Maasoever": 4}
    for rider in Appointment.objects.filter(shared_visit__isnull=False).select_related(
        "shared_visit"
    ):
        assert rider.slot_id == rider.shared_visit.slot_id
        assert rider.request.dwelling_id == rider.shared_visit.request.dwelling_id

    # when the demo runs again, then it adds no visit
    visits = Appointment.objects.count()
    call_command("demo_data", stdout=io.StringIO())
    assert Appointment.objects.count() == visits
