"""Whether a tenant may still move or cancel a visit themselves, for mails and pages."""

from django import template
from django.utils import timezone

from portal.access import appointment_can_change

register = template.Library()


@register.filter
def change_allowed(appointment) -> bool:
    """True until 24 hours before the visit (portal.access.appointment_can_change), false
    after."""
    return appointment_can_change(appointment=appointment, now=timezone.now())
