"""The planner's capacity: weekly schedules per area and daypart, and single days."""

import datetime

from django.db import transaction
from django.db.models import F, IntegerField, OuterRef, Subquery, Sum
from django.db.models.functions import Coalesce
from django.http import Http404
from django.utils import timezone
from django.utils.translation import gettext as _
from django.utils.translation import ngettext

from portal.errors import ApplicationError

from .models import Area, Contract, ContractorMembership, Daypart, Slot, WeeklySchedule
from .services import slots_generate


class CapacityBelowBooked(ApplicationError):
    """Shrinking a day below what is booked; extra['slots'] lists the slots concerned."""


def areas_of(*, contractor_id: int, on_date: datetime.date):
    """The areas the contractor holds a contract for on that date, in every association."""
    return (
        Area.objects.filter(
            pk__in=Contract.objects.valid_on(on_date)
            .filter(contractor_id=contractor_id)
            .values("area_id")
        )
        .select_related("organisation")
        .order_by("organisation__name", "name")
    )


def area_for_planner(*, membership: ContractorMembership, area_id: int) -> Area:

    area = (
        areas_of(contractor_id=membership.contractor_id, on_date=timezone.localdate())
        .filter(pk=area_id)
        .first()
    )
    if area is None:
        raise Http404
    return area


@transaction.atomic
def weekly_schedule_set(
    *, contractor_id: int, area: Area, capacities: dict[tuple[int, int], int]
) -> dict[str, int]:
    """Set the visits per weekday and daypart; future slots follow where their bookings allow.

    capacities maps (weekday, daypart id) to the number of visits (0 removes the daypart)."""
    dayparts = {d.pk: d for d in Daypart.objects.filter(contractor_id=contractor_id)}
    schedules = WeeklySchedule.objects.filter(contractor_id=contractor_id, area=area)
    previous = {(s.weekday, s.daypart_id): s.capacity for s in schedules}
    for (weekday, daypart_id), capacity in capacities.items():
        if daypart_id not in dayparts:
            raise ApplicationError(_("Unknown daypart."))
        if capacity:
            WeeklySchedule.objects.update_or_create(
                contractor_id=contractor_id,
                area=area,
                weekday=weekday,
                daypart_id=daypart_id,
                defaults={"organisation_id": area.organisation_id, "capacity": capacity},
            )
        else:
            WeeklySchedule.objects.filter(
                contractor_id=contractor_id, area=area, weekday=weekday, daypart_id=daypart_id
            ).delete()
    tomorrow = timezone.localdate() + datetime.timedelta(days=1)
    kept = 0
    updated = 0
    for slot in Slot.objects.filter(contractor_id=contractor_id, area=area, date__gte=tomorrow):
        key = (slot.date.weekday(), slot.daypart_id)
        wanted = capacities.get(key)
        if wanted is None or wanted == slot.capacity:
            continue
        if slot.note or slot.capacity != previous.get(key, 0):
            # a day closed or shrunk by hand (holiday, sick leave) keeps its own size
            continue
        if wanted < slot.booked:
            kept += 1
            continue
        Slot.objects.filter(pk=slot.pk, booked__lte=wanted).update(capacity=wanted)
        updated += 1
    slots_generate(start=tomorrow)
    return {"updated": updated, "kept": kept}


@transaction.atomic
def slot_capacity_set(*, slot_id: int, contractor_id: int, capacity: int, note: str = "") -> Slot:
    """Shrink, enlarge or close (0) one daypart on one date; below its bookings is refused."""
    slot = Slot.objects.select_for_update().get(pk=slot_id, contractor_id=contractor_id)
    if capacity < slot.booked:
        visits = list(
            slot.appointments.filter(status="planned")
            .select_related("request__dwelling")
            .order_by("pk")
        )
        raise CapacityBelowBooked(
            ngettext(
                "%(count)d visit is booked in this daypart: move it first.",
                "%(count)d visits are booked in this daypart: move these first.",
                slot.booked,
            )
            % {"count": slot.booked},
            extra={"visits": visits},
        )
    updated = Slot.objects.filter(pk=slot.pk, booked__lte=capacity).update(
        capacity=capacity, note=note
    )
    if not updated:
        raise CapacityBelowBooked(_("A visit was booked meanwhile. Look again."))
    slot.refresh_from_db()
    return slot


def slot_overview(*, contractor_id: int, area: Area, start: datetime.date, days: int = 14):
    """The coming dayparts with their free places and `kept_for_projects`: the places of
    `booked` that projects keep for their tenants and no tenant has taken yet (read through
    the reverse relation of the projects' reservations, in the same query)."""
    kept = (
        Slot.objects.filter(pk=OuterRef("pk"))
        .annotate(
            kept=Sum(
                F("project_reservations__reserved") - F("project_reservations__used"),
                output_field=IntegerField(),
            )
        )
        .values("kept")
    )
    return (
        Slot.objects.filter(
            contractor_id=contractor_id,
            area=area,
            date__gte=start,
            date__lt=start + datetime.timedelta(days=days),
        )
        .select_related("daypart")
        .annotate(
            free_visits=F("capacity") - F("booked"),
            kept_for_projects=Coalesce(Subquery(kept, output_field=IntegerField()), 0),
        )
        .order_by("starts_at")
    )


def dayparts_of(*, contractor_id: int) -> list[Daypart]:
    return list(Daypart.objects.filter(contractor_id=contractor_id).order_by("start_time"))
