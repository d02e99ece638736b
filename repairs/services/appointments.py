"""Visits: the one way a visit is created in a slot (by the tenant, the planner or the
periodic planning), the one way a slot's place is taken and given back, moving and assigning
a visit, and the reminders the day before."""

import datetime
import enum

from django.db import transaction
from django.utils import timezone
from django.utils.translation import gettext as _

from contractors.models import Slot
from contractors.services import slot_book_one, slot_for_contract, slot_release_one
from outbox.services import outbox_add, outbox_send_due
from portal.access import appointment_can_change
from portal.errors import ApplicationError, TransitionNotAllowed
from portal.models import User

from ..lifecycle import PLANNABLE_STATUSES, Status
from ..models import Appointment, AppointmentStatus, MaintenanceKind, RepairRequest
from ..notifications import (
    appointment_confirmation_queue,
    appointment_reminder_send,
    contractor_notification_queue,
)
from ..selectors import (
    BOOKING_DAYS,
    EMERGENCY_WITHIN,
    PLAN_DAYS_AHEAD,
    repair_request_has_planned_visit,
    requests_to_plan,
    slots_free_for,
)
from .base import (
    ChangeTooLate,
    SlotFull,
    SlotNotBookable,
    appointment_planned_lock,
    repair_request_lock,
    repair_request_transition,
)


class Origin(enum.StrEnum):
    """Who creates a visit: the tenant books from the slots offered to them, a planner plans
    into any daypart not over yet, the periodic planning into the earliest free one; the
    contractor's planning system (the API) books as its planner does."""

    TENANT = "tenant"
    PLANNER = "planner"
    AUTOPLAN = "autoplan"
    API = "api"


def slot_take(*, repair_request: RepairRequest, slot_id: int, origin: Origin) -> Slot:
    """Take one place in a slot of the request's contractor and area, or refuse; the
    conditional UPDATE makes it atomic. A tenant may take a slot from tomorrow up to
    BOOKING_DAYS ahead; a planner any slot not over yet."""
    by_tenant = origin == Origin.TENANT
    slot = None
    if repair_request.contract_id is not None:
        slot = slot_for_contract(
            slot_id=slot_id,
            contractor_id=repair_request.contractor_id,
            area_id=repair_request.contract.area_id,
        )
    if slot is None:
        raise SlotNotBookable(
            _("This time is not offered for your repair. Choose another time.")
            if by_tenant
            else _("This daypart is not in this request's area.")
        )
    if by_tenant:
        today = timezone.localdate()
        if slot.date <= today or slot.starts_at <= timezone.now():
            raise SlotNotBookable(_("This time has passed. Choose another time."))
        if slot.date > today + datetime.timedelta(days=BOOKING_DAYS):
            raise SlotNotBookable(_("This time is too far ahead. Choose another time."))
    elif slot.ends_at <= timezone.now():
        raise SlotNotBookable(_("This daypart has passed. Choose another."))
    if not slot_book_one(slot_id=slot.pk):
        if by_tenant:
            raise SlotFull(
                _("Sorry, this time was just taken by someone else. Choose another time."),
                extra={"slot": slot.pk},
            )
        raise SlotFull(_("This daypart is full. Choose another, or enlarge it first."))
    return slot


def appointment_release(
    *, appointment: Appointment, status: str, next_slot_id: int | None = None
) -> None:
    """End a planned visit (moved or cancelled) and give its place in the slot back.

    When it moves to next_slot_id, both slots are locked in primary-key order first: two
    visits swapping their times would otherwise each hold one slot row and wait for the
    other's (a deadlock)."""
    if next_slot_id is not None:
        list(
            Slot.objects.select_for_update()
            .filter(pk__in=[appointment.slot_id, next_slot_id])
            .order_by("pk")
            .values_list("pk", flat=True)
        )
    appointment.status = status
    appointment.save(update_fields=["status"])
    slot_release_one(slot_id=appointment.slot_id)


def appointment_event_data(appointment: Appointment, via: str = "") -> dict[str, str]:
    """The details of a visit's event; `via` names a caller that is not a user (an API
    client), so the timeline keeps who made the change."""
    data = {
        "contractor": appointment.contractor.name,
        "starts_at": appointment.starts_at.isoformat(),
        "ends_at": appointment.ends_at.isoformat(),
        "daypart": appointment.slot.daypart.kind,
    }
    if via:
        data["via"] = via
    return data


@transaction.atomic
def appointment_create(
    *,
    repair_request: RepairRequest,
    slot: Slot | int,
    actor: User | None,
    craftsman: User | None = None,
    origin: Origin,
    via: str = "",
) -> Appointment:
    """Take a place in the slot, create the visit there, schedule the request and queue the
    tenant's invitation. The visit's sequence (its .ics SEQUENCE) counts the request's
    visits before it. `via` names a caller that is not a user (appointment_event_data)."""
    slot = slot_take(
        repair_request=repair_request, slot_id=getattr(slot, "pk", slot), origin=origin
    )
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
    update = []
    if repair_request.planning_note:
        repair_request.planning_note = ""
        update.append("planning_note")
    # A planner (or the contractor's own system) who plans an emergency takes it on; the
    # periodic planning (no actor) does not, or staff would never hear of an emergency nobody
    # at the contractor has seen.
    if (
        (origin == Origin.API or (origin == Origin.PLANNER and actor is not None))
        and repair_request.is_urgent
        and repair_request.contractor_confirmed_at is None
    ):
        repair_request.contractor_confirmed_at = timezone.now()
        update.append("contractor_confirmed_at")
    repair_request_transition(
        repair_request=repair_request,
        status=Status.SCHEDULED,
        actor=actor,
        data=appointment_event_data(appointment, via),
        update_fields=tuple(update),
    )
    appointment_confirmation_queue(appointment)
    return appointment


@transaction.atomic
def appointment_book(
    *, repair_request: RepairRequest, slot_id: int, actor: User | None = None
) -> Appointment:
    """The tenant books a visit for a routed request in one of its contractor's free slots."""
    return appointment_create(
        repair_request=repair_request, slot=slot_id, actor=actor, origin=Origin.TENANT
    )


def appointment_change_check(appointment: Appointment | None) -> None:
    """Refuse a tenant's change of a visit the access rule no longer allows (less than 24
    hours away: portal.access.appointment_can_change)."""
    if appointment is not None and not appointment_can_change(
        appointment=appointment, now=timezone.now()
    ):
        raise ChangeTooLate(
            _(
                "The visit is less than 24 hours away, so it can no longer be changed here. "
                "Call the contractor or your housing association."
            )
        )


@transaction.atomic
def appointment_reschedule(
    *,
    repair_request: RepairRequest,
    slot_id: int,
    actor: User | None = None,
    origin: Origin = Origin.TENANT,
    via: str = "",
) -> Appointment:
    """The tenant moves the planned visit to another free slot, until 24 hours before it.

    The contractor's own system (origin API) moves it under the same 24-hour rule, into any
    free daypart not over yet; the tenant gets the new invitation, and the contractor, who
    moved it, no mail."""
    repair_request = repair_request_lock(repair_request)
    current = appointment_planned_lock(repair_request)
    if current is None:
        raise TransitionNotAllowed(_("This repair has no planned visit to move."))
    appointment_change_check(current)
    if current.slot_id == slot_id:
        raise SlotNotBookable(_("That is the time you have already. Choose another time."))
    appointment_release(appointment=current, status=AppointmentStatus.MOVED, next_slot_id=slot_id)
    if origin != Origin.TENANT:
        return appointment_create(
            repair_request=repair_request,
            slot=slot_id,
            actor=actor,
            craftsman=current.craftsman,
            origin=origin,
            via=via,
        )
    appointment = appointment_book(repair_request=repair_request, slot_id=slot_id, actor=actor)
    contractor_notification_queue(
        repair_request=repair_request,
        kind="rescheduled",
        key=f"contractor-rescheduled-{appointment.pk}",
    )
    return appointment


def craftsman_check(*, craftsman: User | None, contractor_id: int) -> None:
    """Refuse a craftsman who does not work for the contractor."""
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
    origin: Origin = Origin.PLANNER,
    via: str = "",
) -> Appointment:
    """Plan a visit in a free daypart, or move the planned one there; the tenant gets a new
    invitation. With move_existing=False a request that already has a visit is refused."""
    repair_request = repair_request_lock(repair_request)
    if repair_request.status not in PLANNABLE_STATUSES or repair_request.contract_id is None:
        raise TransitionNotAllowed(_("This request cannot be planned in its current state."))
    craftsman_check(craftsman=craftsman, contractor_id=repair_request.contractor_id)
    current = appointment_planned_lock(repair_request)
    if current is not None:
        if not move_existing:
            raise TransitionNotAllowed(_("This request already has a planned visit."))
        if current.slot_id == slot_id:
            raise SlotNotBookable(_("The visit is planned in this daypart already."))
        appointment_release(
            appointment=current, status=AppointmentStatus.MOVED, next_slot_id=slot_id
        )
        craftsman = craftsman or current.craftsman
    return appointment_create(
        repair_request=repair_request,
        slot=slot_id,
        actor=actor,
        craftsman=craftsman,
        origin=origin,
        via=via,
    )


@transaction.atomic
def appointment_cancel(
    *, repair_request: RepairRequest, actor: User | None = None, via: str = ""
) -> RepairRequest:
    """Cancel the planned visit, not the repair: under the 24-hour rule, its place in the slot
    given back, and the request routed again, to be planned anew (by the contractor or the
    periodic planning)."""
    repair_request = repair_request_lock(repair_request)
    current = appointment_planned_lock(repair_request)
    if current is None or repair_request.status != Status.SCHEDULED:
        raise TransitionNotAllowed(_("This repair has no planned visit to cancel."))
    appointment_change_check(current)
    appointment_release(appointment=current, status=AppointmentStatus.CANCELLED)
    data = {"contractor": repair_request.contractor.name, "visit": current.pk}
    if via:
        data["via"] = via
    return repair_request_transition(
        repair_request=repair_request, status=Status.ROUTED, actor=actor, data=data
    )


@transaction.atomic
def appointment_assign(*, appointment: Appointment, craftsman: User | None, actor: User) -> None:
    craftsman_check(craftsman=craftsman, contractor_id=appointment.contractor_id)
    appointment = Appointment.objects.select_for_update().get(pk=appointment.pk)
    if appointment.status != AppointmentStatus.PLANNED:
        raise TransitionNotAllowed(_("Only a planned visit can be assigned."))
    appointment.craftsman = craftsman
    appointment.save(update_fields=["craftsman"])


def _earliest_free_slot(repair_request: RepairRequest, now: datetime.datetime) -> Slot | None:
    if repair_request.is_urgent:
        slots = slots_free_for(
            repair_request=repair_request,
            from_now=True,
            within=EMERGENCY_WITHIN,
            days=None,
            now=now,
        )
    else:
        slots = slots_free_for(repair_request=repair_request, days=PLAN_DAYS_AHEAD, now=now)
    return slots.first()


def repair_requests_autoplan(*, now: datetime.datetime | None = None, limit: int = 500) -> dict:
    """Plan each waiting request into its contractor's earliest free daypart (emergencies
    within 24 hours); what cannot be planned keeps the reason for the planner's list."""
    now = now or timezone.now()
    result = {"planned": 0, "unplanned": 0}
    # Visits of planned work are booked by the tenant or the planner, never automatically.
    waiting = (
        requests_to_plan()
        .filter(maintenance_kind=MaintenanceKind.REPAIR)
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
                    origin=Origin.AUTOPLAN,
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
        if repair_request_has_planned_visit(repair_request_id=request_id):
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


def appointment_reminders_send(*, today: datetime.date) -> int:
    """Queue the reminder of every planned visit tomorrow that has not had one, and send the
    reminders queued; one that fails stays in the outbox and is tried again there."""
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
                handler=appointment_reminder_send,
                payload={"appointment_id": appointment_id},
                organisation_id=appointment.organisation_id,
                send_after_commit=False,
            )
            if message is not None:
                queued.append(message.pk)
            appointment.reminder_sent_at = timezone.now()
            appointment.save(update_fields=["reminder_sent_at"])
    return outbox_send_due(ids=queued).sent if queued else 0
