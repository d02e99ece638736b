"""Requests past their latest completion (repairs.norms): the planner's list "late" shows
them, and a periodic sweep escalates each, first to the contractor's planners and, one
working day later, to the association's staff.

Each step is decided in the database: the sweep writes the step's column
(escalated_to_planner_at, escalated_to_staff_at) and queues its mail in the outbox by key in
one transaction, so each mail is queued once and sent once, in that order, and a lost
broker message only delays it. No countdowns: the next step is found by the next sweep."""

import datetime

from django.core.mail import EmailMessage
from django.db import transaction
from django.db.models import QuerySet
from django.template.loader import render_to_string
from django.utils import formats, timezone, translation
from django.utils.translation import gettext as _

from contractors.selectors import contractor_emails
from outbox.handlers import outbox_handler
from outbox.services import outbox_add
from portal.mail import mail_send_once

from ..lifecycle import OPEN_STATUSES
from ..models import RepairRequest
from ..norms import AMSTERDAM, deadline_text, working_day_before
from ..selectors import requests_to_escalate
from .alerts import staff_mail

# Requests escalated per step and sweep; the rest wait for the next sweep.
ESCALATION_BATCH = 500
PLANNER, STAFF = "planner", "staff"


def escalation_key(repair_request_id: int, step: str) -> str:
    return f"late-{step}-{repair_request_id}"


def _due_for(step: str, *, now: datetime.datetime) -> QuerySet[RepairRequest]:
    if step == PLANNER:
        return requests_to_escalate(now=now).filter(escalated_to_planner_at__isnull=True)
    # Staff hear of it a working day after the planners did.
    return requests_to_escalate(now=now).filter(
        escalated_to_planner_at__lte=working_day_before(now)
    )


@transaction.atomic
def repair_request_escalate(
    *, repair_request_id: int, step: str, now: datetime.datetime
) -> str | None:
    """Record one escalation step of a late request and queue its mail; None when the
    request is no longer due for that step (done meanwhile, or escalated already)."""
    repair_request = (
        _due_for(step, now=now).select_for_update().filter(pk=repair_request_id).first()
    )
    if repair_request is None:
        return None
    column = "escalated_to_planner_at" if step == PLANNER else "escalated_to_staff_at"
    setattr(repair_request, column, now)
    repair_request.save(update_fields=[column])
    key = escalation_key(repair_request.pk, step)
    outbox_add(
        key=key,
        handler=late_planner_mail_send if step == PLANNER else late_staff_mail_send,
        payload={"repair_request_id": repair_request.pk},
        organisation_id=repair_request.organisation_id,
        send_after_commit=False,
    )
    return key


def late_requests_escalate(*, now: datetime.datetime | None = None) -> list[str]:
    """The periodic sweep: first every request due for its planners' mail, then those due for
    the staff's, each step in its own transaction. Returns the outbox keys queued now."""
    now = now or timezone.now()
    keys = []
    for step in (PLANNER, STAFF):
        ids = list(
            _due_for(step, now=now)
            .order_by("complete_due_at")
            .values_list("pk", flat=True)[:ESCALATION_BATCH]
        )
        for repair_request_id in ids:
            key = repair_request_escalate(repair_request_id=repair_request_id, step=step, now=now)
            if key is not None:
                keys.append(key)
    return keys


def _load(repair_request_id: int) -> RepairRequest | None:
    return (
        RepairRequest.objects.select_related(
            "organisation", "dwelling", "category", "contractor", "contract__area"
        )
        .filter(pk=repair_request_id, status__in=sorted(OPEN_STATUSES))
        .first()
    )


def _context(repair_request: RepairRequest) -> dict:
    return {
        "request": repair_request,
        "due": deadline_text(repair_request),
        "reported": formats.date_format(
            timezone.localtime(repair_request.created_at, AMSTERDAM), "j F Y H:i"
        ),
    }


@outbox_handler("repairs.late_planner_mail")
def late_planner_mail_send(*, repair_request_id: int) -> bool:
    """Tell the contractor's planners that a request is past its deadline; once. False when
    there is nothing to say (completed or cancelled meanwhile)."""
    repair_request = _load(repair_request_id)
    if repair_request is None or repair_request.contractor_id is None:
        return False
    recipients = contractor_emails(contractor_id=repair_request.contractor_id)
    if not recipients:
        return False
    # Contractors work in Dutch with the associations; their mails are Dutch.
    with translation.override("nl"):
        subject = _("Past the deadline: repair %(reference)s, %(address)s") % {
            "reference": repair_request.reference,
            "address": repair_request.dwelling.address_line,
        }
        body = render_to_string("repairs/mail/late_planner.txt", _context(repair_request))
    return mail_send_once(
        key=escalation_key(repair_request.pk, PLANNER),
        build=lambda: EmailMessage(
            subject=subject,
            body=body,
            from_email=repair_request.organisation.mail_from or None,
            to=recipients,
        ),
    )


@outbox_handler("repairs.late_staff_mail")
def late_staff_mail_send(*, repair_request_id: int) -> bool:
    """Tell the association's staff that a request is still open a working day after its
    planners were told; once."""
    repair_request = _load(repair_request_id)
    if repair_request is None:
        return False
    with translation.override("nl"):
        staff_mail(
            key=escalation_key(repair_request.pk, STAFF),
            repair_request=repair_request,
            subject=_("Still past the deadline: repair %(reference)s at %(contractor)s")
            % {"reference": repair_request.reference, "contractor": repair_request.contractor},
            template="repairs/mail/late_staff.txt",
            context=_context(repair_request),
        )
    return True
