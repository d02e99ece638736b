"""One definition of the request lifecycle: the transitions, their VERA codes and tenant words."""

from django.db import models
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


ALLOWED_TRANSITIONS: dict[str, frozenset[str]] = {
    Status.SUBMITTED: frozenset({Status.ROUTED, Status.UNROUTED, Status.CANCELLED}),
    Status.UNROUTED: frozenset({Status.ROUTED, Status.CANCELLED, Status.REJECTED}),
    Status.ROUTED: frozenset(
        {Status.SCHEDULED, Status.COMPLETED, Status.CANCELLED, Status.REJECTED, Status.UNROUTED}
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
    Status.COMPLETED: frozenset(),
    Status.CANCELLED: frozenset(),
    Status.REJECTED: frozenset(),
}

OPEN_STATUSES = frozenset(
    {Status.SUBMITTED, Status.ROUTED, Status.UNROUTED, Status.SCHEDULED, Status.FOLLOW_UP}
)

# status -> (VERA ONDERHOUDSVERZOEKSTATUS, VERA ONDERHOUDSORDERSTATUS or None)
VERA_CODES: dict[str, tuple[str, str | None]] = {
    Status.SUBMITTED: ("REG", None),
    Status.ROUTED: ("INB", "GUN"),
    Status.UNROUTED: ("BEO", None),
    Status.SCHEDULED: ("INB", "PLN"),
    Status.FOLLOW_UP: ("INB", "INB"),
    Status.COMPLETED: ("TEC", "TEC"),
    Status.CANCELLED: ("GEA", "GEA"),
    Status.REJECTED: ("GEA", None),
}

# What a tenant reads on the timeline for each status; placeholders are filled per event.
TENANT_WORDS: dict[str, str] = {
    Status.SUBMITTED: _("Received"),
    Status.ROUTED: _("Passed on to %(contractor)s"),
    Status.UNROUTED: _("Received, we will plan this"),
    Status.SCHEDULED: _("Appointment on %(day)s %(daypart)s"),
    Status.FOLLOW_UP: _("Another appointment is needed"),
    Status.COMPLETED: _("Solved"),
    Status.CANCELLED: _("Cancelled"),
    Status.REJECTED: _("Not for us to carry out"),
}


def can_transition(current: str, new: str) -> bool:
    return new in ALLOWED_TRANSITIONS.get(current, frozenset())
