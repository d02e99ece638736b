"""Mails about repairs: to the tenant (confirmation with .ics, reminder) and the contractor.

Each is queued in the outbox by the change that causes it, and sent by its handler here
through portal.mail.mail_send_once with a key, so a handler that runs twice sends nothing
twice."""

from django.conf import settings
from django.core.mail import EmailMessage
from django.template.loader import render_to_string
from django.utils import formats, timezone, translation
from django.utils.translation import gettext as _
from django.utils.translation import gettext_noop

from contractors.selectors import contractor_emails
from outbox.handlers import outbox_handler
from outbox.services import outbox_add
from portal.mail import mail_send_once

from .ics import appointment_ics, default_organiser
from .models import Appointment, AppointmentStatus, MaintenanceKind, RepairRequest


def tenant_of(repair_request: RepairRequest):
    """The tenant to write to: the tenancy's account; the reporter only for portal reports
    (staff who file a report by phone are not the tenant)."""
    if repair_request.channel == "portal" and repair_request.reported_by_id:
        return repair_request.reported_by
    if repair_request.tenancy_id and repair_request.tenancy.tenant_id:
        return repair_request.tenancy.tenant
    return None


def tenant_email(repair_request: RepairRequest) -> str | None:
    tenant = tenant_of(repair_request)
    return tenant.email if tenant and tenant.email else None


def tenant_language(repair_request: RepairRequest) -> str:
    return getattr(tenant_of(repair_request), "language", None) or settings.LANGUAGE_CODE


def daypart_text(appointment: Appointment) -> str:
    """'Tuesday 2 December, morning (08:00–12:00)' in the active language."""
    return daypart_label(appointment.slot)


def _invitation_attach(message: EmailMessage, appointment: Appointment) -> None:
    """Attach the job's calendar invitation: one event per request (its reference is the UID),
    at the visit's time, its SEQUENCE counting the request's visits."""
    repair_request = appointment.request
    organisation = repair_request.organisation
    message.attach(
        f"afspraak-{repair_request.reference}.ics",
        appointment_ics(
            uid=f"{repair_request.reference}@ketenportaal",
            sequence=appointment.sequence,
            starts_at=appointment.starts_at,
            ends_at=appointment.ends_at,
            summary=_("Repair %(reference)s: %(contractor)s")
            % {"reference": repair_request.reference, "contractor": appointment.contractor.name},
            location=str(repair_request.dwelling),
            description=repair_request.category.name,
            organiser_email=organisation.mail_from or default_organiser(),
        ),
        "text/calendar; method=REQUEST; charset=utf-8",
    )


def _appointment_mail(
    appointment: Appointment,
    *,
    template: str,
    subject: str,
    jobs: list[Appointment] | None = None,
) -> EmailMessage:
    """A mail to the tenant about a visit, with the invitation of each job it names (`jobs`:
    the jobs of one visit in the dwelling, the appointment first; only the appointment when
    not given)."""
    jobs = jobs or [appointment]
    repair_request = appointment.request
    organisation = repair_request.organisation
    context = {
        "request": repair_request,
        "appointment": appointment,
        "jobs": jobs,
        "organisation": organisation,
        "when": daypart_text(appointment),
        "contractor": appointment.contractor,
    }
    message = EmailMessage(
        subject=subject,
        body=render_to_string(template, context),
        from_email=organisation.mail_from or None,
        to=[tenant_email(repair_request)],
    )
    for job in jobs:
        _invitation_attach(message, job)
    return message


def _appointments(ids) -> list[Appointment]:
    return list(
        Appointment.objects.select_related(
            "request__organisation",
            "request__dwelling",
            "request__category",
            "request__reported_by",
            "request__tenancy__tenant",
            "slot__daypart",
            "contractor",
        ).filter(pk__in=ids)
    )


def _load(appointment_id: int) -> Appointment | None:
    return next(iter(_appointments([appointment_id])), None)


def _still_planned(appointment: Appointment | None) -> bool:
    """A mail queued during an outage may leave late: not about a visit moved, cancelled or
    over meanwhile (a moved visit's new time has its own confirmation)."""
    return (
        appointment is not None
        and appointment.status == AppointmentStatus.PLANNED
        and appointment.ends_at > timezone.now()
    )


def confirmation_subject(repair_request: RepairRequest) -> str:
    """The confirmation's subject: of a repair, or of a visit of planned work (PLN / PRJ)."""
    if repair_request.maintenance_kind != MaintenanceKind.REPAIR:
        return _("Appointment for %(work)s (%(reference)s)") % {
            "work": repair_request.description,
            "reference": repair_request.reference,
        }
    return _("Appointment for repair %(reference)s") % {"reference": repair_request.reference}


@outbox_handler("repairs.appointment_confirmation")
def appointment_confirmation_send(*, appointment_id: int) -> bool:
    appointment = _load(appointment_id)
    if not _still_planned(appointment) or tenant_email(appointment.request) is None:
        return False
    with translation.override(tenant_language(appointment.request)):
        return mail_send_once(
            key=f"appointment-confirmation-{appointment.pk}",
            build=lambda: _appointment_mail(
                appointment,
                template="repairs/mail/appointment_confirmation.txt",
                subject=confirmation_subject(appointment.request),
            ),
        )


def reminder_subject(jobs: list[Appointment]) -> str:
    """The reminder's subject: the job, or every job of the one visit."""
    if len(jobs) == 1:
        job = jobs[0].request
        if job.maintenance_kind != MaintenanceKind.REPAIR:
            return _("Tomorrow: visit for %(work)s (%(reference)s)") % {
                "work": job.description,
                "reference": job.reference,
            }
        return _("Tomorrow: repair %(reference)s") % {"reference": job.reference}
    return _("Tomorrow: one visit for %(references)s") % {
        "references": ", ".join(job.request.reference for job in jobs)
    }


@outbox_handler("repairs.appointment_reminder")
def appointment_reminder_send(*, appointment_id: int, appointment_ids: list[int] = ()) -> bool:
    """The reminder of one visit to one tenant, naming each of its jobs in `appointment_ids`
    (the visit's jobs in the tenant's dwelling, appointment_id first) that is still planned;
    a reminder queued with only appointment_id names that job. One mail per key, the key of
    the first job, however many jobs it names."""
    by_pk = {job.pk: job for job in _appointments([appointment_id, *appointment_ids])}
    order = [appointment_id, *(pk for pk in appointment_ids if pk != appointment_id)]
    jobs = [by_pk[pk] for pk in order if pk in by_pk and _still_planned(by_pk[pk])]
    if not jobs or tenant_email(jobs[0].request) is None:
        return False
    first = jobs[0]
    with translation.override(tenant_language(first.request)):
        return mail_send_once(
            key=f"appointment-reminder-{appointment_id}",
            build=lambda: _appointment_mail(
                first,
                template="repairs/mail/appointment_reminder.txt",
                subject=reminder_subject(jobs),
                jobs=jobs,
            ),
        )


CONTRACTOR_SUBJECTS = {
    "emergency": gettext_noop("EMERGENCY: repair %(reference)s, %(address)s"),
    "booked": gettext_noop("New visit: repair %(reference)s, %(address)s"),
    "rescheduled": gettext_noop("Visit moved: repair %(reference)s, %(address)s"),
    "cancelled": gettext_noop("Cancelled by the tenant: repair %(reference)s, %(address)s"),
    "rejected": gettext_noop("Rejected by the association: repair %(reference)s, %(address)s"),
}


@outbox_handler("repairs.contractor_notification")
def contractor_notify(*, repair_request_id: int, kind: str, key: str) -> bool:
    repair_request = (
        RepairRequest.objects.select_related("dwelling", "category", "contractor", "organisation")
        .filter(pk=repair_request_id)
        .first()
    )
    if repair_request is None or repair_request.contractor_id is None:
        return False
    recipients = contractor_emails(contractor_id=repair_request.contractor_id)
    appointment = (
        repair_request.appointments.filter(status="planned").select_related("slot__daypart").first()
    )
    # Contractors work in Dutch with the associations; their mails are Dutch.
    with translation.override("nl"):
        subject = _(CONTRACTOR_SUBJECTS[kind]) % {
            "reference": repair_request.reference,
            "address": repair_request.dwelling.address_line,
        }
        body = render_to_string(
            "repairs/mail/contractor_notification.txt",
            {
                "request": repair_request,
                "kind": kind,
                "appointment": appointment,
                "when": daypart_text(appointment) if appointment else "",
            },
        )
        return mail_send_once(
            key=key,
            build=lambda: EmailMessage(
                subject=subject,
                body=body,
                from_email=repair_request.organisation.mail_from or None,
                to=recipients,
            ),
        )


def daypart_label(slot) -> str:
    """How a slot reads in a list to choose from."""
    starts = timezone.localtime(slot.starts_at)
    ends = timezone.localtime(slot.ends_at)
    return _("%(day)s, %(daypart)s (%(start)s–%(end)s)") % {
        "day": formats.date_format(starts, "l j F"),
        "daypart": slot.daypart.get_kind_display(),
        "start": starts.strftime("%H:%M"),
        "end": ends.strftime("%H:%M"),
    }


def appointment_confirmation_queue(appointment: Appointment) -> None:
    """Queue the tenant's confirmation (with its .ics) in the caller's transaction."""
    outbox_add(
        key=f"appointment-confirmation-{appointment.pk}",
        handler=appointment_confirmation_send,
        payload={"appointment_id": appointment.pk},
        organisation_id=appointment.organisation_id,
    )


def contractor_notification_queue(*, repair_request: RepairRequest, kind: str, key: str) -> None:
    """Queue the contractor's mail about an emergency, a booking, a move or a cancellation."""
    outbox_add(
        key=key,
        handler=contractor_notify,
        payload={"repair_request_id": repair_request.pk, "kind": kind, "key": key},
        organisation_id=repair_request.organisation_id,
    )
