"""A tenant's report with its visit combined: the new job rides along on a visit planned in
the dwelling, or the tenant books a time for it and another open job of the same contractor
rides along on that. Report and combination are one change: all of it or nothing, and when
combining is refused the report's photo files are removed again with the rest."""

from django.db import transaction

from portal.models import Tenancy, User

from ..models import Appointment, RepairCategory, RepairRequest
from ..notifications import contractor_notification_queue
from ..photos import CleanPhoto
from .appointments import Origin, appointment_join
from .base import appointment_planned_lock
from .requests import repair_request_report
from .visits import photo_files_removed_on_failure


def repair_request_report_combined(
    *,
    tenancy: Tenancy,
    category: RepairCategory,
    description: str,
    actor: User,
    photos: list[CleanPhoto] = (),
    access_notes: str = "",
    contact_phone: str = "",
    visit: Appointment | None = None,
    slot_id: int | None = None,
    riders: list[RepairRequest] = (),
) -> RepairRequest:
    """Report, then combine: with `visit`, the new job rides along on that planned visit;
    with `slot_id`, the new job is booked there and each of `riders` (the tenant's open jobs
    of the same contractor without a visit) rides along on it. The contractor is told of the
    booking, as for a report with a time.

    The photo files the report writes are removed again when any step fails, the combining
    after the report too (one photo_files_removed_on_failure around the one transaction)."""
    with photo_files_removed_on_failure() as stored:
        return _repair_request_report_combined(
            tenancy=tenancy,
            category=category,
            description=description,
            actor=actor,
            photos=photos,
            access_notes=access_notes,
            contact_phone=contact_phone,
            visit=visit,
            slot_id=slot_id,
            riders=riders,
            stored=stored,
        )


@transaction.atomic
def _repair_request_report_combined(
    *,
    tenancy,
    category,
    description,
    actor,
    photos,
    access_notes,
    contact_phone,
    visit,
    slot_id,
    riders,
    stored,
) -> RepairRequest:
    repair_request = repair_request_report(
        tenancy=tenancy,
        category=category,
        description=description,
        actor=actor,
        photos=photos,
        access_notes=access_notes,
        contact_phone=contact_phone,
        slot_id=None if visit is not None else slot_id,
        stored=stored,
    )
    if visit is not None:
        appointment_join(
            repair_request=repair_request, visit=visit, actor=actor, origin=Origin.TENANT
        )
        contractor_notification_queue(
            repair_request=repair_request,
            kind="booked",
            key=f"contractor-booked-{repair_request.pk}",
        )
        return repair_request
    host = appointment_planned_lock(repair_request) if riders else None
    for rider in riders:
        if host is None or rider.dwelling_id != tenancy.dwelling_id:
            continue
        appointment_join(repair_request=rider, visit=host, actor=actor, origin=Origin.TENANT)
    return repair_request
