"""What a tenant may combine a new report with: the planned visits of the dwelling's
contractor in the coming weeks (a project's or planned maintenance visit too), and the
dwelling's open jobs of that contractor still waiting for a visit. Read by the dwelling's
requests (request_dwelling_created), so a handful of rows whatever the table's size."""

import datetime

from django.db.models import QuerySet
from django.utils import timezone

from portal.access import CHANGE_DEADLINE

from .lifecycle import OPEN_STATUSES
from .models import Appointment, AppointmentStatus, RepairRequest
from .selectors import waiting_for_a_visit
from .services.appointments import COMBINE_WITHIN


def combinable_visits(
    *, dwelling_id: int, contractor_id: int, now: datetime.datetime | None = None
) -> QuerySet[Appointment]:
    """The dwelling's planned visits of the contractor a tenant may add a job to: from 24
    hours (the tenant's rule for changing a visit) to COMBINE_WITHIN ahead, earliest first;
    a visit that rides along on another is not offered, its host is."""
    now = now or timezone.now()
    return (
        Appointment.objects.filter(
            request__in=RepairRequest.objects.filter(
                dwelling_id=dwelling_id, status__in=sorted(OPEN_STATUSES)
            ),
            contractor_id=contractor_id,
            status=AppointmentStatus.PLANNED,
            shared_visit__isnull=True,
            starts_at__gte=now + CHANGE_DEADLINE,
            starts_at__lte=now + COMBINE_WITHIN,
        )
        .select_related("slot__daypart", "request__category", "contractor")
        .order_by("starts_at", "pk")
    )


def combinable_requests(*, dwelling_id: int, contractor_id: int) -> QuerySet[RepairRequest]:
    """The dwelling's open jobs of the contractor still waiting for a visit: they can ride
    along on the visit the tenant books now."""
    return (
        RepairRequest.objects.filter(dwelling_id=dwelling_id, contractor_id=contractor_id)
        .filter(waiting_for_a_visit())
        .filter(is_urgent=False)
        .select_related("category")
        .order_by("created_at", "pk")
    )
