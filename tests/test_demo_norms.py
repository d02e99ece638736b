"""The demo shows a request past its deadline: Kees de Wit's ventilation, in the planner of
Bouwbedrijf Hermans's list "Te laat", and the escalation mails that planner about it."""

import io

import pytest
from django.core.management import call_command
from django.test import Client
from django.urls import reverse
from django.utils import timezone

from repairs.models import RepairRequest
from repairs.tasks import late_requests_escalate

pytestmark = [pytest.mark.django_db, pytest.mark.clock]

PLANNER = "planner@bouwbedrijfhermans.nl"


@pytest.fixture
def demo():
    call_command("demo_data", stdout=io.StringIO())


def test_the_demo_planner_has_a_late_request_and_hears_of_it(demo, mailoutbox):
    # the demo's reports lie in this year: in its first weeks none can be late yet
    if timezone.localdate().timetuple().tm_yday <= 21:
        pytest.skip("the demo's reports lie in this year; too early in the year for a late one")
    late = RepairRequest.objects.get(
        tenancy__tenant__email="huurder2@example.nl",
        category__name_nl="Mechanische ventilatie maakt lawaai",
        status="scheduled",
    )
    client = Client(HTTP_ACCEPT_LANGUAGE="nl")
    client.force_login(late.contractor.memberships.get(user__email=PLANNER).user)

    # the planner's list "Te laat" shows it
    response = client.get(reverse("work_queue", args=["late"]))
    assert response.status_code == 200
    assert [item.reference for item in response.context["page"]] == [late.reference]
    assert "Te laat" in response.content.decode()

    # and the periodic escalation mails the planner about it, once
    assert late_requests_escalate() >= 1
    assert late_requests_escalate() == 0
    mails = [mail for mail in mailoutbox if late.reference in mail.subject]
    assert len(mails) == 1
    assert PLANNER in mails[0].to
