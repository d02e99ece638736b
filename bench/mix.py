"""The pages of the benchmark mix, and the seeded users and objects they are opened with.

One list serves the in-process runner (pages.py: the heaviest realistic case per page: the
planner of the contractor with the most requests, a tenant with several requests, staff of
that association) and the load run (load.py: pools of tenants, planners, craftsmen and staff,
weighted like real traffic). Call after django.setup().
"""

import datetime
from collections.abc import Callable
from dataclasses import dataclass, field

from django.db import connection
from django.urls import reverse
from django.utils import timezone


@dataclass(frozen=True)
class Page:
    name: str
    role: str  # tenant, planner, craftsman, staff, superuser, anonymous
    weight: float  # share in the load mix (relative)
    url: Callable[[dict], str]
    note: str = ""


def _queue(name: str) -> Callable[[dict], str]:
    return lambda fx: reverse("work_queue", args=[name])


def _search(key: str) -> Callable[[dict], str]:
    return lambda fx: f"{reverse('work_queue', args=['all'])}?q={fx[key]}"


def _admin(name: str, query: str = "") -> Callable[[dict], str]:
    def url(fx: dict) -> str:
        return reverse(name) + (query.format(**fx) if query else "")

    return url


PAGES: list[Page] = [
    # Tenants, mostly on a phone.
    Page("tenant_list", "tenant", 14, lambda fx: reverse("my_repairs")),
    Page(
        "tenant_detail",
        "tenant",
        14,
        lambda fx: reverse("repair_detail", args=[fx["tenant_reference"]]),
    ),
    Page(
        "booking",
        "tenant",
        5,
        lambda fx: reverse("report_category", args=[fx["category_id"]]),
        "report form with free dayparts",
    ),
    # Contractor planners and craftsmen.
    Page("planner_new", "planner", 6, _queue("new")),
    Page("planner_plan", "planner", 6, _queue("plan")),
    Page("planner_today", "planner", 4, _queue("today")),
    Page("planner_overdue", "planner", 2, _queue("overdue")),
    Page("planner_emergency", "planner", 2, _queue("emergency")),
    Page("planner_all", "planner", 3, _queue("all")),
    Page("planner_search_ref", "planner", 2, _search("reference")),
    Page("planner_search_postcode", "planner", 1, _search("postcode")),
    Page("planner_search_street", "planner", 1, _search("street")),
    Page(
        "planner_request",
        "planner",
        8,
        lambda fx: reverse("contractor_request", args=[fx["reference"]]),
    ),
    Page("craftsman_day", "craftsman", 6, lambda fx: reverse("craftsman_day")),
    # Housing staff in the admin.
    Page("admin_requests", "staff", 3, _admin("admin:repairs_repairrequest_changelist")),
    Page(
        "admin_search_ref",
        "staff",
        2,
        _admin("admin:repairs_repairrequest_changelist", "?q={reference}"),
    ),
    Page(
        "admin_search_street",
        "staff",
        1,
        _admin("admin:repairs_repairrequest_changelist", "?q={street}"),
    ),
    Page(
        "admin_requests_all",
        "superuser",
        0.2,
        _admin("admin:repairs_repairrequest_changelist"),
        "superuser: every association",
    ),
    Page(
        "admin_search_ref_all",
        "superuser",
        0.2,
        _admin("admin:repairs_repairrequest_changelist", "?q={reference}"),
        "superuser: every association",
    ),
    Page("admin_dwellings", "staff", 2, _admin("admin:portal_dwelling_changelist")),
    Page("kpi_one", "staff", 1, _admin("admin:surveys_kpidashboard_changelist"), "12 months"),
    Page(
        "kpi_all",
        "superuser",
        0.3,
        _admin("admin:surveys_kpidashboard_changelist"),
        "all associations",
    ),
    Page(
        "fee_period",
        "staff",
        0.5,
        _admin("admin:contractors_feestatement_period", "?kind=month&day={fee_day}"),
        "one month, one association",
    ),
    Page("follow_ups", "staff", 1, _admin("admin:surveys_followup_changelist")),
    Page("login_page", "anonymous", 10, lambda fx: reverse("login")),
    # Screens added later: the staff start page, area scorecards, projects, SROI.
    Page("planner_planned", "planner", 2, _queue("planned")),
    Page("planner_projects", "planner", 0.5, lambda fx: reverse("contractor_projects")),
    Page("admin_start", "staff", 2, _admin("admin:index"), "counts; scorecard rows cached"),
    Page("scorecards", "staff", 0.3, _admin("admin:surveys_contractscorecard_changelist")),
    Page(
        "scorecard",
        "staff",
        0.3,
        lambda fx: reverse("admin:surveys_contractscorecard_change", args=[fx["contract_id"]]),
        "one contract, this quarter, 8 quarters of trend",
    ),
    Page(
        "scorecards_all",
        "superuser",
        0.1,
        _admin("admin:surveys_contractscorecard_changelist"),
        "superuser: every association's contracts",
    ),
    Page("admin_projects", "staff", 0.3, _admin("admin:projects_project_changelist")),
    Page(
        "sroi_neighbourhoods",
        "staff",
        0.2,
        _admin("admin:contractors_sroicontribution_neighbourhoods"),
    ),
]
PAGE_BY_NAME = {page.name: page for page in PAGES}
BIG_TABLES = {
    "repairs_repairrequest": "request",
    "repairs_repairevent": "event",
    "repairs_appointment": "visit",
    "surveys_surveyinvitation": "invitation",
}


@dataclass
class Identity:
    role: str
    user_id: int | None
    fx: dict = field(default_factory=dict)


def _rows(sql: str, params=()) -> list[tuple]:
    with connection.cursor() as cursor:
        cursor.execute(sql, params)
        return cursor.fetchall()


def _fee_day() -> str:
    first = timezone.localdate().replace(day=1)
    return (first - datetime.timedelta(days=1)).replace(day=1).isoformat()


def _request_fx(request_id: int) -> dict:
    reference, postcode, street = _rows(
        "SELECT r.reference, d.postcode, d.street FROM repairs_repairrequest r "
        "JOIN portal_dwelling d ON d.id = r.dwelling_id WHERE r.id = %s",
        [request_id],
    )[0]
    return {"reference": reference, "postcode": postcode, "street": street}


def contractor_shares() -> list[tuple[int, int]]:
    """(contractor id, requests), largest first: one aggregate over the request table."""
    return _rows(
        "SELECT contractor_id, COUNT(*) FROM repairs_repairrequest "
        "WHERE contractor_id IS NOT NULL GROUP BY 1 ORDER BY 2 DESC"
    )


def _planner(contractor_id: int) -> int:
    return _rows(
        "SELECT user_id FROM contractors_contractormembership "
        "WHERE contractor_id = %s AND role = 'planner' ORDER BY id LIMIT 1",
        [contractor_id],
    )[0][0]


def _planner_request(contractor_id: int) -> int:
    """A request of the contractor with a rich page: the latest with a follow-up visit."""
    rows = _rows(
        "SELECT id FROM repairs_repairrequest WHERE contractor_id = %s "
        "AND created_at > now() - interval '120 days' AND status = 'completed' "
        "AND first_time_fix = false ORDER BY created_at DESC LIMIT 1",
        [contractor_id],
    ) or _rows(
        "SELECT id FROM repairs_repairrequest WHERE contractor_id = %s "
        "ORDER BY created_at DESC LIMIT 1",
        [contractor_id],
    )
    return rows[0][0]


def _craftsmen(contractor_id: int | None, limit: int) -> list[int]:
    """Craftsmen with visits today (of one contractor, or any), busiest first."""
    rows = _rows(
        "SELECT m.user_id FROM contractors_contractormembership m "
        "LEFT JOIN repairs_appointment a ON a.craftsman_id = m.user_id "
        "AND a.starts_at >= date_trunc('day', now()) "
        "AND a.starts_at < date_trunc('day', now()) + interval '1 day' "
        "WHERE m.role = 'craftsman' AND (%s::bigint IS NULL OR m.contractor_id = %s) "
        "GROUP BY m.user_id ORDER BY COUNT(a.id) DESC, m.user_id LIMIT %s",
        [contractor_id, contractor_id, limit],
    )
    return [row[0] for row in rows]


def _tenants(limit: int) -> list[tuple[int, str, int]]:
    """(tenant user, reference of their latest open request, organisation) for tenants with
    an open request, most requests first; tenants with any request if none is open."""
    rows = _rows(
        "WITH open AS ("
        "  SELECT DISTINCT ON (t.tenant_id) t.tenant_id, r.reference, r.organisation_id"
        "  FROM repairs_repairrequest r JOIN portal_tenancy t ON t.id = r.tenancy_id"
        "  WHERE t.tenant_id IS NOT NULL AND t.end_date IS NULL"
        "  AND r.status IN ('routed', 'scheduled', 'follow_up')"
        "  ORDER BY t.tenant_id, r.created_at DESC)"
        " SELECT o.tenant_id, o.reference, o.organisation_id FROM open o"
        " JOIN portal_tenancy t ON t.tenant_id = o.tenant_id"
        " JOIN repairs_repairrequest r ON r.tenancy_id = t.id"
        " GROUP BY 1, 2, 3 ORDER BY COUNT(*) DESC, 1 LIMIT %s",
        [limit],
    )
    if not rows:
        rows = _rows(
            "SELECT DISTINCT ON (t.tenant_id) t.tenant_id, r.reference, r.organisation_id"
            " FROM repairs_repairrequest r JOIN portal_tenancy t ON t.id = r.tenancy_id"
            " WHERE t.tenant_id IS NOT NULL AND t.end_date IS NULL"
            " ORDER BY t.tenant_id, r.created_at DESC LIMIT %s",
            [limit],
        )
    return rows


def _booking_category(organisation_id: int) -> int:
    return _rows(
        "SELECT id FROM repairs_repaircategory WHERE organisation_id = %s "
        "AND responsibility = 'landlord' AND NOT is_emergency AND is_active ORDER BY id LIMIT 1",
        [organisation_id],
    )[0][0]


def _staff(organisation_id: int) -> int:
    return _rows(
        "SELECT user_id FROM portal_staffmembership WHERE organisation_id = %s ORDER BY id LIMIT 1",
        [organisation_id],
    )[0][0]


def _contract(organisation_id: int, contractor_id: int) -> int | None:
    """The association's latest contract with the contractor (the scorecard's page)."""
    rows = _rows(
        "SELECT id FROM contractors_contract WHERE organisation_id = %s "
        "ORDER BY contractor_id = %s DESC, valid_from DESC, id LIMIT 1",
        [organisation_id, contractor_id],
    )
    return rows[0][0] if rows else None


def _superuser() -> int:
    return _rows("SELECT id FROM portal_user WHERE is_superuser ORDER BY id LIMIT 1")[0][0]


def heaviest() -> dict[str, Identity]:
    """One identity per role, for the in-process runner: the worst realistic case."""
    shares = contractor_shares()
    if not shares:
        raise SystemExit("No routed repair requests: seed the database first (bench/seed.py).")
    contractor_id = shares[0][0]
    request_fx = _request_fx(_planner_request(contractor_id))
    organisation_id = _rows(
        "SELECT organisation_id FROM repairs_repairrequest WHERE reference = %s",
        [request_fx["reference"]],
    )[0][0]
    tenant_id, tenant_reference, tenant_org = _tenants(1)[0]
    common = {
        **request_fx,
        "fee_day": _fee_day(),
        "contract_id": _contract(organisation_id, contractor_id),
    }
    return {
        "tenant": Identity(
            "tenant",
            tenant_id,
            {
                **common,
                "tenant_reference": tenant_reference,
                "category_id": _booking_category(tenant_org),
            },
        ),
        "planner": Identity("planner", _planner(contractor_id), common),
        "craftsman": Identity("craftsman", _craftsmen(contractor_id, 1)[0], common),
        "staff": Identity("staff", _staff(organisation_id), common),
        "superuser": Identity("superuser", _superuser(), common),
        "anonymous": Identity("anonymous", None, common),
    }


def pools(tenants: int = 200) -> dict[str, list[Identity]]:
    """Many identities per role for the load run; planners weighted by their contractor's
    share of the work, so the big contractor's planner is as busy as in real life."""
    shares = contractor_shares()
    total = sum(count for _contractor, count in shares) or 1
    fee_day = _fee_day()
    planners = []
    for contractor_id, count in shares:
        identity = Identity(
            "planner",
            _planner(contractor_id),
            {**_request_fx(_planner_request(contractor_id)), "fee_day": fee_day},
        )
        planners += [identity] * max(1, round(20 * count / total))
    tenant_pool = []
    categories: dict[int, int] = {}
    for tenant_id, reference, organisation_id in _tenants(tenants):
        if organisation_id not in categories:
            categories[organisation_id] = _booking_category(organisation_id)
        tenant_pool.append(
            Identity(
                "tenant",
                tenant_id,
                {"tenant_reference": reference, "category_id": categories[organisation_id]},
            )
        )
    staff = []
    for (organisation_id,) in _rows("SELECT id FROM portal_organisation ORDER BY id"):
        latest = _rows(
            "SELECT id FROM repairs_repairrequest WHERE organisation_id = %s "
            "AND contractor_id IS NOT NULL ORDER BY created_at DESC LIMIT 1",
            [organisation_id],
        )
        if latest:
            fx = {**_request_fx(latest[0][0]), "fee_day": fee_day}
            staff.append(Identity("staff", _staff(organisation_id), fx))
    craftsmen = [Identity("craftsman", user_id) for user_id in _craftsmen(None, 40)]
    return {
        "tenant": tenant_pool,
        "planner": planners,
        "craftsman": craftsmen,
        "staff": staff,
        "superuser": [Identity("superuser", _superuser(), staff[0].fx if staff else {})],
        "anonymous": [Identity("anonymous", None)],
    }
