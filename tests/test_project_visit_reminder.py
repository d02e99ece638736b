"""The day-before reminder of a project visit names the work, not a repair."""

import datetime

import pytest
from django.utils import timezone

from portal.models import Dwelling
from projects import services
from projects.models import Project, ProjectDwelling, ProjectScope
from repairs import tasks
from repairs.models import MaintenanceKind

pytestmark = pytest.mark.django_db


def test_the_reminder_of_a_project_visit_names_the_work(now, chain, time_machine, mailoutbox):
    # given a tenant who booked a visit of a project three days ahead
    today = timezone.localdate()
    project = Project.objects.create(
        organisation=chain.organisation,
        name="Nieuwe kozijnen Kerkstraat",
        kind=MaintenanceKind.PLANNED,
        contract=chain.contract,
        scope=ProjectScope.LIST,
        starts_on=today,
        ends_on=today + datetime.timedelta(days=40),
        visit_minutes=120,
        letter="Wij vervangen de kozijnen.",
    )
    services.project_dwellings_add(
        project=project, dwellings=Dwelling.objects.filter(pk=chain.dwelling.pk)
    )
    services.project_invite(project=project)
    slot = chain.slot(days=3, capacity=5)
    reservation = services.project_capacity_reserve(project=project, slot=slot, visits=1)
    order = services.project_visit_book(
        row=ProjectDwelling.objects.get(project=project, dwelling=chain.dwelling),
        reservation_id=reservation.pk,
        actor=chain.tenant,
    )
    mailoutbox.clear()

    # when the reminders run on the evening before the visit
    evening = timezone.localtime(slot.starts_at).replace(hour=19, minute=0) - datetime.timedelta(
        days=1
    )
    time_machine.move_to(evening, tick=True)
    assert tasks.appointment_reminders_send.delay().get() == 1

    # then the tenant reads what the visit is for, not "repair"
    (mail,) = mailoutbox
    assert mail.subject == f"Tomorrow: visit for {order.description} ({order.reference})"
    assert f"comes for {order.description} ({order.reference})" in mail.body
    assert "repair" not in mail.body.lower()
