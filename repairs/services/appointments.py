"""Visits: the one way a visit is created in a slot (by the tenant, the planner or the
periodic planning), the one way a slot's place is taken and given back, moving and assigning
a visit, combining two jobs in one visit, and the reminders the day before."""

import datetime
import enum

from django.db import transaction
from django.db.models import Q
from django.utils import timezone
from django.utils.translation import gettext as _

from contractors.models import Slot
from contractors.services import slot_book_one, slot_for_contract, slot_release_one
from outbox.services import outbox_add, outbox_send_due
from portal.access import CHANGE_DEADLINE, appointment_can_change
from portal.errors import ApplicationError, TransitionNotAllowed
from portal.models import User

from ..lifecycle import PLANNABLE_STATUSES, Status
from ..models import (
    Appointment,
    AppointmentStatus,
    EventKind,
    MaintenanceKind,
    RepairRequest,
)
from ..notifications import (
    appointment_confirmation_queue,
    appointment_reminder_send,
    contractor_notification_queue,
    tenant_email,
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
    repair_event_record,
    repair_request_lock,
    repair_request_transition,
)

# A tenant is offered to combine a new job with a planned visit up to this far ahead.
COMBINE_WITHIN = datetime.timedelta(weeks=6)


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
    if appointment.shared_visit_id is not None:
        # a job riding along on another visit holds no place of its own
        return
    if not riders_take_over(host=appointment):
        slot_release_one(slot_id=appointment.slot_id)


def riders_take_over(*, host: Appointment) -> bool:
    """A combined visit's host ends without being held (moved or cancelled): its riders keep
    their time. The earliest booked rider takes over the host's place in the slot and becomes
    the visit, the others ride along on it now; the slot's count stays as it is, and no
    tenant loses a visit they were promised. Returns whether a rider took the place (the
    caller then gives nothing back). A host recorded as done leaves its riders as they are:
    each job gets its own outcome."""
    riders = list(
        Appointment.objects.select_for_update()
        .filter(shared_visit=host, status=AppointmentStatus.PLANNED)
        .select_related("request")
        .order_by("created_at", "pk")
    )
    if not riders:
        return False
    heir, others = riders[0], riders[1:]
    heir.shared_visit = None
    heir.save(update_fields=["shared_visit"])
    if others:
        Appointment.objects.filter(pk__in=[rider.pk for rider in others]).update(shared_visit=heir)
    for rider in riders:
        repair_event_record(
            repair_request=rider.request,
            kind=EventKind.NOTE,
            note=_("The job it was combined with is no longer at this time; this visit stays."),
            data={"visit": rider.pk, "was_combined_with": host.pk},
        )
    return True


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


def same_building(a, b) -> bool:
    """Two dwellings in one building: the same association, postcode and house number (the
    suffix may differ: flats off one staircase)."""
    return (a.organisation_id, a.postcode, a.house_number) == (
        b.organisation_id,
        b.postcode,
        b.house_number,
    )


def _host_lock(visit: Appointment | int) -> Appointment | None:
    """The visit a job can ride along on, under a row lock: the visit itself, or the visit it
    rides along on itself (riders hang off one host, never off each other)."""
    host = (
        Appointment.objects.select_for_update(of=("self",))
        .select_related("request__dwelling", "slot__daypart", "contractor")
        .filter(pk=getattr(visit, "pk", visit))
        .first()
    )
    if host is not None and host.shared_visit_id is not None:
        host = (
            Appointment.objects.select_for_update(of=("self",))
            .select_related("request__dwelling", "slot__daypart", "contractor")
            .get(pk=host.shared_visit_id)
        )
    return host


def appointment_join_check(
    *,
    repair_request: RepairRequest,
    host: Appointment | None,
    origin: Origin,
    now: datetime.datetime,
) -> None:
    """Refuse a combination the rules do not allow: the host is a planned visit of the same
    contractor, in the same dwelling (a tenant) or building (a planner), not over yet; a
    tenant combines only with a visit from 24 hours to COMBINE_WITHIN ahead."""
    by_tenant = origin == Origin.TENANT
    if (
        host is None
        or host.status != AppointmentStatus.PLANNED
        or host.request_id == repair_request.pk
        or host.contractor_id != repair_request.contractor_id
    ):
        raise TransitionNotAllowed(_("This visit cannot be combined with this repair."))
    dwelling = repair_request.dwelling
    if host.request.dwelling_id != dwelling.pk and (
        by_tenant or not same_building(host.request.dwelling, dwelling)
    ):
        raise TransitionNotAllowed(_("This visit cannot be combined with this repair."))
    if host.ends_at <= now:
        raise SlotNotBookable(_("This visit has passed. Choose a time instead."))
    if by_tenant:
        if host.starts_at - CHANGE_DEADLINE < now:
            raise ChangeTooLate(
                _(
                    "This visit is less than 24 hours away, so this repair can no longer be "
                    "added to it. Choose a time instead."
                )
            )
        if host.starts_at > now + COMBINE_WITHIN:
            raise SlotNotBookable(_("This visit is too far ahead. Choose a time instead."))


@transaction.atomic
def appointment_join(
    *,
    repair_request: RepairRequest,
    visit: Appointment | int,
    actor: User | None,
    origin: Origin,
    move_existing: bool = False,
    via: str = "",
) -> Appointment:
    """Let the request's job ride along on a planned visit of its contractor (the host): one
    visit for both jobs. The rider gets the host's slot, times and craftsman and takes no
    place of its own in the slot, so the contractor's capacity counts one visit.

    As appointment_create: the request is locked and scheduled (the webhook
    appointment.booked), the tenant gets the confirmation with its .ics. One planned visit per
    request: a request with one is refused, unless a planner combines with move_existing, which
    gives its own visit up (moved). A tenant combines only in their own dwelling, from 24
    hours to COMBINE_WITHIN ahead; a planner also in the same building, any visit not over.

    Later: the host moved or cancelled leaves its riders at their time, the first taking over
    its place (riders_take_over); the host recorded does not record a rider, each job gets
    its own outcome; a rider cancelled or moved gives no place back (appointment_release)."""
    now = timezone.now()
    repair_request = repair_request_lock(repair_request)
    if repair_request.status not in PLANNABLE_STATUSES or repair_request.contract_id is None:
        raise TransitionNotAllowed(_("This request cannot be planned in its current state."))
    current = appointment_planned_lock(repair_request)
    host = _host_lock(visit)
    if (
        current is not None
        and host is not None
        and host.pk in (current.pk, current.shared_visit_id)
        and host.request_id != repair_request.pk
    ):
        raise TransitionNotAllowed(_("These jobs are combined in one visit already."))
    appointment_join_check(repair_request=repair_request, host=host, origin=origin, now=now)
    if current is not None:
        if not move_existing or origin == Origin.TENANT:
            raise TransitionNotAllowed(_("This request already has a planned visit."))
        appointment_release(appointment=current, status=AppointmentStatus.MOVED)
    appointment = Appointment.objects.create(
        organisation_id=repair_request.organisation_id,
        request=repair_request,
        contractor_id=host.contractor_id,
        slot=host.slot,
        starts_at=host.starts_at,
        ends_at=host.ends_at,
        booked_by=actor,
        craftsman=host.craftsman,
        sequence=repair_request.appointments.count(),
        shared_visit=host,
    )
    update = []
    if repair_request.planning_note:
        repair_request.planning_note = ""
        update.append("planning_note")
    data = appointment_event_data(appointment, via)
    data["combined_with_visit"] = str(host.pk)
    repair_request_transition(
        repair_request=repair_request,
        status=Status.SCHEDULED,
        actor=actor,
        data=data,
        update_fields=tuple(update),
    )
    appointment_confirmation_queue(appointment)
    return appointment


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


def _reminder_jobs(*, appointment_id: int, tomorrow: datetime.date) -> list[Appointment]:
    """The jobs of one visit that one reminder names, under row locks: the appointment's and
    the planned jobs of the same visit (its host and the host's riders) in the same dwelling
    for the same tenant, that have had no reminder; the host first, then the riders as
    booked. A rider in another dwelling of the building has a reminder of its own. Empty
    when the appointment has had its reminder meanwhile, or has moved to another host
    meanwhile (its host gone: riders_take_over); the next run takes it then.

    The visit's rows are locked in primary-key order, so two runs never wait on each other."""
    row = (
        Appointment.objects.filter(pk=appointment_id)
        .values("shared_visit_id", "request__dwelling_id")
        .first()
    )
    if row is None:
        return []
    host_id = row["shared_visit_id"] or appointment_id
    jobs = list(
        Appointment.objects.select_for_update(of=("self",))
        .filter(Q(pk=host_id) | Q(shared_visit_id=host_id))
        .filter(
            request__dwelling_id=row["request__dwelling_id"],
            status=AppointmentStatus.PLANNED,
            slot__date=tomorrow,
            reminder_sent_at__isnull=True,
        )
        .select_related("request__reported_by", "request__tenancy__tenant")
        .order_by("pk")
    )
    mine = next((job for job in jobs if job.pk == appointment_id), None)
    if mine is None:
        return []
    recipient = tenant_email(mine.request)
    jobs = [job for job in jobs if tenant_email(job.request) == recipient]
    jobs.sort(key=lambda job: (job.shared_visit_id is not None, job.created_at, job.pk))
    return jobs


def appointment_reminders_send(*, today: datetime.date) -> int:
    """Queue the reminder of every planned visit tomorrow that has not had one, and send the
    reminders queued; one that fails stays in the outbox and is tried again there.

    A combined visit gets one reminder per dwelling, naming each of its jobs there
    (_reminder_jobs), keyed by its first job; each job named is marked reminded."""
    tomorrow = today + datetime.timedelta(days=1)
    queued = []
    ids = Appointment.objects.filter(
        status=AppointmentStatus.PLANNED, slot__date=tomorrow, reminder_sent_at__isnull=True
    ).values_list("pk", flat=True)
    for appointment_id in ids.iterator(chunk_size=500):
        with transaction.atomic():
            jobs = _reminder_jobs(appointment_id=appointment_id, tomorrow=tomorrow)
            if not jobs:
                continue
            first = jobs[0]
            message = outbox_add(
                key=f"appointment-reminder-{first.pk}",
                handler=appointment_reminder_send,
                payload={
                    "appointment_id": first.pk,
                    "appointment_ids": [job.pk for job in jobs],
                },
                organisation_id=first.organisation_id,
                send_after_commit=False,
            )
            if message is not None:
                queued.append(message.pk)
            Appointment.objects.filter(pk__in=[job.pk for job in jobs]).update(
                reminder_sent_at=timezone.now()
            )
    return outbox_send_due(ids=queued).sent if queued else 0
