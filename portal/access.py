"""Who may do what as a tenant or as staff: plain rule functions, and the view decorators
that call them.

Rules take what they judge and answer True or False; the decorators turn a refusal into the
page's answer (404 for anyone who is not a tenant: never a hint that the page exists). Pages,
services and (next) the API ask these rules instead of deciding inline.
"""

import datetime
import functools

from django.contrib.auth.decorators import login_required
from django.http import Http404

from .models import Tenancy, User
from .selectors import staff_organisation_ids

# Tenants may move or cancel a visit until this long before it starts.
CHANGE_DEADLINE = datetime.timedelta(hours=24)

__all__ = [
    "CHANGE_DEADLINE",
    "appointment_can_change",
    "change_allowed_until",
    "is_staff",
    "is_tenant",
    "repair_request_can_reject",
    "tenant_required",
]


def is_tenant(user: User) -> bool:
    """Logged in and holding a tenancy (current or not)."""
    return user.is_authenticated and Tenancy.objects.filter(tenant=user).exists()


def is_staff(user: User) -> bool:
    """Logged in as staff of an association (or a superuser): their home is the admin, where
    `portal.selectors.staff_organisation_ids` scopes every screen."""
    return user.is_authenticated and user.is_staff


def change_allowed_until(appointment) -> datetime.datetime:
    """The last moment the tenant may still move or cancel this visit themselves."""
    return appointment.starts_at - CHANGE_DEADLINE


def appointment_can_change(*, appointment, now: datetime.datetime) -> bool:
    """Whether the tenant may still move or cancel the visit: until CHANGE_DEADLINE (24 hours)
    before it starts, that very moment included."""
    return now <= change_allowed_until(appointment)


def tenant_required(view):
    """Logged in, and a tenant: anyone else gets 404 on tenant pages, never a hint."""

    @login_required
    @functools.wraps(view)
    def wrapper(request, *args, **kwargs):
        if not is_tenant(request.user):
            raise Http404
        return view(request, *args, **kwargs)

    return wrapper


def repair_request_can_reject(*, user: User, repair_request) -> bool:
    """Whether this user may reject the request as staff: staff of the request's association
    (a superuser of any). Whether its status still allows it is the lifecycle's answer."""
    if not is_staff(user):
        return False
    organisation_ids = staff_organisation_ids(user)
    return organisation_ids is None or repair_request.organisation_id in organisation_ids
