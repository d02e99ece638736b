"""Writes of the chain contracts: dayparts and the slots made from weekly schedules."""

import datetime
from zoneinfo import ZoneInfo

from django.conf import settings
from django.db import transaction
from django.db.models import F
from django.utils import timezone

from .models import DEFAULT_DAYPARTS, Contractor, Daypart, Slot, WeeklySchedule

SLOT_WEEKS_AHEAD = 4


def local_datetime(date: datetime.date, time: datetime.time) -> datetime.datetime:
    """A wall-clock time in the portal's time zone (DST-correct), as an aware datetime."""
    return datetime.datetime.combine(date, time).replace(tzinfo=ZoneInfo(settings.TIME_ZONE))


@transaction.atomic
def daypart_defaults_ensure(*, contractor: Contractor) -> list[Daypart]:
    """Give a contractor the standard morning and afternoon if it has no dayparts yet."""
    for kind, (start, end) in DEFAULT_DAYPARTS.items():
        Daypart.objects.get_or_create(
            contractor=contractor, kind=kind, defaults={"start_time": start, "end_time": end}
        )
    return list(contractor.dayparts.all())


@transaction.atomic
def slots_generate(*, start: datetime.date | None = None, weeks: int = SLOT_WEEKS_AHEAD) -> int:
    """Turn every weekly schedule into slots for the coming weeks; existing slots stay as they
    are (bookings and single-day changes included), so running it again adds only new days."""
    start = start or timezone.localdate()
    dates = [start + datetime.timedelta(days=offset) for offset in range(weeks * 7)]
    slots = []
    for schedule in WeeklySchedule.objects.select_related("daypart").iterator(chunk_size=2000):
        for date in dates:
            if date.weekday() != schedule.weekday:
                continue
            slots.append(
                Slot(
                    organisation_id=schedule.organisation_id,
                    contractor_id=schedule.contractor_id,
                    area_id=schedule.area_id,
                    daypart_id=schedule.daypart_id,
                    date=date,
                    starts_at=local_datetime(date, schedule.daypart.start_time),
                    ends_at=local_datetime(date, schedule.daypart.end_time),
                    capacity=schedule.capacity,
                )
            )
    before = Slot.objects.filter(date__gte=start, date__lte=dates[-1]).count()
    Slot.objects.bulk_create(slots, ignore_conflicts=True, batch_size=1000)
    return Slot.objects.filter(date__gte=start, date__lte=dates[-1]).count() - before


def slot_for_contract(
    *, slot_id: int, contractor_id: int | None, area_id: int | None
) -> Slot | None:
    """The slot, if it is the given contractor's in the given area; None otherwise."""
    return (
        Slot.objects.select_related("daypart")
        .filter(pk=slot_id, contractor_id=contractor_id, area_id=area_id)
        .first()
    )


def slot_book_one(*, slot_id: int) -> bool:
    """Take one visit of a slot. The conditional UPDATE is the lock: a full slot is never
    overbooked, however many bookings arrive at once."""
    return bool(
        Slot.objects.filter(pk=slot_id, booked__lt=F("capacity")).update(booked=F("booked") + 1)
    )


def slot_release_one(*, slot_id: int) -> None:
    Slot.objects.filter(pk=slot_id, booked__gt=0).update(booked=F("booked") - 1)
