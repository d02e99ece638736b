"""Whether a tenant may still move or cancel a visit themselves, for mails and pages."""

from django import template
from django.utils import timezone

from ..services import change_allowed_until

register = template.Library()


@register.filter
def change_allowed(appointment) -> bool:
    """True until 24 hours before the visit (services.CHANGE_DEADLINE), false after."""
    return timezone.now() <= change_allowed_until(appointment)
