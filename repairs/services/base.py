"""What every write to repairs builds on: the refusals, the event of each change, the status
transition that checks and records it, and the row locks taken before a change."""

from typing import Any

from django.utils.translation import gettext as _

from portal.errors import ApplicationError, TransitionNotAllowed
from portal.models import User
from webhooks.models import EventType
from webhooks.services import webhook_event_emit

from ..lifecycle import LIFECYCLE, Status, can_transition
from ..models import Appointment, AppointmentStatus, EventKind, RepairEvent, RepairRequest


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


class VisitNotRecordable(ApplicationError):
    pass


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
    previous = repair_request.status
    held_by = order_holder_before(repair_request, previous, update_fields)
    repair_request.status = status
    repair_request.save(update_fields=["status", *update_fields])
    event = repair_event_record(
        repair_request=repair_request, status=status, actor=actor, note=note, data=data
    )
    taken_from = order_taken_from(repair_request, held_by=held_by, status=status)
    if taken_from is not None:
        # The contractor that loses the order is told it is off (its own endpoints only: for
        # the association the request goes on).
        webhook_event_emit(
            event_type=EventType.ORDER_CANCELLED,
            organisation_id=None,
            contractor_id=taken_from,
            subject_id=repair_request.pk,
            data=lambda: webhook_order_withdrawn_data(repair_request, contractor_id=taken_from),
            event_id=f"{event.pk}-{EventType.ORDER_CANCELLED}-withdrawn",
            now=event.created_at,
        )
    handed_over = taken_from is not None and repair_request.contractor_id is not None
    for event_type in webhook_events_of(
        previous,
        status,
        has_order=held_by is not None,
        handed_over=handed_over,
    ):
        webhook_event_emit(
            event_type=event_type,
            organisation_id=repair_request.organisation_id,
            contractor_id=repair_request.contractor_id,
            subject_id=repair_request.pk,
            data=lambda event_type=event_type: webhook_order_data(
                repair_request, event_type=event_type, event_data=data or {}
            ),
            event_id=f"{event.pk}-{event_type}",
            now=event.created_at,
        )
    return repair_request


def order_holder_before(
    repair_request: RepairRequest, previous: str, update_fields: tuple[str, ...]
) -> int | None:
    """The contractor whose order the request was before this change: None when it was no
    order (submitted, unrouted, rejected). A caller that hands the request to another
    contractor has set the new one already; the stored row still names the old one."""
    if LIFECYCLE[previous].vera_order is None:
        return None
    if "contractor" not in update_fields:
        return repair_request.contractor_id
    return (
        RepairRequest.objects.filter(pk=repair_request.pk)
        .values_list("contractor_id", flat=True)
        .first()
    )


def order_taken_from(
    repair_request: RepairRequest, *, held_by: int | None, status: str
) -> int | None:
    """The contractor an order is taken away from by this change: back to unrouted, or
    handed to another contractor."""
    if held_by is None:
        return None
    if status == Status.UNROUTED or repair_request.contractor_id != held_by:
        return held_by
    return None


def webhook_events_of(
    previous: str,
    status: str,
    *,
    has_order: bool,
    handed_over: bool = False,
) -> list[str]:
    """The webhook events of one status change, in the order they are sent. `has_order`: the
    request was an order before the change; `handed_over`: it now is another contractor's."""
    events = []
    # A planned visit given up without being held: moved back to planning, or the request
    # cancelled or rejected with it.
    if previous == Status.SCHEDULED and status in (
        Status.ROUTED,
        Status.CANCELLED,
        Status.REJECTED,
    ):
        events.append(EventType.APPOINTMENT_CANCELLED)
    given = status == Status.ROUTED and (
        previous in (Status.SUBMITTED, Status.UNROUTED) or handed_over
    )
    # The tenant says a completed repair is not solved (repair_request_reopen): the order is
    # the contractor's again, to plan, as when it was given (the payload says "reopened").
    reopened = status == Status.FOLLOW_UP and previous == Status.COMPLETED
    if given or reopened:
        events.append(EventType.ORDER_CREATED)
    elif status == Status.SCHEDULED:
        moved = previous == Status.SCHEDULED
        events.append(EventType.APPOINTMENT_MOVED if moved else EventType.APPOINTMENT_BOOKED)
    elif status in (Status.CANCELLED, Status.REJECTED) and has_order:
        events.append(EventType.ORDER_CANCELLED)
    elif status == Status.COMPLETED:
        events.append(EventType.REQUEST_COMPLETED)
    return events


def webhook_order_data(
    repair_request: RepairRequest, *, event_type: str, event_data: dict[str, Any]
) -> dict[str, Any]:
    """A thin payload: ids, VERA codes and times; a receiver reads the rest over the API."""
    stage = LIFECYCLE[repair_request.status]
    data: dict[str, Any] = {
        "order_id": repair_request.pk,
        "reference": repair_request.reference,
        "organisation_id": repair_request.organisation_id,
        "contractor_id": repair_request.contractor_id,
        "order_status": stage.vera_order,
        "request_status": stage.vera_request,
        "urgent": repair_request.is_urgent,
    }
    if event_type in (EventType.APPOINTMENT_BOOKED, EventType.APPOINTMENT_MOVED):
        appointment = (
            Appointment.objects.filter(request=repair_request, status=AppointmentStatus.PLANNED)
            .order_by("-pk")
            .values("pk", "starts_at", "ends_at")
            .first()
        )
        if appointment is not None:
            data["appointment"] = {
                "id": appointment["pk"],
                "starts_at": appointment["starts_at"].isoformat(),
                "ends_at": appointment["ends_at"].isoformat(),
            }
    elif event_type == EventType.APPOINTMENT_CANCELLED and "visit" in event_data:
        data["appointment"] = {"id": event_data["visit"]}
    elif event_type == EventType.ORDER_CREATED and event_data.get("reason") == "reopened":
        data["reopened"] = True
    return data


def webhook_order_withdrawn_data(repair_request: RepairRequest, *, contractor_id: int) -> dict:
    """order.cancelled for the contractor an order is taken from: its own id, and GEA, the
    order's end for that contractor, whatever becomes of the request."""
    return {
        **webhook_order_data(repair_request, event_type=EventType.ORDER_CANCELLED, event_data={}),
        "contractor_id": contractor_id,
        "order_status": "GEA",
        "withdrawn": True,
    }


def repair_request_lock(repair_request: RepairRequest) -> RepairRequest:
    """The request read again under a row lock, with its contract and contractor."""
    return (
        RepairRequest.objects.select_for_update(of=("self",))
        .select_related("contract", "contractor")
        .get(pk=repair_request.pk)
    )


def appointment_planned_lock(repair_request: RepairRequest) -> Appointment | None:
    """The request's planned visit under a row lock, if it has one."""
    return (
        Appointment.objects.select_for_update()
        .filter(request=repair_request, status=AppointmentStatus.PLANNED)
        .first()
    )
