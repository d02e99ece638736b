"""Staff take a phone report in the admin with the keyboard alone: find the dwelling by
postcode and house number, fill in the report and book a free daypart with the tenant on
the line (Tab to move, type, arrow keys in a list or a group of choices, Enter to send)."""

import re

from django.test import Client
from playwright.sync_api import expect

from repairs.models import Appointment, RepairRequest
from tests import factories


def _logged_in(page, live_server, user) -> None:
    client = Client()
    client.force_login(user)
    page.context.add_cookies(
        [{"name": "sessionid", "value": client.cookies["sessionid"].value, "url": live_server.url}]
    )


def test_staff_take_a_phone_report_and_book_a_daypart_with_the_keyboard(
    transactional_db, page, live_server, switch_to_english
):
    # given an association's staff member, a tenant's dwelling and a free daypart
    chain = factories.chain_create(tenant_email="huurder@example.nl")
    slot = chain.slot(days=2, capacity=1)
    staff = factories.StaffUserFactory(organisation=chain.organisation, language="en")
    switch_to_english(page, "/account/inloggen/")
    _logged_in(page, live_server, staff)

    # when they open "Take a report" from the repair requests and search the address
    page.goto("/admin/repairs/repairrequest/")
    link = page.get_by_role("link", name="Take a report")
    link.focus()
    page.keyboard.press("Enter")
    expect(page.get_by_role("heading", name="1. Find the dwelling")).to_be_visible()
    page.get_by_label("Postcode").focus()
    page.keyboard.type("5611 ab")
    page.keyboard.press("Tab")
    expect(page.get_by_label("House number")).to_be_focused()
    page.keyboard.type(str(chain.dwelling.house_number))
    page.keyboard.press("Enter")

    # then the dwelling and its tenancy are shown
    expect(page.get_by_role("heading", name="2. Take the report")).to_be_visible()
    expect(page.get_by_text(chain.tenancy.contract_number)).to_be_visible()

    # when they fill in the report, field after field, and pick the daypart
    page.get_by_label("The tenant's repair in this dwelling").focus()
    page.keyboard.press("Tab")
    expect(page.get_by_label("What is broken")).to_be_focused()
    page.keyboard.press("ArrowDown")
    page.keyboard.press("Tab")
    expect(page.get_by_label("What the caller says")).to_be_focused()
    page.keyboard.type("De kraan in de keuken lekt.")
    page.keyboard.press("Tab")
    expect(page.get_by_label("Caller's name")).to_be_focused()
    page.keyboard.type("Sanne de Vries")
    page.keyboard.press("Tab")
    page.keyboard.type("06 11122233")
    page.keyboard.press("Tab")
    expect(page.get_by_role("radio", name="Tenant", exact=True)).to_be_focused()
    page.keyboard.press("Tab")
    expect(page.get_by_role("radio", name="Phone (TEL)")).to_be_focused()
    page.keyboard.press("Tab")
    expect(page.get_by_label("Access notes")).to_be_focused()
    page.keyboard.press("Tab")
    expect(
        page.get_by_role("radio", name="No daypart now: the contractor plans it")
    ).to_be_focused()
    page.keyboard.press("ArrowDown")
    expect(page.get_by_role("radio", name=re.compile(r"08:00–12:00"))).to_be_checked()
    page.keyboard.press("Tab")
    expect(page.get_by_role("button", name="Take the report")).to_be_focused()
    page.keyboard.press("Enter")

    # then the request's page says it is taken, routed, booked, by phone
    expect(
        page.get_by_text(re.compile(r"Report R-\d{4}-\d+ is taken: Scheduled\."))
    ).to_be_visible()
    repair_request = RepairRequest.objects.get()
    assert (repair_request.vera_channel, repair_request.tenancy_id) == ("TEL", chain.tenancy.pk)
    assert repair_request.caller_name == "Sanne de Vries"
    assert Appointment.objects.get(request=repair_request).slot_id == slot.pk
