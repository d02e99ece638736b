"""The staff's start page on the admin index (templates/admin/index.html): what needs them
today (surveys.start), for the associations of the user who is logged in."""

from django import template
from django.utils import timezone

from portal.scoping import organisation_scope

from ..start import staff_work_counts

register = template.Library()


@register.inclusion_tag("admin/surveys/staff_start.html", takes_context=True)
def staff_start(context) -> dict:
    user = context["request"].user
    counts = staff_work_counts(
        scope=organisation_scope(user),
        now=timezone.now(),
        permissions=None if user.is_superuser else user.get_all_permissions(),
    )
    return {"work": counts, "waiting": sum(item.count for item in counts)}
