"""The demo's renovation project: about 40 homes around the demo tenant's, with capacity kept
in the coming weeks and progress in every state; a second run adds nothing."""

import io

import pytest
from django.core.management import call_command
from django.urls import reverse
from django.utils import timezone

from demo.projects import DEMO_TENANT, PROJECT_NAME
from portal.models import Tenancy
from projects.models import DwellingStatus, Project, ProjectDwelling, ProjectSlot
from repairs.lifecycle import Status
from repairs.models import MaintenanceKind

pytestmark = pytest.mark.django_db


def run_demo_data() -> str:
    out = io.StringIO()
    call_command("demo_data", stdout=out)
    return out.getvalue()


def test_the_demo_has_a_running_project_with_progress_in_every_state(client):
    # when the demo data is written twice
    run_demo_data()
    counts = {
        "dwellings": ProjectDwelling.objects.count(),
        "reservations": list(ProjectSlot.objects.order_by("pk").values("reserved", "used")),
    }
    output = run_demo_data()

    # then one running project, unchanged by the second run
    project = Project.objects.with_progress().get(name=PROJECT_NAME)
    assert Project.objects.count() == 1
    assert "Dwellings in the demo project: 0" in output
    assert counts == {
        "dwellings": ProjectDwelling.objects.count(),
        "reservations": list(ProjectSlot.objects.order_by("pk").values("reserved", "used")),
    }
    today = timezone.localdate()
    assert project.starts_on < today < project.ends_on
    assert project.closed_at is None
    assert 35 <= project.dwellings.count() <= 40

    # and progress in each state: booked, one done, one objected, the rest invited
    assert project.invited_count == project.dwellings.count()
    assert project.booked_count >= 5
    assert project.done_count == 1
    assert project.objected_count == 1
    assert project.no_answer_count >= 10
    booked = ProjectDwelling.objects.filter(status=DwellingStatus.BOOKED).select_related("request")
    assert {row.request.maintenance_kind for row in booked} == {MaintenanceKind.PROJECT}
    assert {row.request.status for row in booked} == {Status.SCHEDULED}
    done = ProjectDwelling.objects.select_related("request").get(status=DwellingStatus.DONE)
    assert done.request.status == Status.COMPLETED
    # capacity kept in the coming weeks, partly used
    reservations = ProjectSlot.objects.select_related("slot")
    assert reservations.exists()
    assert all(r.slot.date > today for r in reservations)
    assert sum(r.reserved - r.used for r in reservations) > 0

    # and the demo tenant's home is in it, waiting for their choice
    tenancy = Tenancy.objects.filter(tenant__email=DEMO_TENANT).order_by("-start_date").first()
    row = ProjectDwelling.objects.get(project=project, dwelling=tenancy.dwelling)
    assert row.status == DwellingStatus.INVITED
    client.force_login(tenancy.tenant)
    repairs_page = client.get(reverse("my_repairs"))
    assert reverse("project_page", args=[project.pk]) in repairs_page.text
    page = client.get(reverse("project_page", args=[project.pk]))
    assert page.status_code == 200
    assert 'type="radio"' in page.text
