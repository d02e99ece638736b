"""What the lifecycle table says of a status, for templates: open or closed, plannable."""

from django import template

from ..lifecycle import LIFECYCLE

register = template.Library()


@register.filter
def status_is_open(status: str) -> bool:
    stage = LIFECYCLE.get(status)
    return stage is None or stage.is_open


@register.filter
def status_is_plannable(status: str) -> bool:
    stage = LIFECYCLE.get(status)
    return stage is not None and stage.is_plannable
