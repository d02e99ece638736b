"""The contractor's writes: plan and move visits, record their outcome, and the planning and
emergency tasks. Every function is one transaction; its mails are queued in the outbox
within it, and leave after commit."""

import datetime
from decimal import Decimal

from django.db import transaction
from django.db.models import Exists, F, OuterRef, Q
from django.utils import timezone
from django.utils.translation import gettext as _

from contractors.models import ContractorRole, Slot
from contractors.services import slot_book_one, slot_for_contract, slot_release_one
from outbox.handlers import outbox_handler
from outbox.services import outbox_add
from portal.errors import ApplicationError, TransitionNotAllowed
from portal.models import Dwelling, User

from .lifecycle import (
    EMERGENCY_AWAITS_CONTRACTOR,
    PLANNABLE_STATUSES,
    WAITING_FOR_A_VISIT,
    Status,
)
from .models import (
    Appointment,
    AppointmentStatus,
    MaterialReuse,
    Photo,
    RepairRequest,
    ReuseSource,
    VisitOutcome,
)
from .photos import CleanPhoto
from .services import (
    SlotFull,
    SlotNotBookable,
    _appointment_event_data,
    _lock,
    _planned_appointment,
    appointment_confirmation_queue,
    repair_event_record,
    repair_request_transition,
)

EMERGENCY_WITHIN = datetime.timedelta(hours=24)
EMERGENCY_CONFIRM_WITHIN = datetime.timedelta(hours=2)
PLAN_DAYS_AHEAD = 14
FOLLOW_UP_REASONS = ("MAT", "DIS", "INS", "OFF", "ONV")
NO_ACCESS_REASON = "AFW"


class VisitNotRecordable(ApplicationError):
    pass


def _slot_take_for_planner(*, repair_request: RepairRequest, slot_id: int) -> Slot:
    slot = slot_for_contract(
        slot_id=slot_id,
        contractor_id=repair_request.contractor_id,
        area_id=repair_request.contract.area_id,
    )
    if slot is None:
        raise SlotNotBookable(_("This daypart is not in this request's area."))
    if slot.ends_at <= timezone.now():
        raise SlotNotBookable(_("This daypart has passed. Choose another."))
    if not slot_book_one(slot_id=slot.pk):
        raise SlotFull(_("This daypart is full. Choose another, or enlarge it first."))
    return slot


def _check_craftsman(*, craftsman: User | None, contractor_id: int) -> None:
    if craftsman is None:
        return
    membership = getattr(craftsman, "contractor_membership", None)
    if membership is None or membership.contractor_id != contractor_id:
        raise ApplicationError(_("This craftsman does not work for this contractor."))


@transaction.atomic
def appointment_plan(
    *,
    repair_request: RepairRequest,
    slot_id: int,
    actor: User | None,
    craftsman: User | None = None,
    move_existing: bool = True,
) -> Appointment:
    """Plan a visit in a free daypart, or move the planned one there; the tenant gets a new
    invitation. With move_existing=False a request that already has a visit is refused."""
    repair_request = _lock(repair_request)
    if repair_request.status not in PLANNABLE_STATUSES or repair_request.contract_id is None:
        raise TransitionNotAllowed(_("This request cannot be planned in its current state."))
    _check_craftsman(craftsman=craftsman, contractor_id=repair_request.contractor_id)
    current = _planned_appointment(repair_request)
    if current is not None:
        if not move_existing:
            raise TransitionNotAllowed(_("This request already has a planned visit."))
        if current.slot_id == slot_id:
            raise SlotNotBookable(_("The visit is planned in this daypart already."))
        current.status = AppointmentStatus.MOVED
        current.save(update_fields=["status"])
        slot_release_one(slot_id=current.slot_id)
        craftsman = craftsman or current.craftsman
    slot = _slot_take_for_planner(repair_request=repair_request, slot_id=slot_id)
    appointment = Appointment.objects.create(
        organisation_id=repair_request.organisation_id,
        request=repair_request,
        contractor_id=slot.contractor_id,
        slot=slot,
        starts_at=slot.starts_at,
        ends_at=slot.ends_at,
        booked_by=actor,
        craftsman=craftsman,
        sequence=repair_request.appointments.count(),
    )
    repair_request.planning_note = ""
    update = ["planning_note"]
    # A planner who plans an emergency takes it on; the periodic planning (no actor) does not,
    # or staff would never hear of an emergency nobody at the contractor has seen.
    if repair_request.is_urgent and repair_request.contractor_confirmed_at is None and actor:
        repair_request.contractor_confirmed_at = timezone.now()
        update.append("contractor_confirmed_at")
    repair_request_transition(
        repair_request=repair_request,
        status=Status.SCHEDULED,
        actor=actor,
        data=_appointment_event_data(appointment),
        update_fields=tuple(update),
    )
    appointment_confirmation_queue(appointment)
    return appointment


@transaction.atomic
def appointment_assign(*, appointment: Appointment, craftsman: User | None, actor: User) -> None:
    _check_craftsman(craftsman=craftsman, contractor_id=appointment.contractor_id)
    appointment = Appointment.objects.select_for_update().get(pk=appointment.pk)
    if appointment.status != AppointmentStatus.PLANNED:
        raise TransitionNotAllowed(_("Only a planned visit can be assigned."))
    appointment.craftsman = craftsman
    appointment.save(update_fields=["craftsman"])


@transaction.atomic
def repair_request_confirm_emergency(*, repair_request: RepairRequest, actor: User) -> None:
    """The contractor takes the emergency on; staff are no longer alerted about it."""
    repair_request = _lock(repair_request)
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
    actor: User,
    reason: str = "",
    notes: str = "",
    photos: list[CleanPhoto] = (),
    reuses: list[dict] = (),
) -> Appointment:
    """Record what a visit brought. Photo files written before a refusal are removed."""
    stored: list[Photo] = []
    try:
        return _visit_record(
            appointment=appointment,
            outcome=outcome,
            actor=actor,
            reason=reason,
            notes=notes,
            photos=photos,
            reuses=reuses,
            stored=stored,
        )
    except Exception:
        for photo in stored:
            photo.image.delete(save=False)
        raise


@transaction.atomic
def _visit_record(*, appointment, outcome, actor, reason, notes, photos, reuses, stored):
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
    repair_request = _lock(appointment.request)
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
    for clean in photos:
        photo = Photo(
            organisation_id=appointment.organisation_id,
            request=repair_request,
            appointment=appointment,
            width=clean.width,
            height=clean.height,
            uploaded_by=actor,
        )
        photo.image.save(clean.content.name, clean.content, save=False)
        stored.append(photo)
        photo.save()
    for index, reuse in enumerate(reuses):
        try:
            _reuse_record(appointment=appointment, **reuse)
        except VisitNotRecordable as error:
            # says which row of materials it is about, so a form shows it there
            raise VisitNotRecordable(error.message, extra={"reuse": index, **error.extra}) from None
    data = {"outcome": outcome, "reason": reason, "visit": appointment.pk}
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


def _reuse_record(
    *,
    appointment: Appointment,
    description: str,
    quantity: Decimal,
    source: str,
    unit: str = "st",
    estimated_value: Decimal = Decimal("0.00"),
    source_reference: str = "",
) -> MaterialReuse:
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


def waiting_for_a_visit() -> Q:
    """Routed or follow-up, routed to a contract, and no visit planned: a predicate on the
    request itself, so a contractor's list of these reads request_contractor_waiting."""
    planned = Appointment.objects.filter(
        request_id=OuterRef("pk"), status=AppointmentStatus.PLANNED
    )
    return Q(status__in=WAITING_FOR_A_VISIT, contract__isnull=False) & ~Q(Exists(planned))


def requests_to_plan():
    """Open requests that wait for a visit (waiting_for_a_visit), of every contractor."""
    return RepairRequest.objects.filter(waiting_for_a_visit())


def _earliest_free_slot(repair_request: RepairRequest, now: datetime.datetime) -> Slot | None:
    slots = Slot.objects.filter(
        contractor_id=repair_request.contractor_id,
        area_id=repair_request.contract.area_id,
        booked__lt=F("capacity"),
    )
    if repair_request.is_urgent:
        slots = slots.filter(ends_at__gt=now, starts_at__lte=now + EMERGENCY_WITHIN)
    else:
        today = timezone.localdate(now)
        slots = slots.filter(
            date__gt=today, date__lte=today + datetime.timedelta(days=PLAN_DAYS_AHEAD)
        )
    return slots.order_by("starts_at", "pk").first()


def repair_requests_autoplan(*, now: datetime.datetime | None = None, limit: int = 500) -> dict:
    """Plan each waiting request into its contractor's earliest free daypart (emergencies
    within 24 hours); what cannot be planned keeps the reason for the planner's list."""
    now = now or timezone.now()
    result = {"planned": 0, "unplanned": 0}
    waiting = (
        requests_to_plan()
        .select_related("contract")
        .order_by("-is_urgent", "created_at")
        .values_list("pk", flat=True)[:limit]
    )
    for request_id in list(waiting):
        repair_request = RepairRequest.objects.select_related("contract").get(pk=request_id)
        planned = False
        for _attempt in range(3):
            slot = _earliest_free_slot(repair_request, now)
            if slot is None:
                break
            try:
                appointment_plan(
                    repair_request=repair_request,
                    slot_id=slot.pk,
                    actor=None,
                    move_existing=False,
                )
            except (SlotFull, SlotNotBookable):
                # taken or begun meanwhile: look again
                continue
            except TransitionNotAllowed:
                break
            planned = True
            break
        if planned:
            result["planned"] += 1
            continue
        if _planned_exists(request_id):
            continue
        note = (
            _("No free daypart within 24 hours for this emergency.")
            if repair_request.is_urgent
            else _("No free daypart in the next %(days)d days.") % {"days": PLAN_DAYS_AHEAD}
        )
        RepairRequest.objects.filter(pk=request_id).exclude(planning_note=note).update(
            planning_note=note
        )
        result["unplanned"] += 1
    return result


def _planned_exists(request_id: int) -> bool:
    return Appointment.objects.filter(
        request_id=request_id, status=AppointmentStatus.PLANNED
    ).exists()


def emergencies_unconfirmed(*, now: datetime.datetime):
    return RepairRequest.objects.filter(
        is_urgent=True,
        contractor_confirmed_at__isnull=True,
        emergency_alert_sent_at__isnull=True,
        created_at__lte=now - EMERGENCY_CONFIRM_WITHIN,
    ).filter(status__in=EMERGENCY_AWAITS_CONTRACTOR)


def emergency_alerts_queue(*, now: datetime.datetime) -> list[str]:
    """Queue the staff alert of each emergency unconfirmed after 2 hours, once per emergency
    (each in its own transaction). Returns the outbox keys, queued now or before."""
    keys = []
    for request_id, organisation_id in emergencies_unconfirmed(now=now).values_list(
        "pk", "organisation_id"
    ):
        key = f"emergency-alert-{request_id}"
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


@outbox_handler
@transaction.atomic
def emergency_alert_send(*, repair_request_id: int, now: datetime.datetime | None = None) -> bool:
    """Tell the association's staff that an emergency is not confirmed after 2 hours; once."""
    from django.core.mail import send_mail

    from portal.selectors import staff_emails

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
    recipients = staff_emails(organisation_id=repair_request.organisation_id)
    if recipients:
        send_mail(
            subject=_("Emergency %(reference)s not confirmed after 2 hours")
            % {"reference": repair_request.reference},
            message=_(
                "The emergency %(reference)s at %(address)s (%(category)s) was reported at "
                "%(reported)s and %(contractor)s has not confirmed it yet. Call the contractor."
            )
            % {
                "reference": repair_request.reference,
                "address": repair_request.dwelling,
                "category": repair_request.category.name_nl,
                "reported": timezone.localtime(repair_request.created_at).strftime("%d-%m %H:%M"),
                "contractor": repair_request.contractor or _("no contractor"),
            },
            from_email=None,
            recipient_list=recipients,
        )
    repair_request.emergency_alert_sent_at = timezone.now()
    repair_request.save(update_fields=["emergency_alert_sent_at"])
    return True


def craftsmen_of(contractor_id: int):
    return User.objects.filter(
        contractor_membership__contractor_id=contractor_id,
        contractor_membership__role=ContractorRole.CRAFTSMAN,
        is_active=True,
    ).order_by("first_name", "last_name")


@transaction.atomic
def repair_request_assign_contract(
    *, repair_request: RepairRequest, contract_id: int, actor: User
) -> RepairRequest:
    """Staff hand an unrouted request to a contract of its association; writes the event."""
    from contractors.models import Contract

    repair_request = _lock(repair_request)
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
    return repair_request_transition(
        repair_request=repair_request,
        status=Status.ROUTED,
        actor=actor,
        note=_("Assigned by hand by staff."),
        data={"contractor": contract.contractor.name, "area": contract.area.name, "by_hand": True},
        update_fields=("contract", "contractor", "routed_at"),
    )
