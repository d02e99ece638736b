"""Every mail to an association's staff about repairs: a request no area covers, and an
emergency the contractor has not confirmed. Each is queued in the outbox by key, so it is
queued once; its handler writes it from its template in templates/repairs/mail/ and sends it
once by the same key (and a "sent at" column, checked under a row lock, says it is done)."""

import datetime

from django.core.mail import EmailMessage
from django.db import transaction
from django.template.loader import render_to_string
from django.utils import timezone
from django.utils.translation import gettext as _

from outbox.handlers import outbox_handler
from outbox.services import outbox_add
from portal.mail import mail_send_once
from portal.postcode import format_postcode
from portal.selectors import staff_emails

from ..lifecycle import Status
from ..models import RepairRequest
from ..selectors import emergencies_unconfirmed


def staff_mail(
    *, key: str, repair_request: RepairRequest, subject: str, template: str, context: dict
) -> None:
    """Write a staff mail from its template and send it once by key, to the staff of the
    request's association (none: nothing is sent)."""
    recipients = staff_emails(organisation_id=repair_request.organisation_id)
    if not recipients:
        return
    mail_send_once(
        key=key,
        build=lambda: EmailMessage(
            subject=subject,
            body=render_to_string(template, {"request": repair_request, **context}),
            from_email=None,
            to=recipients,
        ),
    )


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


@outbox_handler("repairs.unrouted_alert")
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
    staff_mail(
        key=unrouted_alert_key(repair_request.pk),
        repair_request=repair_request,
        subject=_("Repair request %(reference)s could not be routed")
        % {"reference": repair_request.reference},
        template="repairs/mail/unrouted_alert.txt",
        context={
            "postcode": format_postcode(repair_request.dwelling.postcode),
            "address": str(repair_request.dwelling),
        },
    )
    repair_request.unrouted_alert_sent_at = timezone.now()
    repair_request.save(update_fields=["unrouted_alert_sent_at"])
    return True


def emergency_alert_key(repair_request_id: int) -> str:
    return f"emergency-alert-{repair_request_id}"


def emergency_alerts_queue(*, now: datetime.datetime) -> list[str]:
    """Queue the staff alert of each emergency unconfirmed after 2 hours, once per emergency
    (each in its own transaction). Returns the outbox keys, queued now or before."""
    keys = []
    for request_id, organisation_id in emergencies_unconfirmed(now=now).values_list(
        "pk", "organisation_id"
    ):
        key = emergency_alert_key(request_id)
        with transaction.atomic():
            outbox_add(
                key=key,
                handler=emergency_alert_send,
                payload={"repair_request_id": request_id},
                organisation_id=organisation_id,
                send_after_commit=False,
            )
        keys.append(key)
    return keys


@outbox_handler("repairs.emergency_alert")
@transaction.atomic
def emergency_alert_send(*, repair_request_id: int, now: datetime.datetime | None = None) -> bool:
    """Tell the association's staff that an emergency is not confirmed after 2 hours; once."""
    now = now or timezone.now()
    repair_request = (
        emergencies_unconfirmed(now=now)
        .select_for_update(of=("self",))
        .select_related("dwelling", "contractor", "organisation", "category")
        .filter(pk=repair_request_id)
        .first()
    )
    if repair_request is None:
        return False
    staff_mail(
        key=emergency_alert_key(repair_request.pk),
        repair_request=repair_request,
        subject=_("Emergency %(reference)s not confirmed after 2 hours")
        % {"reference": repair_request.reference},
        template="repairs/mail/emergency_alert.txt",
        context={
            "reported": timezone.localtime(repair_request.created_at).strftime("%d-%m %H:%M"),
            "contractor": repair_request.contractor or _("no contractor"),
        },
    )
    repair_request.emergency_alert_sent_at = timezone.now()
    repair_request.save(update_fields=["emergency_alert_sent_at"])
    return True
