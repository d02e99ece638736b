"""A visit to record right away: for each demo contractor a planned visit in a daypart that has
begun today (before the day's first daypart: yesterday's last one), not yet recorded, with the
contractor's craftsman. The craftsman records it on their day list, and the contractor's
system through the API (`scripts/api-walkthrough run`), without any preparation.

A planner may not plan a daypart that has begun (slot_take), so the visit is written as the
planner's plan once made: a routed order and its visit (demo.records), one place taken in the
daypart's slot (slot_book_one). A contractor that has such a visit already gets none, so a
second run adds nothing."""

import datetime

from django.db import transaction
from django.db.models import F
from django.utils import timezone

from contractors.models import Contract, ContractorMembership, ContractorRole, Daypart, Slot
from contractors.services import local_datetime, slot_book_one
from portal.models import Dwelling
from repairs.lifecycle import Status
from repairs.models import Appointment, AppointmentStatus, RepairCategory, Responsibility

from .records import PastVisit, past_repair_write, slot_for

DESCRIPTION = "Kraan in de keuken lekt; de vakman komt vandaag."
SLOT_CAPACITY = 6


def due_daypart(dayparts: list[Daypart], now: datetime.datetime) -> tuple[datetime.date, Daypart]:
    """The latest daypart that has begun today, or yesterday's last one before the first."""
    today = timezone.localdate(now)
    begun = [d for d in dayparts if local_datetime(today, d.start_time) <= now]
    if begun:
        return today, max(begun, key=lambda d: d.start_time)
    return today - datetime.timedelta(days=1), max(dayparts, key=lambda d: d.start_time)


def demo_due_visits_write(now: datetime.datetime | None = None) -> int:
    """Write the due visit of every contractor that has none; returns how many were written."""
    now = now or timezone.now()
    today = timezone.localdate(now)
    written = 0
    contractor_ids = (
        Contract.objects.valid_on(today)
        .order_by("contractor_id")
        .values_list("contractor_id", flat=True)
        .distinct()
    )
    for contractor_id in list(contractor_ids):
        written += _due_visit_write(contractor_id, now)
    return written


@transaction.atomic
def _due_visit_write(contractor_id: int, now: datetime.datetime) -> int:
    dayparts = list(Daypart.objects.filter(contractor_id=contractor_id).order_by("start_time"))
    if not dayparts:
        return 0
    day, daypart = due_daypart(dayparts, now)
    # Recordable now: planned, not recorded, begun, and of the due daypart's day or later.
    due = Appointment.objects.filter(
        contractor_id=contractor_id,
        status=AppointmentStatus.PLANNED,
        recorded_at__isnull=True,
        starts_at__lte=now,
        starts_at__gte=local_datetime(day, datetime.time(0)),
    )
    if due.exists():
        return 0
    today = timezone.localdate(now)
    for contract in (
        Contract.objects.valid_on(today)
        .filter(contractor_id=contractor_id)
        .select_related("contractor")
        .order_by("pk")
    ):
        dwelling = (
            Dwelling.objects.filter(
                organisation_id=contract.organisation_id,
                area_link__area_id=contract.area_id,
                tenancies__tenant__isnull=False,
                tenancies__end_date__isnull=True,
            )
            .order_by("pk")
            .first()
        )
        category = (
            RepairCategory.objects.filter(
                organisation_id=contract.organisation_id,
                responsibility=Responsibility.LANDLORD,
                is_emergency=False,
                is_active=True,
            )
            .order_by("pk")
            .first()
        )
        if dwelling is None or category is None:
            continue
        slot = slot_for(contract, daypart, day, capacity=SLOT_CAPACITY)
        if not slot_book_one(slot_id=slot.pk):
            # a full daypart makes room for this one visit
            Slot.objects.filter(pk=slot.pk).update(
                capacity=F("capacity") + 1, booked=F("booked") + 1
            )
        tenancy = (
            dwelling.tenancies.filter(tenant__isnull=False, end_date__isnull=True)
            .select_related("tenant")
            .order_by("pk")
            .first()
        )
        repair_request = past_repair_write(
            contract=contract,
            dwelling=dwelling,
            tenancy=tenancy,
            category=category,
            reported_at=slot.starts_at - datetime.timedelta(days=2),
            description=DESCRIPTION,
            status=Status.SCHEDULED,
            visits=[PastVisit(date=day, daypart=daypart, status=AppointmentStatus.PLANNED)],
            slot_capacity=SLOT_CAPACITY,
        )
        people = {
            membership.role: membership.user_id
            for membership in ContractorMembership.objects.filter(
                contractor_id=contractor_id
            ).order_by("-pk")
        }
        Appointment.objects.filter(request=repair_request).update(
            booked_by_id=people.get(ContractorRole.PLANNER),
            craftsman_id=people.get(ContractorRole.CRAFTSMAN),
            created_at=repair_request.created_at,
        )
        return 1
    return 0
