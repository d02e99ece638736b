"""A visit's outcome, with its photos and the material reused; and the one way photos of a
request are stored, their files removed again when the change they belong to fails."""

from collections.abc import Iterator
from contextlib import contextmanager
from decimal import Decimal

from django.db import transaction
from django.utils import timezone
from django.utils.translation import gettext as _

from portal.models import Dwelling, User

from ..lifecycle import Status
from ..models import (
    Appointment,
    AppointmentStatus,
    MaterialReuse,
    Photo,
    RepairRequest,
    ReuseSource,
    VisitOutcome,
)
from ..photos import CleanPhoto
from .base import VisitNotRecordable, repair_request_lock, repair_request_transition

FOLLOW_UP_REASONS = ("MAT", "DIS", "INS", "OFF", "ONV")
NO_ACCESS_REASON = "AFW"


@contextmanager
def photo_files_removed_on_failure() -> Iterator[list[Photo]]:
    """Yields the list photos_store fills; when the block fails (a refusal, a rollback), the
    files written are removed again, since a rollback does not remove files."""
    stored: list[Photo] = []
    try:
        yield stored
    except Exception:
        for photo in stored:
            photo.image.delete(save=False)
        raise


def photos_store(
    *,
    repair_request: RepairRequest,
    photos: list[CleanPhoto],
    actor: User,
    stored: list[Photo],
    appointment: Appointment | None = None,
) -> None:
    """Save cleaned photos to the request (and the visit), each added to `stored` once its
    file is written."""
    for clean in photos:
        photo = Photo(
            organisation_id=repair_request.organisation_id,
            request=repair_request,
            appointment=appointment,
            width=clean.width,
            height=clean.height,
            uploaded_by=actor,
        )
        photo.image.save(clean.content.name, clean.content, save=False)
        stored.append(photo)
        photo.save()


def _is_first_visit_with_access(appointment: Appointment) -> bool:
    return not (
        Appointment.objects.filter(
            request_id=appointment.request_id,
            status=AppointmentStatus.DONE,
            outcome__in=[VisitOutcome.FIXED, VisitOutcome.FOLLOW_UP],
        )
        .exclude(pk=appointment.pk)
        .exists()
    )


def visit_record(
    *,
    appointment: Appointment,
    outcome: str,
    actor: User | None,
    reason: str = "",
    notes: str = "",
    photos: list[CleanPhoto] = (),
    reuses: list[dict] = (),
    via: str = "",
) -> Appointment:
    """Record what a visit brought. Photo files written before a refusal are removed.

    A caller that is not a user (the contractor's system, by the API) passes actor=None and
    names itself in `via`, which the request's event keeps."""
    with photo_files_removed_on_failure() as stored:
        return _visit_record(
            appointment=appointment,
            outcome=outcome,
            actor=actor,
            reason=reason,
            notes=notes,
            photos=photos,
            reuses=reuses,
            stored=stored,
            via=via,
        )


@transaction.atomic
def _visit_record(*, appointment, outcome, actor, reason, notes, photos, reuses, stored, via):
    appointment = (
        Appointment.objects.select_for_update(of=("self",))
        .select_related("request__dwelling")
        .get(pk=appointment.pk)
    )
    if appointment.status != AppointmentStatus.PLANNED:
        raise VisitNotRecordable(_("This visit is recorded already."))
    if timezone.localtime(appointment.starts_at).date() > timezone.localdate():
        raise VisitNotRecordable(_("A visit can be recorded on its day, not before."))
    if outcome == VisitOutcome.FOLLOW_UP and reason not in FOLLOW_UP_REASONS:
        raise VisitNotRecordable(_("Choose why another visit is needed."))
    if outcome == VisitOutcome.NO_ACCESS:
        reason = NO_ACCESS_REASON
    if outcome == VisitOutcome.FIXED:
        reason = ""
    repair_request = repair_request_lock(appointment.request)
    first_time = outcome == VisitOutcome.FIXED and _is_first_visit_with_access(appointment)
    appointment.status = AppointmentStatus.DONE
    appointment.outcome = outcome
    appointment.outcome_reason = reason
    appointment.outcome_notes = notes
    appointment.recorded_at = timezone.now()
    appointment.craftsman = appointment.craftsman or actor
    appointment.save(
        update_fields=[
            "status",
            "outcome",
            "outcome_reason",
            "outcome_notes",
            "recorded_at",
            "craftsman",
        ]
    )
    photos_store(
        repair_request=repair_request,
        appointment=appointment,
        photos=photos,
        actor=actor,
        stored=stored,
    )
    for index, reuse in enumerate(reuses):
        try:
            reuse_record(appointment=appointment, **reuse)
        except VisitNotRecordable as error:
            # says which row of materials it is about, so a form shows it there
            raise VisitNotRecordable(error.message, extra={"reuse": index, **error.extra}) from None
    data = {"outcome": outcome, "reason": reason, "visit": appointment.pk}
    if via:
        data["via"] = via
    if outcome == VisitOutcome.FIXED:
        repair_request.completed_at = appointment.recorded_at
        repair_request.first_time_fix = first_time
        repair_request_transition(
            repair_request=repair_request,
            status=Status.COMPLETED,
            actor=actor,
            data=data,
            update_fields=("completed_at", "first_time_fix"),
        )
    else:
        repair_request_transition(
            repair_request=repair_request, status=Status.FOLLOW_UP, actor=actor, data=data
        )
    return appointment


def reuse_record(
    *,
    appointment: Appointment,
    description: str,
    quantity: Decimal,
    source: str,
    unit: str = "st",
    estimated_value: Decimal = Decimal("0.00"),
    source_reference: str = "",
) -> MaterialReuse:
    """One material a visit reused; from a vacant dwelling, that dwelling is named by its
    reference and must be vacant and of the same association. Part of visit_record."""
    source_dwelling = None
    if source == ReuseSource.VACANT_DWELLING:
        source_dwelling = Dwelling.objects.filter(
            organisation_id=appointment.organisation_id, reference__iexact=source_reference.strip()
        ).first()
        if source_dwelling is None:
            raise VisitNotRecordable(
                _("No dwelling %(reference)s of this association.")
                % {"reference": source_reference.strip()},
                extra={"field": "source_reference"},
            )
        if not source_dwelling.is_vacant:
            raise VisitNotRecordable(
                _("Dwelling %(reference)s is not vacant.")
                % {"reference": source_dwelling.reference},
                extra={"field": "source_reference"},
            )
    return MaterialReuse.objects.create(
        organisation_id=appointment.organisation_id,
        appointment=appointment,
        contractor_id=appointment.contractor_id,
        description=description,
        quantity=quantity,
        unit=unit,
        source=source,
        source_dwelling=source_dwelling,
        estimated_value=estimated_value,
    )
