"""Repair requests: reporting (with photos and a booked visit), routing, cancelling,
rejecting, and the staff's and contractor's actions on a request."""

import datetime

from django.db import transaction
from django.db.models import F
from django.utils import timezone
from django.utils.translation import gettext as _

from contractors.models import Contract
from contractors.routing import route
from portal.errors import ApplicationError, TransitionNotAllowed
from portal.models import Dwelling, Tenancy, User

from ..lifecycle import Status, can_transition
from ..models import (
    REPEAT_WITHIN_DAYS,
    AppointmentStatus,
    Channel,
    MaintenanceKind,
    Photo,
    ReferenceCounter,
    RejectCategory,
    RepairCategory,
    RepairRequest,
    Responsibility,
)
from ..norms import DEADLINE_FIELDS, deadlines_apply, deadlines_for
from ..notifications import contractor_notification_queue
from ..photos import CleanPhoto
from .alerts import unrouted_alert_queue
from .appointments import appointment_book, appointment_change_check, appointment_release
from .base import (
    NotReportable,
    ReasonRequired,
    appointment_planned_lock,
    repair_event_record,
    repair_request_lock,
    repair_request_transition,
)
from .visits import photo_files_removed_on_failure, photos_store


def _next_reference(now: datetime.datetime) -> str:
    year = timezone.localtime(now).year
    # The counter row stays locked until the report commits, so numbers are never handed out twice.
    counter, _created = ReferenceCounter.objects.select_for_update().get_or_create(year=year)
    counter.last_number = F("last_number") + 1
    counter.save(update_fields=["last_number"])
    counter.refresh_from_db(fields=["last_number"])
    return f"R-{year}-{counter.last_number:06d}"


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
    deadlines = deadlines_apply(repair_request, contract)
    return repair_request_transition(
        repair_request=repair_request,
        status=Status.ROUTED,
        actor=actor,
        data={"contractor": contract.contractor.name, "area": contract.area.name},
        update_fields=("contract", "contractor", "routed_at", *deadlines),
    )


def repeated_request(
    *, dwelling: Dwelling, category: RepairCategory, now: datetime.datetime
) -> RepairRequest | None:
    """The latest request of the dwelling with the same defect code (VERA DEFECTSOORT),
    completed within REPEAT_WITHIN_DAYS days before now: a new report of it is a repeat
    repair. Read by the dwelling's index (request_dwelling_created)."""
    return (
        RepairRequest.objects.filter(
            dwelling=dwelling,
            category__defect_code=category.defect_code,
            # a visit of planned work is not a repair a new report could repeat
            maintenance_kind=MaintenanceKind.REPAIR,
            status=Status.COMPLETED,
            completed_at__gte=now - datetime.timedelta(days=REPEAT_WITHIN_DAYS),
        )
        .order_by("-completed_at", "-pk")
        .first()
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
        repeat_of=repeated_request(dwelling=dwelling, category=category, now=now),
    )
    repair_event_record(repair_request=repair_request, status=Status.SUBMITTED, actor=reported_by)
    return repair_request_route(repair_request=repair_request, actor=reported_by)


@transaction.atomic
def repair_request_order_planned_work(
    *,
    dwelling: Dwelling,
    tenancy: Tenancy | None,
    category: RepairCategory,
    contract: Contract,
    maintenance_kind: str,
    description: str,
    complete_due_at: datetime.datetime,
    reported_by: User | None = None,
    channel: str = Channel.PORTAL,
) -> RepairRequest:
    """An order of planned maintenance or a project (VERA PLN / PRJ) for one dwelling, routed
    to the project's contract rather than by the dwelling's area. It gets no repair norm: its
    latest completion is the project's end, and it is never a repeat repair."""
    if maintenance_kind == MaintenanceKind.REPAIR:
        raise NotReportable(_("A repair is reported, not ordered as planned work."))
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
        maintenance_kind=maintenance_kind,
        status=Status.SUBMITTED,
    )
    repair_event_record(repair_request=repair_request, status=Status.SUBMITTED, actor=reported_by)
    repair_request.contract = contract
    repair_request.contractor_id = contract.contractor_id
    repair_request.routed_at = now
    repair_request.complete_due_at = complete_due_at
    return repair_request_transition(
        repair_request=repair_request,
        status=Status.ROUTED,
        actor=reported_by,
        data={"contractor": contract.contractor.name, "area": contract.area.name},
        update_fields=("contract", "contractor", "routed_at", "complete_due_at"),
    )


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
    stored: list[Photo] | None = None,
) -> RepairRequest:
    """A tenant's report: saved, routed, its photos stored and its visit booked, all or nothing.

    Photo files written before a refusal (a slot taken meanwhile) are removed again. A caller
    whose own change takes the report in (the report and its combined visit, say) passes its
    own `stored`, from photo_files_removed_on_failure around its whole transaction, so the
    files are removed when any part of that change fails, also after the report is saved."""
    report = {
        "tenancy": tenancy,
        "category": category,
        "description": description,
        "actor": actor,
        "photos": photos,
        "access_notes": access_notes,
        "contact_phone": contact_phone,
        "slot_id": slot_id,
    }
    if stored is not None:
        return _repair_request_report(**report, stored=stored)
    with photo_files_removed_on_failure() as stored:
        return _repair_request_report(**report, stored=stored)


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
    stored: list,
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
    photos_store(repair_request=repair_request, photos=photos, actor=actor, stored=stored)
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


@transaction.atomic
def repair_request_cancel(
    *, repair_request: RepairRequest, reason: str, actor: User | None = None
) -> RepairRequest:
    """The tenant cancels, with a reason, until 24 hours before the visit."""
    reason = reason.strip()
    if not reason:
        raise ReasonRequired(_("Tell us briefly why you cancel."))
    repair_request = repair_request_lock(repair_request)
    if not can_transition(repair_request.status, Status.CANCELLED):
        raise TransitionNotAllowed(_("This repair can no longer be cancelled."))
    current = appointment_planned_lock(repair_request)
    appointment_change_check(current)
    if current is not None:
        appointment_release(appointment=current, status=AppointmentStatus.CANCELLED)
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


class CategoryRequired(ApplicationError):
    pass


@transaction.atomic
def repair_request_reject(
    *,
    repair_request: RepairRequest,
    actor: User,
    reason: str,
    category: str,
    recharge: bool = False,
) -> RepairRequest:
    """Staff or the contractor's planner find the request is not theirs to carry out: the
    tenant's own responsibility (found on site), a duplicate, or not the association's
    property (RejectCategory). A planned visit is cancelled and its place in the slot given
    back; the tenant reads the category's advice and the reason on their request page, and
    the contractor is mailed when staff reject it. Only the tenant's own responsibility may be
    marked for staff to recharge. Who may is the caller's rule
    (contractors.access.repair_request_can_reject, portal.access.repair_request_can_reject)."""
    if category not in RejectCategory.values:
        raise CategoryRequired(
            _("Choose why the request is rejected: the tenant reads what to do."),
            extra={"field": "category"},
        )
    if recharge and category != RejectCategory.TENANT:
        raise CategoryRequired(
            _("Only a job that is the tenant's own responsibility can be recharged."),
            extra={"field": "recharge"},
        )
    reason = reason.strip()
    if not reason:
        raise ReasonRequired(_("Give the reason: the tenant reads it."))
    repair_request = repair_request_lock(repair_request)
    if not can_transition(repair_request.status, Status.REJECTED):
        raise TransitionNotAllowed(
            _("A request that is “%(current)s” can no longer be rejected.")
            % {"current": Status(repair_request.status).label},
            extra={"current": repair_request.status},
        )
    current = appointment_planned_lock(repair_request)
    if current is not None:
        appointment_release(appointment=current, status=AppointmentStatus.CANCELLED)
    repair_request.reject_category = category
    repair_request.recharge_tenant = recharge
    repair_request_transition(
        repair_request=repair_request,
        status=Status.REJECTED,
        actor=actor,
        note=reason,
        data={"category": category, "recharge": recharge},
        update_fields=("reject_category", "recharge_tenant"),
    )
    # Staff tell the contractor, as a cancellation does; a planner rejecting knows already.
    membership = getattr(actor, "contractor_membership", None)
    if repair_request.contractor_id and (
        membership is None or membership.contractor_id != repair_request.contractor_id
    ):
        contractor_notification_queue(
            repair_request=repair_request,
            kind="rejected",
            key=f"contractor-rejected-{repair_request.pk}",
        )
    return repair_request


@transaction.atomic
def repair_request_reopen(
    *, repair_request: RepairRequest, reason: str, by: User | None
) -> RepairRequest:
    """The tenant says the problem is not solved (the survey's first question): the completed
    request goes back to its contractor as a follow-up, in the planner's list to plan, with
    fresh norm deadlines counted from now. It no longer counts as a first-time fix. A request
    is reopened once: a second call finds it no longer completed. The caller checks the
    tenant's right (their survey token); `by` is the tenant, None when unknown."""
    repair_request = repair_request_lock(repair_request)
    if repair_request.status != Status.COMPLETED or repair_request.reopened_at is not None:
        raise TransitionNotAllowed(
            _("Only a completed request can be reopened, and only once."),
            extra={"current": repair_request.status},
        )
    now = timezone.now()
    repair_request.reopened_at = now
    repair_request.first_time_fix = False
    fields = ["reopened_at", "first_time_fix"]
    if repair_request.contract is not None:
        due = deadlines_for(
            reported_at=now, is_urgent=repair_request.is_urgent, contract=repair_request.contract
        )
        repair_request.visit_due_at = due.visit_due_at
        repair_request.complete_due_at = due.complete_due_at
        repair_request.escalated_to_planner_at = None
        repair_request.escalated_to_staff_at = None
        fields.extend(DEADLINE_FIELDS)
    return repair_request_transition(
        repair_request=repair_request,
        status=Status.FOLLOW_UP,
        actor=by,
        note=reason.strip()[:2000],
        data={"reason": "reopened", "completed_at": repair_request.completed_at.isoformat()},
        update_fields=tuple(fields),
    )


@transaction.atomic
def repair_request_confirm_emergency(*, repair_request: RepairRequest, actor: User) -> None:
    """The contractor takes the emergency on; staff are no longer alerted about it."""
    repair_request = repair_request_lock(repair_request)
    if not repair_request.is_urgent or repair_request.contractor_confirmed_at is not None:
        return
    repair_request.contractor_confirmed_at = timezone.now()
    repair_request.save(update_fields=["contractor_confirmed_at"])
    repair_event_record(
        repair_request=repair_request,
        kind="note",
        actor=actor,
        note=_("Emergency confirmed by the contractor."),
    )


@transaction.atomic
def repair_request_assign_contract(
    *, repair_request: RepairRequest, contract_id: int, actor: User
) -> RepairRequest:
    """Staff hand an unrouted request to a contract of its association; writes the event."""
    repair_request = repair_request_lock(repair_request)
    if repair_request.status != Status.UNROUTED:
        raise TransitionNotAllowed(_("Only an unrouted request can be assigned by hand."))
    contract = (
        Contract.objects.select_related("contractor", "area")
        .filter(pk=contract_id, organisation_id=repair_request.organisation_id)
        .first()
    )
    if contract is None:
        raise ApplicationError(_("Choose a contract of this association."))
    if not Contract.objects.valid_on(timezone.localdate()).filter(pk=contract.pk).exists():
        raise ApplicationError(_("This contract does not run today. Choose one that does."))
    repair_request.contract = contract
    repair_request.contractor_id = contract.contractor_id
    repair_request.routed_at = timezone.now()
    deadlines = deadlines_apply(repair_request, contract)
    return repair_request_transition(
        repair_request=repair_request,
        status=Status.ROUTED,
        actor=actor,
        note=_("Assigned by hand by staff."),
        data={"contractor": contract.contractor.name, "area": contract.area.name, "by_hand": True},
        update_fields=("contract", "contractor", "routed_at", *deadlines),
    )
