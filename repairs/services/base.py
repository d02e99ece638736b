"""What every write to repairs builds on: the refusals, the event of each change, the status
transition that checks and records it, and the row locks taken before a change."""

from typing import Any

from django.utils.translation import gettext as _

from portal.errors import ApplicationError, TransitionNotAllowed
from portal.models import User

from ..lifecycle import Status, can_transition
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
    repair_request.status = status
    repair_request.save(update_fields=["status", *update_fields])
    repair_event_record(
        repair_request=repair_request, status=status, actor=actor, note=note, data=data
    )
    return repair_request


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
