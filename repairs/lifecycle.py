"""One definition of the request lifecycle: the table of statuses and the allowed transitions.

For each status the table (LIFECYCLE) gives its VERA codes, the words a tenant reads, whether
the request is open, whether a visit can be planned, and the list it waits in. The tenant's
timeline and status (timeline.py, templatetags/tenant_status.py), the contractor's lists and
planning (queue.py, services/appointments.py), the KPIs and the fee figures read it; tests/test_lifecycle.py
checks every code against the reference data in data/vera_referentiedata.csv."""

from collections.abc import Mapping
from dataclasses import dataclass, field
from enum import StrEnum

from django.db import models
from django.utils.functional import Promise
from django.utils.translation import gettext_lazy as _


class Status(models.TextChoices):
    SUBMITTED = "submitted", _("Submitted")
    ROUTED = "routed", _("Routed")
    UNROUTED = "unrouted", _("Unrouted")
    SCHEDULED = "scheduled", _("Scheduled")
    FOLLOW_UP = "follow_up", _("Follow-up needed")
    COMPLETED = "completed", _("Completed")
    CANCELLED = "cancelled", _("Cancelled")
    REJECTED = "rejected", _("Rejected")


class Queue(StrEnum):
    """The list a request waits in, for someone to act on it."""

    NONE = ""
    UNROUTED = "unrouted"  # staff's list of unrouted requests
    PLAN = "plan"  # the contractor's list to plan (queue.py "plan")
    PLANNED = "planned"  # the contractor's planned visits (queue.py "planned")


@dataclass(frozen=True)
class Stage:
    """One status of a request, as every part of the portal reads it."""

    # VERA ONDERHOUDSVERZOEKSTATUS of the request
    vera_request: str
    # VERA ONDERHOUDSORDERSTATUS of its order to the contractor; None while no order is given
    vera_order: str | None
    # what the tenant's list and request page show
    tenant_status: Promise
    # the tenant's timeline line; %(contractor)s, %(day)s and %(daypart)s are filled per event
    tenant_event: Promise
    is_open: bool
    # a planner (or the automatic planning) may plan, or move, a visit
    is_plannable: bool
    queue: str = Queue.NONE
    # the timeline line when the status follows itself (a planned visit moved)
    tenant_event_repeated: Promise | None = None
    # the timeline line for a reason (VERA ONDERHOUDSTAAKDETAILSTATUS) in the event
    tenant_event_reasons: Mapping[str, Promise] = field(default_factory=dict)
    # the tenant reads the event's note (the reason they gave) on the timeline
    tenant_reads_note: bool = False
    # an emergency still unconfirmed by the contractor in this status alerts staff
    emergency_awaits_contractor: bool = False


LIFECYCLE: dict[str, Stage] = {
    Status.SUBMITTED: Stage(
        vera_request="REG",
        vera_order=None,
        tenant_status=_("Received"),
        tenant_event=_("Received"),
        is_open=True,
        is_plannable=False,
    ),
    Status.ROUTED: Stage(
        vera_request="INB",
        vera_order="GUN",
        tenant_status=_("Received"),
        tenant_event=_("Passed on to %(contractor)s"),
        is_open=True,
        is_plannable=True,
        queue=Queue.PLAN,
        emergency_awaits_contractor=True,
    ),
    Status.UNROUTED: Stage(
        vera_request="BEO",
        vera_order=None,
        tenant_status=_("Received, we will plan this"),
        tenant_event=_("Received, we will plan this"),
        is_open=True,
        is_plannable=False,
        queue=Queue.UNROUTED,
        emergency_awaits_contractor=True,
    ),
    Status.SCHEDULED: Stage(
        vera_request="INB",
        vera_order="PLN",
        tenant_status=_("Planned"),
        tenant_event=_("Appointment on %(day)s %(daypart)s"),
        tenant_event_repeated=_("Appointment moved to %(day)s %(daypart)s"),
        is_open=True,
        is_plannable=True,
        queue=Queue.PLANNED,
        emergency_awaits_contractor=True,
    ),
    Status.FOLLOW_UP: Stage(
        vera_request="INB",
        vera_order="INB",
        tenant_status=_("Another appointment is needed"),
        tenant_event=_("Another appointment is needed"),
        tenant_event_reasons={
            "AFW": _("Nobody was home; another appointment is needed"),
            # the tenant answered the survey "not solved" (repair_request_reopen)
            "reopened": _("You told us the problem is not solved; the contractor comes back"),
        },
        is_open=True,
        is_plannable=True,
        queue=Queue.PLAN,
    ),
    Status.COMPLETED: Stage(
        vera_request="TEC",
        vera_order="TEC",
        tenant_status=_("Solved"),
        tenant_event=_("Solved"),
        is_open=False,
        is_plannable=False,
    ),
    Status.CANCELLED: Stage(
        vera_request="GEA",
        vera_order="GEA",
        tenant_status=_("Cancelled"),
        tenant_event=_("Cancelled"),
        tenant_reads_note=True,
        is_open=False,
        is_plannable=False,
    ),
    Status.REJECTED: Stage(
        vera_request="GEA",
        vera_order=None,
        tenant_status=_("Not for us to carry out"),
        tenant_event=_("Not for us to carry out"),
        # the reason staff or the planner gave, which the tenant reads
        tenant_reads_note=True,
        is_open=False,
        is_plannable=False,
    ),
}


def statuses(predicate) -> tuple[str, ...]:
    """The statuses whose stage answers the predicate, in the order of Status."""
    return tuple(status for status in Status if predicate(LIFECYCLE[status]))


OPEN_STATUSES = frozenset(statuses(lambda stage: stage.is_open))
PLANNABLE_STATUSES = statuses(lambda stage: stage.is_plannable)
# Routed or follow-up: the contractor's list to plan (request_contractor_waiting's condition).
WAITING_FOR_A_VISIT = statuses(lambda stage: stage.queue == Queue.PLAN)
EMERGENCY_AWAITS_CONTRACTOR = statuses(lambda stage: stage.emergency_awaits_contractor)

ALLOWED_TRANSITIONS: dict[str, frozenset[str]] = {
    Status.SUBMITTED: frozenset({Status.ROUTED, Status.UNROUTED, Status.CANCELLED}),
    Status.UNROUTED: frozenset({Status.ROUTED, Status.CANCELLED, Status.REJECTED}),
    # A routed request is completed only through a recorded visit (scheduled first).
    Status.ROUTED: frozenset(
        {Status.SCHEDULED, Status.CANCELLED, Status.REJECTED, Status.UNROUTED}
    ),
    Status.SCHEDULED: frozenset(
        {
            Status.SCHEDULED,
            Status.FOLLOW_UP,
            Status.COMPLETED,
            Status.CANCELLED,
            Status.REJECTED,
            Status.ROUTED,
        }
    ),
    Status.FOLLOW_UP: frozenset({Status.SCHEDULED, Status.COMPLETED, Status.REJECTED}),
    # Only the tenant reopens a completed request, answering the survey "Is the problem
    # solved?" with "No" (surveys.services.survey_answer -> repair_request_reopen): it goes
    # back to the same contractor as a follow-up, planned like any other.
    Status.COMPLETED: frozenset({Status.FOLLOW_UP}),
    Status.CANCELLED: frozenset(),
    Status.REJECTED: frozenset(),
}


def can_transition(current: str, new: str) -> bool:
    return new in ALLOWED_TRANSITIONS.get(current, frozenset())
