import time

from django.urls import NoReverseMatch, reverse
from django.utils.functional import SimpleLazyObject
from django.utils.translation import gettext_lazy as _

from .models import Organisation

TENANT_NAV = (("my_repairs", _("My repairs")), ("report_start", _("Report a repair")))
PLANNER_NAV = (
    ("contractor_home", _("Work queue")),
    ("craftsman_day", _("Today's visits")),
    ("capacity_overview", _("Capacity")),
    ("contractor_projects", _("Projects")),
    ("contractor_kpis", _("Figures")),
)
CRAFTSMAN_NAV = (("craftsman_day", _("My day")),)
NAV = {"tenant": TENANT_NAV, "planner": PLANNER_NAV, "craftsman": CRAFTSMAN_NAV}

# Who the header is for (the tenant's association, which menu) is kept in the session and
# read again after this many seconds: two queries fewer on every page. A move to another
# association or a new contractor role shows in the header within this time; what a user
# may see and do is checked by every view on its own, never from this.
HEADER_SESSION_KEY = "portal_header"
HEADER_MAX_AGE = 300


def _header_read(request) -> dict:
    user = request.user
    # Contractor pages have already loaded the membership (repairs.contractor_views).
    membership = getattr(request, "membership", None)
    if membership is None:
        membership = getattr(user, "contractor_membership", None)
    if membership is not None:
        return {"nav": "planner" if membership.role == "planner" else "craftsman", "org": None}
    organisation = (
        Organisation.objects.filter(tenancies__tenant=user)
        .order_by("-tenancies__start_date")
        .values("pk", "name", "emergency_phone")
        .first()
    )
    return {"nav": "tenant", "org": organisation}


def _header(request) -> dict:
    """The header of a logged-in tenant or contractor user, from the session when fresh."""
    user = request.user
    if not user.is_authenticated or user.is_staff:
        return {"nav": None, "org": None}
    session = getattr(request, "session", None)
    if session is None:
        return _header_read(request)
    header = session.get(HEADER_SESSION_KEY)
    now = time.time()
    if header is None or header.get("user") != user.pk or now - header["at"] > HEADER_MAX_AGE:
        header = {**_header_read(request), "user": user.pk, "at": now}
        session[HEADER_SESSION_KEY] = header
    return header


def _nav(request, header: dict) -> list[dict]:
    items = []
    for name, label in NAV.get(header["nav"], ()):
        try:
            url = reverse(name)
        except NoReverseMatch:
            continue
        items.append({"url": url, "label": label, "active": request.path.startswith(url)})
    return items


def portal(request) -> dict:
    """The tenant's association (name, emergency number) and the menu, read only when shown."""
    header = SimpleLazyObject(lambda: _header(request))
    return {
        "portal_organisation": SimpleLazyObject(lambda: header["org"]),
        "portal_nav": SimpleLazyObject(lambda: _nav(request, header)),
    }
