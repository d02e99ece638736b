"""Two contractor pages on a phone, found as a screen reader user or a planner finds them.

- The craftsman's day: each card's links name the address, so "Record the visit" and
  "Details" of one card are told apart from those of the next.
- The contractor's figures at 390 px: a card per month and area with every figure visible,
  and nothing to scroll sideways. The figures are the hand-computed ones of
  tests/test_kpis.py, as tests/test_kpi_dashboard.py reads them from the table."""

import re

import pytest
from playwright.sync_api import expect

from contractors.models import ContractorRole
from surveys.rollup import kpi_rollup_rebuild
from tests import factories
from tests.test_kpi_dashboard import TABLE, THEIR_ROW
from tests.test_kpis import kpi_world_create

FIGURES = [
    "Completed",
    "Mean grade",
    "8 or more",
    "5 or lower",
    "Response rate",
    "First-time fix",
    "Lead time median (h)",
    "Lead time p90 (h)",
    "Emergencies within 24 h",
    "Appointments kept",
    "No access",
    "Emergencies within norm",
    "Repairs within norm",
    "Repeat repairs",
]


@pytest.fixture
def phone(browser, live_server, media_root):
    """An iPhone-sized page (390 px wide), the width the figures page was tried at."""
    context = browser.new_context(
        viewport={"width": 390, "height": 844},
        locale="nl-NL",
        timezone_id="Europe/Amsterdam",
        base_url=live_server.url,
    )
    context.set_default_timeout(10_000)
    yield context.new_page()
    context.close()


def log_in_as(page, switch_to_english, log_in, email: str) -> None:
    switch_to_english(page, "/account/inloggen/")
    log_in(page, email, factories.PASSWORD)
    expect(page.get_by_role("button", name="Log out")).to_be_visible()


def test_the_links_of_each_visit_on_the_craftsmans_day_name_its_address(
    now, chain, craftsman, phone, switch_to_english, log_in
):
    # given two visits today at two addresses of the chain's area
    slot = chain.slot(days=0, capacity=2)
    other_home = factories.DwellingFactory(
        organisation=chain.organisation, street="Molenstraat", house_number=8
    )
    for dwelling in (chain.dwelling, other_home):
        repair_request = factories.routed_request_create(chain, dwelling=dwelling)
        factories.visit_create(repair_request, slot, craftsman=craftsman)
    addresses = [chain.dwelling.address_line, other_home.address_line]
    assert addresses[0] != addresses[1]

    # when the craftsman opens the day
    log_in_as(phone, switch_to_english, log_in, craftsman.email)
    phone.goto("/aannemer/dag/")

    # then each card's two links carry its address in their names, one link per name
    for address in addresses:
        for action in ("Record the visit", "Details"):
            link = phone.get_by_role("link", name=f"{action}, {address}", exact=True)
            expect(link).to_have_count(1)
            expect(link).to_be_visible()
    # and the buttons still show the short words
    shown = phone.get_by_role("link", name=f"Details, {addresses[0]}").inner_text()
    assert shown == "Details"


def test_every_figure_of_the_contractor_is_readable_on_a_390px_phone(
    now, organisation, other_organisation, phone, switch_to_english, log_in, assert_accessible
):
    # given contractor A's figures of four months (one in another association) and its planner
    world = kpi_world_create(organisation, other_organisation)
    kpi_rollup_rebuild()
    planner = factories.ContractorMembershipFactory(
        contractor=world.a.contractor, role=ContractorRole.PLANNER
    ).user
    december = ["Dec 2025", "Noord", "1", "10.00", "100.0%", "0.0%", "100.0% (1/1)",
                "100.0%", "2.0", "2.0", "–", "100.0% (1/1)", "0", "–", "–", "0.0% (0/1)"]  # fmt: skip
    rows = [december, *(row[:1] + row[2:] for row in (TABLE[0], THEIR_ROW, TABLE[2]))]

    # when the planner opens the figures on a phone
    log_in_as(phone, switch_to_english, log_in, planner.email)
    phone.goto("/aannemer/kpi/")

    # then nothing needs scrolling sideways, and axe-core finds nothing serious
    assert_accessible(phone)
    assert phone.evaluate("document.documentElement.scrollWidth <= window.innerWidth"), (
        phone.evaluate("[document.documentElement.scrollWidth, window.innerWidth]")
    )
    # and each month and area is a card with every figure, each visible within the width
    for month, area, *values in rows:
        card = phone.get_by_role("region", name=f"{month} · {area}", exact=True)
        expect(card).to_be_visible()
        for label, value in zip(FIGURES, values, strict=True):
            term = phone.get_by_role("term").filter(has_text=re.compile(f"^{re.escape(label)}$"))
            definition = card.locator("dl > div").filter(has=term).get_by_role("definition")
            expect(definition).to_have_text(value)
            definition.scroll_into_view_if_needed()
            expect(definition).to_be_visible()
            box = definition.bounding_box()
            assert box is not None and box["x"] >= 0 and box["x"] + box["width"] <= 390, (
                month,
                area,
                label,
                box,
            )
    assert phone.get_by_role("region").count() == len(rows)
