"""Test data picked relative to now, for tests that cannot pin the clock.

The browser tests run on the demo data, which is made from the real "now" (or the session's
`--fixed-clock`); which dayparts a tenant may still move or cancel depends on the hour the
suite runs. A test that books a visit to move or cancel it later books one of these."""

import datetime

from django.db.models import QuerySet
from django.utils import timezone

from contractors.models import Slot
from contractors.services import local_datetime
from repairs.services import CHANGE_DEADLINE

# Time a test may take between choosing a daypart and moving or cancelling the visit: the
# daypart is still more than 24 hours ahead then, however slow the machine.
LEEWAY = datetime.timedelta(hours=1)


def changeable_from() -> datetime.datetime:
    """A visit that starts after this can be moved or cancelled for the coming hour at least."""
    return timezone.now() + CHANGE_DEADLINE + LEEWAY


def changeable_slots(slots: QuerySet[Slot]) -> QuerySet[Slot]:
    """The dayparts among `slots` more than 24 hours ahead, earliest first: a visit booked in
    one can still be moved or cancelled by the tenant."""
    return slots.filter(starts_at__gt=changeable_from()).order_by("starts_at", "pk")


def changeable_date(start_time: datetime.time) -> datetime.date:
    """The first date on which a daypart starting at `start_time` (Amsterdam time) is more than
    24 hours ahead: for a slot made by a factory for a visit the tenant may still change."""
    date = timezone.localdate() + datetime.timedelta(days=1)
    while local_datetime(date, start_time) <= changeable_from():
        date += datetime.timedelta(days=1)
    return date
