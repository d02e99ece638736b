"""No page breaks the Content-Security-Policy: Chromium, with the policy enforced as sent, opens
every tenant, contractor and admin page and reports no violation.

A listener for `securitypolicyviolation` is installed before any script of the page runs, and
the console is read as well; every violation of every page is reported at once. The tenant and
contractor pages are found by following the links a person can follow from the home page; the
admin pages are every change list, add form and change form of the registered models and the
admin's own report pages. The test then checks that the pages a person uses were among them."""

import json
import re
from urllib.parse import urlsplit

import pytest
from django.contrib import admin
from django.test import RequestFactory
from django.urls import Resolver404, resolve, reverse
from django.utils import timezone
from playwright.sync_api import expect

from contractors.models import Area, ContractorMembership, Slot
from portal.models import User
from repairs.lifecycle import Status
from repairs.models import Appointment, AppointmentStatus, MaintenanceKind, RepairRequest
from surveys.models import InvitationStatus, SurveyInvitation
from tests import factories

REPORT = """
document.addEventListener("securitypolicyviolation", (event) => {
  window.__cspViolation({
    page: location.pathname + location.search,
    directive: event.violatedDirective,
    blocked: event.blockedURI,
    sample: event.sample,
    source: event.sourceFile ? `${event.sourceFile}:${event.lineNumber}` : "",
  });
});
"""
# URL kwargs that name one object: pages that differ only in them are one page to the crawl.
OBJECT_KWARGS = {"reference", "appointment_id", "area_id", "slot_id", "category_id", "token"}
# Not pages: downloads, photos, calendar files, and what a link would change (language).
SKIP_PATH = re.compile(r"\.ics$|/fotos/|/i18n/|/static/|/media/|/download/$")


@pytest.fixture
def csp_browser(browser, live_server, media_root):
    """New browser contexts that enforce the policy (Playwright does unless told to bypass it)
    and collect every violation and CSP console message, with the page it happened on."""
    contexts = []
    violations: list[dict] = []

    def make(viewport=None):
        context = browser.new_context(
            viewport=viewport or {"width": 1280, "height": 900},
            locale="nl-NL",
            timezone_id="Europe/Amsterdam",
            base_url=live_server.url,
        )
        context.set_default_timeout(10_000)
        context.expose_binding("__cspViolation", lambda _source, found: violations.append(found))
        context.add_init_script(script=REPORT)
        contexts.append(context)
        page = context.new_page()

        def console(message):
            if "Content Security Policy" in message.text or "Content-Security-Policy" in (
                message.text
            ):
                violations.append({"page": page.url, "console": message.text})

        page.on("console", console)
        page.on(
            "pageerror", lambda error: violations.append({"page": page.url, "error": str(error)})
        )
        return page

    yield make, violations
    for context in contexts:
        context.close()


def settle(page) -> None:
    """Let the page's scripts run: violations are reported as events after the load."""
    page.wait_for_load_state("load")
    page.evaluate("() => new Promise((done) => requestAnimationFrame(() => setTimeout(done, 50)))")


def open_page(page, url: str, seen: dict) -> None:
    response = page.goto(url)
    assert response is not None and response.status < 400, (url, response and response.status)
    assert "Content-Security-Policy" in response.headers or (
        "content-security-policy" in response.headers
    ), url
    settle(page)
    seen[url] = response.status


def crawl_key(path: str, query: str) -> tuple | None:
    try:
        match = resolve(path)
    except Resolver404:
        return None
    kwargs = tuple(sorted((k, v) for k, v in match.kwargs.items() if k not in OBJECT_KWARGS))
    return (match.url_name, kwargs, tuple(sorted(re.findall(r"([\w-]+)=", query))))


def crawl(page, live_server_url: str, start: str, limit: int = 80) -> set[str]:
    """Follow every same-site link from `start`, one page per kind (URL name and arguments
    other than the object); the URL names of the pages opened."""
    queue, keys, names, seen = [start], set(), set(), {}
    while queue and len(seen) < limit:
        url = queue.pop(0)
        parts = urlsplit(url)
        key = crawl_key(parts.path, parts.query)
        if key is None or key in keys or SKIP_PATH.search(parts.path) or "format=" in url:
            continue
        keys.add(key)
        open_page(page, url, seen)
        names.add(key[0])
        for href in page.eval_on_selector_all(
            "a[href]:not([download])", "links => links.map(a => a.href)"
        ):
            if href.startswith(live_server_url) and "#" not in href:
                queue.append(href[len(live_server_url) :] or "/")
    return names


def visit_today_for(email: str) -> None:
    """A visit of the craftsman today (the demo data holds past visits and free dayparts)."""
    membership = ContractorMembership.objects.select_related("user").get(user__email=email)
    slot = Slot.objects.filter(
        contractor_id=membership.contractor_id, date=timezone.localdate()
    ).first()
    repair_request = (
        RepairRequest.objects.filter(
            contractor_id=membership.contractor_id, organisation_id=slot.organisation_id
        )
        .exclude(status__in=[Status.CANCELLED, Status.REJECTED])
        .exclude(appointments__status=AppointmentStatus.PLANNED)
        .order_by("-created_at")
        .first()
    )
    factories.visit_create(repair_request, slot, craftsman=membership.user)


def tenant_visit_ahead(email: str) -> str:
    """The reference of a request of the tenant with a visit that can still be moved."""
    ahead = timezone.localdate() + timezone.timedelta(days=3)
    planned = (
        Appointment.objects.filter(
            request__tenancy__tenant__email=email,
            request__maintenance_kind=MaintenanceKind.REPAIR,
            status=AppointmentStatus.PLANNED,
            starts_at__date__gte=ahead,
        )
        .select_related("request")
        .first()
    )
    if planned is not None:
        return planned.request.reference
    repair_request = (
        RepairRequest.objects.filter(
            tenancy__tenant__email=email,
            contractor__isnull=False,
            maintenance_kind=MaintenanceKind.REPAIR,
        )
        .exclude(status__in=[Status.COMPLETED, Status.CANCELLED, Status.REJECTED])
        .exclude(appointments__status=AppointmentStatus.PLANNED)
        .first()
    )
    slot = (
        Slot.objects.filter(
            contractor_id=repair_request.contractor_id,
            organisation_id=repair_request.organisation_id,
            date__gte=ahead,
        )
        .order_by("date")
        .first()
    )
    factories.visit_create(repair_request, slot)
    return repair_request.reference


def log_in_as(page, switch_to_english, log_in, email: str) -> None:
    switch_to_english(page)
    log_in(page, email)
    expect(page.get_by_role("button", name="Log out")).to_be_visible()


def test_tenant_and_contractor_pages_break_no_csp_rule(
    now, demo, csp_browser, live_server, switch_to_english, log_in
):
    make, violations = csp_browser
    opened: dict[str, set[str]] = {}

    # given a visitor, a tenant, a planner and a craftsman of the demo data
    visitor = make()
    open_page(visitor, "/", {})
    opened["visitor"] = crawl(visitor, live_server.url, "/")
    for path in ("/account/activeren/", "/account/wachtwoord-vergeten/", "/bestaat-niet/"):
        visitor.goto(path)
        settle(visitor)
    invitation = SurveyInvitation.objects.filter(status=InvitationStatus.SENT).first()
    if invitation is None:
        invitation = SurveyInvitation.objects.first()
    SurveyInvitation.objects.filter(pk=invitation.pk).update(
        status=InvitationStatus.SENT, expires_at=timezone.now() + timezone.timedelta(days=7)
    )
    open_page(visitor, reverse("survey_answer", args=[invitation.token]), {})
    visit_today_for("vakman@vandenberg.nl")

    for who, email in (
        ("tenant", "huurder@example.nl"),
        ("planner", "planner@vandenberg.nl"),
        ("craftsman", "vakman@vandenberg.nl"),
    ):
        page = make({"width": 390, "height": 844})
        log_in_as(page, switch_to_english, log_in, email)
        # when each follows every link of the portal
        opened[who] = crawl(page, live_server.url, "/")
        if who == "tenant":
            # and moves the visit of a request (the page a link reaches only while it may)
            reference = tenant_visit_ahead(email)
            open_page(page, reverse("repair_reschedule", args=[reference]), {})
            expect(page).to_have_url(re.compile("/verzetten/$"))
            opened[who].add("repair_reschedule")
            # and opens the page to cancel it (the crawl opens one request's page, which may
            # be a project visit's, whose cancel link leads to the project)
            open_page(page, reverse("repair_cancel", args=[reference]), {})
            expect(page).to_have_url(re.compile("/annuleren/$"))
            opened[who].add("repair_cancel")
            # and the tenant searches the report page (an htmx request swaps in the results)
            page.goto(reverse("report_start"))
            with page.expect_response(lambda response: "q=kraan" in response.url):
                page.get_by_role("searchbox").fill("kraan")
            expect(page).to_have_url(re.compile(r"q=kraan"))
            settle(page)

    # then the pages people use were opened
    assert {"home", "login", "claim"} <= opened["visitor"], opened["visitor"]
    assert {
        "my_repairs",
        "repair_detail",
        "report_start",
        "report_category",
        "repair_reschedule",
        "repair_cancel",
    } <= opened["tenant"], opened["tenant"]
    assert {
        "contractor_home",
        "work_queue",
        "contractor_request",
        "plan_visit",
        "craftsman_day",
        "capacity_overview",
        "capacity_area",
        "slot_edit",
        "contractor_kpis",
    } <= opened["planner"], opened["planner"]
    assert {"craftsman_day", "visit_record"} <= opened["craftsman"], opened["craftsman"]
    # and not one of them broke a rule of the policy
    assert violations == [], json.dumps(violations, indent=2)


def admin_urls(request) -> list[tuple[str, str, bool]]:
    """The admin index, each registered model's change list, add form and the change form of
    its first row, and the admin's own pages that take no argument (reports, import): as
    (kind, url, whether the admin lets the user add or change)."""
    urls = [("index", reverse("admin:index"), True)]
    for model, model_admin in admin.site._registry.items():
        info = f"admin:{model._meta.app_label}_{model._meta.model_name}"
        urls.append(("changelist", reverse(f"{info}_changelist"), True))
        urls.append(("add", reverse(f"{info}_add"), model_admin.has_add_permission(request)))
        first = model_admin.get_queryset(request).order_by("pk").first()
        if first is not None:
            urls.append(
                (
                    "change",
                    reverse(f"{info}_change", args=[first.pk]),
                    model_admin.has_change_permission(request, first),
                )
            )
        for pattern in model_admin.get_urls():
            name = pattern.name or ""
            if (
                name.startswith(f"{model._meta.app_label}_{model._meta.model_name}_")
                and not name.endswith(("_changelist", "_add", "_change", "_delete", "_history"))
                and "process_import" not in name
                and not pattern.pattern.converters
            ):
                urls.append(("own page", reverse(f"admin:{name}"), True))
    return urls


def test_admin_pages_break_no_csp_rule(now, demo, csp_browser, switch_to_english, log_in):
    make, violations = csp_browser
    # given the superuser of the demo data
    page = make()
    log_in_as(page, switch_to_english, log_in, "beheer@ketenportaal.nl")
    request = RequestFactory().get("/admin/")
    request.user = User.objects.get(email="beheer@ketenportaal.nl")
    opened: dict[str, int] = {}
    kinds: dict[str, int] = {}

    # when the superuser opens every admin page
    for kind, url, allowed in admin_urls(request):
        response = page.goto(url)
        if not allowed and response.status in (403, 404):
            continue  # a model nobody adds by hand, or a report without a page per row
        assert response.status == 200, (url, response.status)
        settle(page)
        opened[url] = response.status
        kinds[kind] = kinds.get(kind, 0) + 1
    # and a delete confirmation, which has a script of its own (nothing is deleted by opening it)
    open_page(
        page, reverse("admin:contractors_area_delete", args=[Area.objects.first().pk]), opened
    )

    # and uses the admin's own scripts on a contract form: a search in the contractor
    # autocomplete, the calendar of a date, and another fee row of the inline
    open_page(page, reverse("admin:contractors_contract_add"), opened)
    page.locator("#id_contractor + .select2 .select2-selection").click()
    page.locator(".select2-search__field").fill("a")
    expect(page.locator(".select2-results__option").first).to_be_visible()
    page.keyboard.press("Escape")
    page.locator("#calendarlink0").click()
    expect(page.locator("#calendarbox0")).to_be_visible()
    page.keyboard.press("Escape")
    page.get_by_role("link", name=re.compile("Add another")).first.click()
    settle(page)

    # then every change list was shown, and most add and change forms
    assert kinds["changelist"] == len(admin.site._registry), kinds
    assert kinds["add"] >= 10 and kinds["change"] >= 15 and kinds["own page"] >= 4, kinds
    # and not one page broke a rule of the policy
    assert violations == [], json.dumps(violations, indent=2)
