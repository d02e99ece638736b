"""Every tenant page passes axe-core (no serious or critical findings) and fits a 360 px phone.

Each test walks several pages and reports the problems of all of them at once, so one run
shows everything to fix; the pages are reached as a tenant reaches them, forms with errors
by submitting them empty. The tenant's pages are seen at Tuesday 10 March 2026, 10:00 (the
`now` fixture), so the report form offers dayparts within 24 hours, marked as fixed once
booked, as well as later ones."""

import json
import re

from playwright.sync_api import expect

from contractors.routing import route
from portal.models import Tenancy
from repairs.models import RepairCategory
from repairs.selectors import slots_free_for
from tests.clock import changeable_slots

TENANT = "huurder@example.nl"


def category_url(tenancy: Tenancy, name_en: str) -> str:
    category = RepairCategory.objects.get(organisation_id=tenancy.organisation_id, name_en=name_en)
    return f"/melden/{category.pk}/"


def test_anonymous_pages_are_accessible_on_a_phone(page, switch_to_english, page_problems):
    # given a visitor who reads English (these pages need no data)
    switch_to_english(page)
    problems = {}

    # when the visitor opens the home page, the login page, and submits the forms empty
    problems["home"] = page_problems(page)
    page.goto("/account/inloggen/")
    problems["login"] = page_problems(page)
    page.get_by_role("main").get_by_role("button", name="Log in").click()
    expect(page.get_by_label("E-mail address")).to_have_attribute("aria-invalid", "true")
    problems["login with errors"] = page_problems(page)
    page.goto("/account/activeren/")
    page.get_by_role("button", name="Send the link").click()
    expect(page.get_by_label("Tenancy contract number")).to_have_attribute("aria-invalid", "true")
    problems["claim with errors"] = page_problems(page)

    # then no page has a serious accessibility problem or scrolls sideways
    assert {name: found for name, found in problems.items() if found} == {}, json.dumps(
        problems, indent=2
    )


def test_tenant_pages_are_accessible_on_a_phone(
    now, demo, page, switch_to_english, log_in, daypart_radio, page_problems
):
    # given a tenant of the demo data who reads English, logged in
    tenancy = Tenancy.objects.select_related("dwelling").get(tenant__email=TENANT, end_date=None)
    free = slots_free_for(contract=route(tenancy.dwelling, now.date()))
    changeable = changeable_slots(free).first()
    switch_to_english(page)
    log_in(page, TENANT)
    expect(page.get_by_role("heading", name="My repairs", level=1)).to_be_visible()
    problems = {"my repairs": page_problems(page)}

    # when the tenant goes through reporting: the list, advice, an emergency, and the form
    page.goto("/melden/")
    problems["report start"] = page_problems(page)
    page.goto(category_url(tenancy, "Replacing a light bulb"))
    problems["advice"] = page_problems(page)
    page.goto(category_url(tenancy, "Major water leak"))
    problems["emergency"] = page_problems(page)
    page.goto(category_url(tenancy, "Kitchen tap leaks"))
    expect(page.get_by_text("cannot be moved or cancelled").first).to_be_visible()
    problems["report form"] = page_problems(page)
    page.get_by_role("button", name="Send the report").click()
    expect(page.get_by_label("What is wrong?")).to_have_attribute("aria-invalid", "true")
    problems["report form with errors"] = page_problems(page)

    # and reports the leaking tap, follows it, and opens the pages to move and cancel it
    page.get_by_label("What is wrong?").fill("The kitchen tap keeps dripping all day.")
    page.get_by_label("Best phone number").fill("06 12345678")
    daypart_radio(page, changeable).check()
    page.get_by_role("button", name="Send the report").click()
    expect(page.get_by_text(re.compile(r"R-\d{4}-\d{6}"))).to_be_visible()
    problems["confirmation"] = page_problems(page)
    page.get_by_role("link", name="Follow this repair").click()
    problems["repair detail"] = page_problems(page)
    page.get_by_role("link", name="Move the appointment").click()
    problems["reschedule"] = page_problems(page)
    page.get_by_role("button", name="Move to this time").click()
    expect(page.get_by_role("radio").first).to_have_attribute("aria-invalid", "true")
    problems["reschedule with errors"] = page_problems(page)
    page.goto(page.url.replace("/verzetten/", "/annuleren/"))
    problems["cancel"] = page_problems(page)
    page.get_by_role("button", name="Cancel the repair").click()
    expect(page.get_by_label("Why do you cancel?")).to_have_attribute("aria-invalid", "true")
    problems["cancel with errors"] = page_problems(page)

    # then no page has a serious accessibility problem or scrolls sideways
    assert {name: found for name, found in problems.items() if found} == {}, json.dumps(
        problems, indent=2
    )
