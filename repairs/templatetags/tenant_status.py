"""A request's status in the tenant's words: one dict lookup, also inside long lists."""

from django import template
from django.utils.translation import gettext_lazy as _

from ..lifecycle import Status

register = template.Library()

TENANT_STATUS = {
    Status.SUBMITTED: _("Received"),
    Status.ROUTED: _("Received"),
    Status.UNROUTED: _("Received, we will plan this"),
    Status.SCHEDULED: _("Planned"),
    Status.FOLLOW_UP: _("Another appointment is needed"),
    Status.COMPLETED: _("Solved"),
    Status.CANCELLED: _("Cancelled"),
    Status.REJECTED: _("Not for us to carry out"),
}


@register.filter
def tenant_status(status: str) -> str:
    return TENANT_STATUS.get(status, TENANT_STATUS[Status.REJECTED])
