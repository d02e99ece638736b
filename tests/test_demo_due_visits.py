"""The demo's visits to record right away (demo.due_visits): at any time of day each demo
contractor has a planned visit in a daypart that has begun (before the first daypart of the
day: yesterday's last), not yet recorded, that its craftsman may record now; the slot counts
it; a second run adds nothing."""

import datetime
import io
import zoneinfo

import pytest
import time_machine
from django.core.management import call_command
from django.db.models import Count, Q
from django.utils import timezone

from contractors.models import Contract, Slot
from demo.due_visits import demo_due_visits_write
from repairs.lifecycle import Status
from repairs.models import Appointment, AppointmentStatus, VisitOutcome
from repairs.services.visits import visit_record

AMSTERDAM = zoneinfo.ZoneInfo("Europe/Amsterdam")
DAY = datetime.date(2026, 12, 2)  # a Wednesday


def recordable(now: datetime.datetime):
    return Appointment.objects.filter(
        status=AppointmentStatus.PLANNED,
        recorded_at__isnull=True,
        starts_at__lte=now,
        starts_at__gte=now - datetime.timedelta(days=1, hours=12),
    )


@pytest.mark.django_db
@pytest.mark.parametrize(
    "clock, day_of_visit",
    [
        (datetime.time(7), DAY - datetime.timedelta(days=1)),
        (datetime.time(13), DAY),
        (datetime.time(23, 30), DAY),
    ],
)
def test_each_contractor_has_a_visit_to_record_now(clock, day_of_visit):
    now = datetime.datetime.combine(DAY, clock, tzinfo=AMSTERDAM)
    with time_machine.travel(now, tick=False):
        # given the demo
        call_command("demo_data", stdout=io.StringIO())
        contractors = set(Contract.objects.valid_on(DAY).values_list("contractor_id", flat=True))
        assert contractors
        # then each contractor has a planned visit that has begun, with its craftsman
        due = recordable(now).select_related("request", "slot", "craftsman")
        assert {visit.contractor_id for visit in due} >= contractors
        for visit in due:
            assert visit.request.status == Status.SCHEDULED
            assert timezone.localtime(visit.starts_at).date() <= DAY
        written = [v for v in due if v.request.description.startswith("Kraan in de keuken")]
        assert written
        assert {v.contractor_id for v in written} <= contractors
        for visit in written:
            assert timezone.localtime(visit.starts_at).date() == day_of_visit
            assert visit.craftsman is not None
        # and every slot counts the visits that take a place in it
        slots = Slot.objects.annotate(
            visits=Count(
                "appointments",
                filter=Q(appointments__status=AppointmentStatus.PLANNED),
            )
        ).filter(pk__in=[v.slot_id for v in written])
        for slot in slots:
            assert slot.booked >= slot.visits
            assert slot.booked <= slot.capacity

        # when the demo runs again, nothing is added
        visits = Appointment.objects.count()
        assert demo_due_visits_write() == 0
        call_command("demo_data", stdout=io.StringIO())
        assert Appointment.objects.count() == visits

        # and the craftsman records one right away
        visit = written[0] if written else due[0]
        visit_record(appointment=visit, outcome=VisitOutcome.FIXED, actor=visit.craftsman)
        visit.request.refresh_from_db()
        assert visit.request.status == Status.COMPLETED
