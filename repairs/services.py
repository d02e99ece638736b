"""Every write to repair requests: each transition is one call that checks and records it."""

import datetime
from typing import Any

from django.core.mail import send_mail
from django.db import transaction
from django.db.models import F
from django.utils import timezone
from django.utils.translation import gettext as _

from contractors.models import Slot
from contractors.routing import route
from contractors.services import slot_book_one, slot_for_contract, slot_release_one
from outbox.handlers import outbox_handler
from outbox.services import outbox_add
from portal.errors import ApplicationError, TransitionNotAllowed
from portal.models import Dwelling, Tenancy, User
from portal.postcode import format_postcode
from portal.selectors import staff_emails

from .lifecycle import Status, can_transition
from .models import (
    Appointment,
    AppointmentStatus,
    Channel,
    EventKind,
    Photo,
    ReferenceCounter,
    RepairCategory,
    RepairEvent,
    RepairRequest,
    Responsibility,
)
from .photos import CleanPhoto
from .selectors import BOOKING_DAYS


def _next_reference(now: datetime.datetime) -> str:
    year = timezone.localtime(now).year
    # The counter row stays locked until the report commits, so numbers are never handed out twice.
    counter, _created = ReferenceCounter.objects.select_for_update().get_or_create(year=year)
    counter.last_number = F("last_number") + 1
    counter.save(update_fields=["last_number"])
    counter.refresh_from_db(fields=["last_number"])
    return f"R-{year}-{counter.last_number:06d}"


def repair_event_record(
    *,
    repair_request: RepairRequest,
    status: str = "",
    kind: str = EventKind.STATUS,
    actor: User | None = None,
    note: str = "",
    data: dict[str, Any] | None = None,
) -> RepairEvent:
    return RepairEvent.objects.create(
        organisation_id=repair_request.organisation_id,
        request=repair_request,
        kind=kind,
        status=status,
        actor=actor,
        note=note,
        data=data or {},
    )


def repair_request_transition(
    *,
    repair_request: RepairRequest,
    status: str,
    actor: User | None = None,
    note: str = "",
    data: dict[str, Any] | None = None,
    update_fields: tuple[str, ...] = (),
) -> RepairRequest:
    """Move a request to a new status and write the event; refuses transitions not allowed."""
    if not can_transition(repair_request.status, status):
        raise TransitionNotAllowed(
            _("A request that is “%(current)s” cannot become “%(new)s”.")
            % {
                "current": Status(repair_request.status).label,
                "new": Status(status).label,
            },
            extra={"current": repair_request.status, "new": status},
        )
    repair_request.status = status
    repair_request.save(update_fields=["status", *update_fields])
    repair_event_record(
        repair_request=repair_request, status=status, actor=actor, note=note, data=data
    )
    return repair_request


@transaction.atomic
def repair_request_route(
    *,
    repair_request: RepairRequest,
    actor: User | None = None,
    on_date: datetime.date | None = None,
) -> RepairRequest:
    """Find the contract for the request's dwelling; without one the request waits for staff."""
    on_date = on_date or timezone.localdate()
    contract = route(repair_request.dwelling, on_date)
    if contract is None:
        if repair_request.status != Status.UNROUTED:
            repair_request_transition(
                repair_request=repair_request,
                status=Status.UNROUTED,
                actor=actor,
                data={"postcode": repair_request.dwelling.postcode},
            )
        unrouted_alert_queue(repair_request)
        return repair_request
    repair_request.contract = contract
    repair_request.contractor_id = contract.contractor_id
    repair_request.routed_at = timezone.now()
    return repair_request_transition(
        repair_request=repair_request,
        status=Status.ROUTED,
        actor=actor,
        data={"contractor": contract.contractor.name, "area": contract.area.name},
        update_fields=("contract", "contractor", "routed_at"),
    )


@transaction.atomic
def repair_request_submit(
    *,
    dwelling: Dwelling,
    category: RepairCategory,
    description: str,
    reported_by: User | None = None,
    tenancy: Tenancy | None = None,
    channel: str = Channel.PORTAL,
    access_notes: str = "",
    contact_phone: str = "",
) -> RepairRequest:
    """Save a report and route it; a report that cannot be routed is kept as unrouted."""
    now = timezone.now()
    repair_request = RepairRequest.objects.create(
        organisation_id=dwelling.organisation_id,
        reference=_next_reference(now),
        dwelling=dwelling,
        tenancy=tenancy,
        reported_by=reported_by,
        channel=channel,
        category=category,
        description=description,
        access_notes=access_notes,
        contact_phone=contact_phone,
        is_urgent=category.is_emergency,
        status=Status.SUBMITTED,
    )
    repair_event_record(repair_request=repair_request, status=Status.SUBMITTED, actor=reported_by)
    return repair_request_route(repair_request=repair_request, actor=reported_by)


def unrouted_alert_key(repair_request_id: int) -> str:
    return f"unrouted-alert-{repair_request_id}"


def unrouted_alert_queue(repair_request: RepairRequest, *, send_after_commit: bool = True):
    """Queue the staff alert about an unrouted request in the caller's transaction (once)."""
    return outbox_add(
        key=unrouted_alert_key(repair_request.pk),
        handler=repair_request_alert_unrouted,
        payload={"repair_request_id": repair_request.pk},
        organisation_id=repair_request.organisation_id,
        send_after_commit=send_after_commit,
    )


@outbox_handler
@transaction.atomic
def repair_request_alert_unrouted(*, repair_request_id: int) -> bool:
    """Tell the association's staff about an unrouted request, once; False when nothing to do."""
    repair_request = (
        RepairRequest.objects.select_for_update()
        .filter(pk=repair_request_id, status=Status.UNROUTED, unrouted_alert_sent_at__isnull=True)
        .select_related("organisation", "dwelling", "category")
        .first()
    )
    if repair_request is None:
        return False
    recipients = staff_emails(organisation_id=repair_request.organisation_id)
    if recipients:
        dwelling = repair_request.dwelling
        send_mail(
            subject=_("Repair request %(reference)s could not be routed")
            % {"reference": repair_request.reference},
            message=_(
                "No area of %(organisation)s covers postcode %(postcode)s (%(address)s), or its "
                "area has no contract today. The request waits in the admin under “unrouted”: "
                "fix the postcode rules or contracts, then route it again.\n\n"
                "Request: %(reference)s – %(category)s"
            )
            % {
                "organisation": repair_request.organisation.name,
                "postcode": format_postcode(dwelling.postcode),
                "address": str(dwelling),
                "reference": repair_request.reference,
                "category": repair_request.category.name_nl,
            },
            from_email=None,
            recipient_list=recipients,
        )
    repair_request.unrouted_alert_sent_at = timezone.now()
    repair_request.save(update_fields=["unrouted_alert_sent_at"])
    return True


# Tenants may move or cancel a visit until this long before it starts.
CHANGE_DEADLINE = datetime.timedelta(hours=24)


class SlotFull(ApplicationError):
    pass


class SlotNotBookable(ApplicationError):
    pass


class ChangeTooLate(ApplicationError):
    pass


class NotReportable(ApplicationError):
    pass


class ReasonRequired(ApplicationError):
    pass


def _appointment_event_data(appointment: Appointment) -> dict[str, str]:
    return {
        "contractor": appointment.contractor.name,
        "starts_at": appointment.starts_at.isoformat(),
        "ends_at": appointment.ends_at.isoformat(),
        "daypart": appointment.slot.daypart.kind,
    }


def appointment_confirmation_queue(appointment: Appointment) -> None:
    """Queue the tenant's confirmation (with its .ics) in the caller's transaction."""
    from . import notifications

    outbox_add(
        key=f"appointment-confirmation-{appointment.pk}",
        handler=notifications.appointment_confirmation_send,
        payload={"appointment_id": appointment.pk},
        organisation_id=appointment.organisation_id,
    )


def contractor_notification_queue(*, repair_request: RepairRequest, kind: str, key: str) -> None:
    """Queue the contractor's mail about an emergency, a booking, a move or a cancellation."""
    from . import notifications

    outbox_add(
        key=key,
        handler=notifications.contractor_notify,
        payload={"repair_request_id": repair_request.pk, "kind": kind, "key": key},
        organisation_id=repair_request.organisation_id,
    )


def _slot_take(*, repair_request: RepairRequest, slot_id: int) -> Slot:
    """Take one visit of a slot, or refuse; the conditional UPDATE makes it atomic."""
    slot = None
    if repair_request.contract_id is not None:
        slot = slot_for_contract(
            slot_id=slot_id,
            contractor_id=repair_request.contractor_id,
            area_id=repair_request.contract.area_id,
        )
    if slot is None:
        raise SlotNotBookable(_("This time is not offered for your repair. Choose another time."))
    today = timezone.localdate()
    if slot.date <= today or slot.starts_at <= timezone.now():
        raise SlotNotBookable(_("This time has passed. Choose another time."))
    if slot.date > today + datetime.timedelta(days=BOOKING_DAYS):
        raise SlotNotBookable(_("This time is too far ahead. Choose another time."))
    if not slot_book_one(slot_id=slot.pk):
        raise SlotFull(
            _("Sorry, this time was just taken by someone else. Choose another time."),
            extra={"slot": slot.pk},
        )
    return slot


@transaction.atomic
def appointment_book(
    *, repair_request: RepairRequest, slot_id: int, actor: User | None = None
) -> Appointment:
    """Book a visit for a routed request in one of its contractor's free slots."""
    slot = _slot_take(repair_request=repair_request, slot_id=slot_id)
    previous = repair_request.appointments.count()
    appointment = Appointment.objects.create(
        organisation_id=repair_request.organisation_id,
        request=repair_request,
        contractor_id=slot.contractor_id,
        slot=slot,
        starts_at=slot.starts_at,
        ends_at=slot.ends_at,
        booked_by=actor,
        sequence=previous,
    )
    repair_request_transition(
        repair_request=repair_request,
        status=Status.SCHEDULED,
        actor=actor,
        data=_appointment_event_data(appointment),
    )
    appointment_confirmation_queue(appointment)
    return appointment


def _planned_appointment(repair_request: RepairRequest) -> Appointment | None:
    return (
        Appointment.objects.select_for_update()
        .filter(request=repair_request, status=AppointmentStatus.PLANNED)
        .first()
    )


def change_allowed_until(appointment: Appointment) -> datetime.datetime:
    return appointment.starts_at - CHANGE_DEADLINE


def _check_change_window(appointment: Appointment | None) -> None:
    if appointment is not None and timezone.now() > change_allowed_until(appointment):
        raise ChangeTooLate(
            _(
                "The visit is less than 24 hours away, so it can no longer be changed here. "
                "Call the contractor or your housing association."
            )
        )


def _lock(repair_request: RepairRequest) -> RepairRequest:
    return (
        RepairRequest.objects.select_for_update(of=("self",))
        .select_related("contract", "contractor")
        .get(pk=repair_request.pk)
    )


@transaction.atomic
def appointment_reschedule(
    *, repair_request: RepairRequest, slot_id: int, actor: User | None = None
) -> Appointment:
    """Move the planned visit to another free slot, until 24 hours before it."""
    repair_request = _lock(repair_request)
    current = _planned_appointment(repair_request)
    if current is None:
        raise TransitionNotAllowed(_("This repair has no planned visit to move."))
    _check_change_window(current)
    if current.slot_id == slot_id:
        raise SlotNotBookable(_("That is the time you have already. Choose another time."))
    # Both slots are locked in primary-key order first: two tenants swapping their times
    # would otherwise each hold one slot row and wait for the other's (a deadlock).
    list(
        Slot.objects.select_for_update()
        .filter(pk__in=[current.slot_id, slot_id])
        .order_by("pk")
        .values_list("pk", flat=True)
    )
    current.status = AppointmentStatus.MOVED
    current.save(update_fields=["status"])
    slot_release_one(slot_id=current.slot_id)
    appointment = appointment_book(repair_request=repair_request, slot_id=slot_id, actor=actor)
    contractor_notification_queue(
        repair_request=repair_request,
        kind="rescheduled",
        key=f"contractor-rescheduled-{appointment.pk}",
    )
    return appointment


@transaction.atomic
def repair_request_cancel(
    *, repair_request: RepairRequest, reason: str, actor: User | None = None
) -> RepairRequest:
    """The tenant cancels, with a reason, until 24 hours before the visit."""
    reason = reason.strip()
    if not reason:
        raise ReasonRequired(_("Tell us briefly why you cancel."))
    repair_request = _lock(repair_request)
    if not can_transition(repair_request.status, Status.CANCELLED):
        raise TransitionNotAllowed(_("This repair can no longer be cancelled."))
    current = _planned_appointment(repair_request)
    _check_change_window(current)
    if current is not None:
        current.status = AppointmentStatus.CANCELLED
        current.save(update_fields=["status"])
        slot_release_one(slot_id=current.slot_id)
    repair_request.cancel_reason = reason
    repair_request_transition(
        repair_request=repair_request,
        status=Status.CANCELLED,
        actor=actor,
        note=reason,
        update_fields=("cancel_reason",),
    )
    if repair_request.contractor_id:
        contractor_notification_queue(
            repair_request=repair_request,
            kind="cancelled",
            key=f"contractor-cancelled-{repair_request.pk}",
        )
    return repair_request


def repair_request_report(
    *,
    tenancy: Tenancy,
    category: RepairCategory,
    description: str,
    actor: User,
    photos: list[CleanPhoto] = (),
    access_notes: str = "",
    contact_phone: str = "",
    slot_id: int | None = None,
) -> RepairRequest:
    """A tenant's report: saved, routed, its photos stored and its visit booked, all or nothing.

    Photo files written before a refusal (a slot taken meanwhile) are removed again."""
    stored: list[Photo] = []
    try:
        return _repair_request_report(
            tenancy=tenancy,
            category=category,
            description=description,
            actor=actor,
            photos=photos,
            access_notes=access_notes,
            contact_phone=contact_phone,
            slot_id=slot_id,
            stored=stored,
        )
    except Exception:
        for photo in stored:
            photo.image.delete(save=False)
        raise


@transaction.atomic
def _repair_request_report(
    *,
    tenancy: Tenancy,
    category: RepairCategory,
    description: str,
    actor: User,
    photos,
    access_notes: str,
    contact_phone: str,
    slot_id: int | None,
    stored: list[Photo],
) -> RepairRequest:
    if category.organisation_id != tenancy.organisation_id or not category.is_active:
        raise NotReportable(_("Choose what is broken from the list."))
    if category.responsibility == Responsibility.TENANT:
        raise NotReportable(_("This is a repair you carry out yourself; see the advice."))
    repair_request = repair_request_submit(
        dwelling=tenancy.dwelling,
        category=category,
        description=description,
        reported_by=actor,
        tenancy=tenancy,
        access_notes=access_notes,
        contact_phone=contact_phone,
    )
    for clean in photos:
        photo = Photo(
            organisation_id=repair_request.organisation_id,
            request=repair_request,
            width=clean.width,
            height=clean.height,
            uploaded_by=actor,
        )
        photo.image.save(clean.content.name, clean.content, save=False)
        stored.append(photo)
        photo.save()
    if repair_request.status != Status.ROUTED:
        return repair_request
    if category.is_emergency:
        contractor_notification_queue(
            repair_request=repair_request,
            kind="emergency",
            key=f"contractor-emergency-{repair_request.pk}",
        )
    elif slot_id is not None:
        appointment_book(repair_request=repair_request, slot_id=slot_id, actor=actor)
        contractor_notification_queue(
            repair_request=repair_request,
            kind="booked",
            key=f"contractor-booked-{repair_request.pk}",
        )
    return repair_request


def appointment_reminders_send(*, today: datetime.date) -> int:
    """Queue the reminder of every planned visit tomorrow that has not had one, and send the
    reminders queued; one that fails stays in the outbox and is tried again there."""
    from outbox.services import outbox_send_due

    from . import notifications

    tomorrow = today + datetime.timedelta(days=1)
    queued = []
    ids = Appointment.objects.filter(
        status=AppointmentStatus.PLANNED, slot__date=tomorrow, reminder_sent_at__isnull=True
    ).values_list("pk", flat=True)
    for appointment_id in ids.iterator(chunk_size=500):
        with transaction.atomic():
            appointment = (
                Appointment.objects.select_for_update()
                .filter(pk=appointment_id, reminder_sent_at__isnull=True)
                .first()
            )
            if appointment is None:
                continue
            message = outbox_add(
                key=f"appointment-reminder-{appointment_id}",
                handler=notifications.appointment_reminder_send,
                payload={"appointment_id": appointment_id},
                organisation_id=appointment.organisation_id,
                send_after_commit=False,
            )
            if message is not None:
                queued.append(message.pk)
            appointment.reminder_sent_at = timezone.now()
            appointment.save(update_fields=["reminder_sent_at"])
    return outbox_send_due(ids=queued).sent if queued else 0
