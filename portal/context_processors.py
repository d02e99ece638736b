from django.urls import NoReverseMatch, reverse
from django.utils.functional import SimpleLazyObject
from django.utils.translation import gettext_lazy as _

from .models import Organisation

TENANT_NAV = (("my_repairs", _("My repairs")), ("report_start", _("Report a repair")))
PLANNER_NAV = (
    ("contractor_home", _("Work queue")),
    ("craftsman_day", _("Today's visits")),
    ("capacity_overview", _("Capacity")),
    ("contractor_kpis", _("Figures")),
)
CRAFTSMAN_NAV = (("craftsman_day", _("My day")),)


def _tenant_organisation(user) -> Organisation | None:
    if not user.is_authenticated or user.is_staff:
        return None
    return (
        Organisation.objects.filter(tenancies__tenant=user)
        .order_by("-tenancies__start_date")
        .first()
    )


def _nav(request) -> list[dict]:
    user = request.user
    if not user.is_authenticated or user.is_staff:
        return []
    membership = getattr(user, "contractor_membership", None)
    if membership is None:
        entries = TENANT_NAV
    elif membership.role == "planner":
        entries = PLANNER_NAV
    else:
        entries = CRAFTSMAN_NAV
    items = []
    for name, label in entries:
        try:
            url = reverse(name)
        except NoReverseMatch:
            continue
        items.append({"url": url, "label": label, "active": request.path.startswith(url)})
    return items


def portal(request) -> dict:
    """The tenant's association (name, emergency number) and the menu, read only when shown."""
    return {
        "portal_organisation": SimpleLazyObject(lambda: _tenant_organisation(request.user)),
        "portal_nav": SimpleLazyObject(lambda: _nav(request)),
    }
