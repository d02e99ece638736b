"""The staff's start page on the admin index (templates/admin/index.html): what needs them
today, and this quarter's scorecard per contract (surveys.start), for the associations of
the user who is logged in."""

from django import template
from django.urls import reverse
from django.utils import timezone

from portal.db_router import reporting_reads
from portal.scoping import organisation_scope

from ..start import staff_scorecard_rows_cached, staff_work_counts

register = template.Library()

SCORECARD_PERMISSION = "surveys.view_contractscorecard"


@register.inclusion_tag("admin/surveys/staff_start.html", takes_context=True)
def staff_start(context) -> dict:
    user = context["request"].user
    scope = organisation_scope(user)
    permissions = None if user.is_superuser else user.get_all_permissions()
    counts = staff_work_counts(scope=scope, now=timezone.now(), permissions=permissions)
    scorecards = None
    if permissions is None or SCORECARD_PERMISSION in permissions:
        with reporting_reads():
            scorecards = staff_scorecard_rows_cached(scope=scope, today=timezone.localdate())
    return {
        "work": counts,
        "waiting": sum(item.count for item in counts),
        "scorecards": scorecards,
        "scorecards_url": reverse("admin:surveys_contractscorecard_changelist"),
        "several_associations": len({row.organisation for row in scorecards or []}) > 1,
    }
