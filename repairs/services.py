"""Every write to repair requests: each transition is one call that checks and records it."""

import datetime
from typing import Any

from django.core.mail import send_mail
from django.db import transaction
from django.db.models import F
from django.utils import timezone
from django.utils.translation import gettext as _

from contractors.routing import route
from portal.errors import TransitionNotAllowed
from portal.models import Dwelling, Tenancy, User
from portal.postcode import format_postcode
from portal.selectors import staff_emails

from .lifecycle import Status, can_transition
from .models import Channel, EventKind, ReferenceCounter, RepairCategory, RepairEvent, RepairRequest


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
        from .tasks import unrouted_request_alert

        request_id = repair_request.pk
        transaction.on_commit(lambda: unrouted_request_alert.delay(request_id))
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
