"""A request's deadline from its contract's norms (repairs.norms), as people read it: an
emergency's to the minute, a working-day deadline as the last day it is in time."""

from django import template
from django.utils import formats, timezone

from ..norms import AMSTERDAM, last_day

register = template.Library()


@register.filter
def deadline(repair_request) -> str:
    """'14 April 2026' or, for an emergency, '4 March 2026 10:15'; '' without a deadline."""
    due = repair_request.complete_due_at
    if due is None:
        return ""
    if repair_request.is_urgent:
        return formats.date_format(timezone.localtime(due, AMSTERDAM), "j F Y H:i")
    return formats.date_format(last_day(due), "j F Y")


@register.filter
def is_late(repair_request) -> bool:
    return repair_request.is_late()
