"""A request's deadline from its contract's norms (repairs.norms), as people read it."""

from django import template

from ..norms import deadline_text

register = template.Library()


@register.filter
def deadline(repair_request) -> str:
    """'14 April 2026' or, for an emergency, '4 March 2026 10:15'; '' without a deadline."""
    return deadline_text(repair_request)


@register.filter
def visit_deadline(repair_request) -> str:
    """When the contract's norm wants the contractor on site, as `deadline` reads."""
    return deadline_text(repair_request, field="visit_due_at")


@register.filter
def is_late(repair_request) -> bool:
    return repair_request.is_late()
