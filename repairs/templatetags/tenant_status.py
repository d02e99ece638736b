"""A request's status in the tenant's words (the lifecycle table's): one dict lookup, also
inside long lists."""

from django import template

from ..lifecycle import LIFECYCLE, Status

register = template.Library()


@register.filter
def tenant_status(status: str) -> str:
    return (LIFECYCLE.get(status) or LIFECYCLE[Status.REJECTED]).tenant_status
