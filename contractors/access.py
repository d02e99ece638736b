"""Who may do what as a contractor user: the membership, its role, and the rules on visits;
plain functions, and the view decorators that call them.

A planner works on all of their contractor's requests; a craftsman on their own visits and
on today's visits nobody is assigned to yet. Anyone else gets 404 on contractor pages, as for
a page that does not exist. Pages and (next) the API ask these rules instead of deciding
inline; the rows a user may see at all are scoped in the queries (repairs/queue.py).
"""

import datetime
import functools

from django.contrib.auth.decorators import login_required
from django.http import Http404
from django.utils import timezone

from portal.models import User

from .models import ContractorMembership, ContractorRole

__all__ = [
    "appointment_can_record",
    "contractor_required",
    "is_planner",
    "membership_for",
    "planner_required",
    "repair_request_can_reject",
]


def membership_for(user: User) -> ContractorMembership:
    """The contractor membership of a logged-in user, or 404 for anyone else."""
    if not user.is_authenticated:
        raise Http404
    membership = ContractorMembership.objects.select_related("contractor").filter(user=user).first()
    if membership is None:
        raise Http404
    return membership


def is_planner(membership: ContractorMembership) -> bool:
    return membership.role == ContractorRole.PLANNER


def appointment_can_record(
    *,
    membership: ContractorMembership,
    appointment,
    today: datetime.date | None = None,
) -> bool:
    """Whether this contractor user may record the outcome of this planned visit: a planner
    any visit of their contractor, a craftsman their own visit, or a visit of their contractor
    nobody is assigned to on its own day. Nobody records another contractor's visit."""
    if appointment.contractor_id != membership.contractor_id:
        return False
    if is_planner(membership):
        return True
    if appointment.craftsman_id == membership.user_id:
        return True
    today = timezone.localdate() if today is None else today
    return (
        appointment.craftsman_id is None
        and timezone.localtime(appointment.starts_at).date() == today
    )


def contractor_required(role: str | None = None):
    """Logged in as a contractor user (of the given role): anyone else gets 404. The view
    finds the membership on `request.membership`."""

    def decorator(view):
        @login_required
        @functools.wraps(view)
        def wrapper(request, *args, **kwargs):
            membership = membership_for(request.user)
            if role is not None and membership.role != role:
                raise Http404
            request.membership = membership
            return view(request, *args, **kwargs)

        return wrapper

    return decorator


def planner_required(view):
    """Logged in as a planner of a contractor: anyone else gets 404."""
    return contractor_required(ContractorRole.PLANNER)(view)


def repair_request_can_reject(*, membership: ContractorMembership, repair_request) -> bool:
    """Whether this contractor user may reject the request (not theirs to carry out): only a
    planner of the contractor it is routed to. Whether its status still allows it is the
    lifecycle's answer (repairs.lifecycle.can_transition)."""
    return is_planner(membership) and repair_request.contractor_id == membership.contractor_id
