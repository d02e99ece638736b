"""The contractor's journeys in phone-sized Chromium against the live server: the planner
plans a reported request and assigns a craftsman, the craftsman records the visit, and the
tenant reads the outcome.

Everything is found the way a person finds it: by its label, its role and its words. Each
contractor page on the way is checked with axe-core and for sideways scrolling at 360 px.
The clock is Tuesday 10 March 2026, 10:00 in Amsterdam (the `now` fixture)."""

import datetime
import re

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from PIL import Image
from playwright.sync_api import expect

from repairs import services
from repairs.lifecycle import Status
from repairs.models import AppointmentStatus, MaterialReuse, RepairRequest
from repairs.photos import photo_clean
from tests import factories
from tests.conftest import NOW

TODAY_AFTERNOON = "Tuesday 10 March, afternoon (12:00–17:00)"
TOMORROW_MORNING = "Wednesday 11 March, morning (08:00–12:00)"


@pytest.fixture
def new_page(browser, live_server, page):
    """Another phone (its own cookies), for the next person in the journey; set up like
    `page`, which comes first."""
    contexts = []

    def make():
        context = browser.new_context(
            viewport={"width": 360, "height": 780},
            locale="nl-NL",
            timezone_id="Europe/Amsterdam",
            base_url=live_server.url,
        )
        context.set_default_timeout(10_000)
        contexts.append(context)
        return context.new_page()

    yield make
    for context in contexts:
        context.close()


@pytest.fixture
def fits_a_phone(assert_accessible):
    """No serious or critical axe finding, and no sideways scrolling at 360 px."""

    def check(page) -> None:
        assert_accessible(page)
        assert page.evaluate("document.documentElement.scrollWidth <= window.innerWidth"), (
            page.evaluate("[document.documentElement.scrollWidth, window.innerWidth]")
        )

    return check


@pytest.fixture
def journey(now, chain, planner, craftsman, page, mailoutbox, tmp_path):
    """A leak reported this morning by the tenant with a photo, when no time was free; now the
    contractor has room this afternoon and tomorrow morning."""
    photo = tmp_path / "kraan.jpg"
    Image.new("RGB", (64, 48), (40, 120, 200)).save(photo, "JPEG")
    repair_request = services.repair_request_report(
        tenancy=chain.tenancy,
        category=chain.category,
        description="The kitchen tap drips day and night.",
        actor=chain.tenant,
        photos=[photo_clean(SimpleUploadedFile("kraan.jpg", photo.read_bytes(), "image/jpeg"))],
        access_notes="Key with the neighbours at number 3.",
        contact_phone="06 12345678",
    )
    chain.slot(days=0, daypart=chain.afternoon, capacity=2)
    chain.slot(days=1, capacity=2)
    mailoutbox.clear()
    return repair_request


def timeline_lines(page) -> list[str]:
    """The first line of each entry of the timeline: what happened, without when."""
    timeline = page.get_by_role("list").filter(has_text="Received")
    return [text.splitlines()[0] for text in timeline.get_by_role("listitem").all_inner_texts()]


def log_in_as(page, switch_to_english, log_in, email: str) -> None:
    switch_to_english(page, "/account/inloggen/")
    log_in(page, email, factories.PASSWORD)


def plan(page, fits_a_phone, reference: str, daypart: str) -> None:
    """On the request's page: plan the visit in the daypart for Kees Klusser."""
    page.get_by_role("link", name="Plan a visit").click()
    expect(page.get_by_role("heading", name="Plan a visit", level=1)).to_be_visible()
    fits_a_phone(page)
    page.get_by_label("Craftsman").select_option(label="Kees Klusser")
    page.get_by_role("radio", name=daypart).check()
    page.get_by_role("button", name="Plan").click()
    expect(page.get_by_role("status")).to_have_text(
        "The visit is planned. The tenant gets an invitation."
    )
    expect(page.get_by_role("heading", name=re.compile(reference), level=1)).to_be_visible()


def record_visit(page, fits_a_phone, outcome: str, reason: str | None = None) -> None:
    """From the craftsman's day: record the one visit still to record."""
    page.get_by_role("link", name="Record the visit").click()
    expect(page.get_by_role("heading", name="Record the visit", level=1)).to_be_visible()
    fits_a_phone(page)
    page.get_by_role("radio", name=outcome).check()
    if reason:
        page.get_by_label("Why is another visit needed?").select_option(label=reason)
    page.get_by_role("button", name="Save").click()
    expect(page.get_by_role("status")).to_have_text("The visit is recorded.")
    expect(page.get_by_role("heading", name=re.compile("My day"), level=1)).to_be_visible()


def test_a_follow_up_for_material_then_fixed_is_solved_but_no_first_time_fix(
    journey, chain, page, new_page, switch_to_english, log_in, fits_a_phone, time_machine,
    mailoutbox,
):  # fmt: skip
    reference = journey.reference
    number = chain.dwelling.house_number

    # given the planner logs in, on their phone
    log_in_as(page, switch_to_english, log_in, "planner@aannemer.nl")

    # then the work queue opens on the new requests, with the leak in it
    expect(page.get_by_role("heading", name=re.compile("Work queue"), level=1)).to_be_visible()
    expect(page.get_by_role("link", name="New")).to_have_attribute("aria-current", "page")
    fits_a_phone(page)

    # when the planner searches it by postcode and opens it
    page.get_by_label("Search by reference, postcode or street").fill("5611 ab")
    page.get_by_role("button", name="Search").click()
    page.get_by_role("link", name=f"{reference} · Tap leaks").click()

    # then the request's page tells where, who, how to get in, what, and shows the photo
    main = page.get_by_role("main")
    expect(main).to_contain_text(f"Kerkstraat {number}, 5611 AB Eindhoven")
    expect(main).to_contain_text("huurder@example.nl")
    expect(main.get_by_role("link", name="06 12345678")).to_have_attribute(
        "href", "tel:06 12345678"
    )
    expect(main).to_contain_text("Access: Key with the neighbours at number 3.")
    expect(main).to_contain_text("KEU – Keuken")
    expect(main).to_contain_text("LOO – Loodgieter")
    thumbnail = main.get_by_role("img", name="Photo 1")
    assert thumbnail.evaluate("img => img.decode().then(() => img.naturalWidth)") == 64
    expect(main).to_contain_text(f"Passed on to {chain.contractor.name}")
    fits_a_phone(page)

    # when the planner plans it this afternoon for Kees
    plan(page, fits_a_phone, reference, TODAY_AFTERNOON)

    # then the tenant gets the invitation for their calendar
    assert [m.to for m in mailoutbox] == [["huurder@example.nl"]]
    assert [a.filename for a in mailoutbox[0].attachments] == [f"afspraak-{reference}.ics"]

    # when the craftsman logs in on his phone
    craftsman = new_page()
    log_in_as(craftsman, switch_to_english, log_in, "vakman@aannemer.nl")

    # then his day shows the visit with the address, how to get in and the photo
    visit = craftsman.get_by_role("article").filter(has_text=reference)
    expect(visit).to_contain_text(f"12:00–17:00 · Kerkstraat {number}")
    expect(visit).to_contain_text("Access: Key with the neighbours at number 3.")
    expect(visit.get_by_role("img", name="Photo 1")).to_be_visible()
    fits_a_phone(craftsman)

    # when he finds the tap needs a cartridge that is not in the van
    record_visit(craftsman, fits_a_phone, "Follow-up needed", "MAT – Materiaal bestellen")

    # then the request waits in the planner's list to be planned
    page.get_by_role("link", name="Work queue").click()
    page.get_by_role("link", name="To be planned").click()
    page.get_by_role("link", name=f"{reference} · Tap leaks").click()
    expect(page.get_by_role("main")).to_contain_text("Follow-up needed (MAT)")

    # when the planner plans the second visit tomorrow morning
    plan(page, fits_a_phone, reference, TOMORROW_MORNING)
    assert len(mailoutbox) == 2

    # and tomorrow the craftsman fixes it, with a cartridge from the depot
    time_machine.move_to(NOW + datetime.timedelta(days=1, hours=-1), tick=True)
    craftsman.goto("/aannemer/dag/")
    expect(craftsman.get_by_role("article").filter(has_text=reference)).to_contain_text(
        "08:00–12:00"
    )
    craftsman.get_by_role("link", name="Record the visit").click()
    craftsman.get_by_role("radio", name="Fixed").check()
    craftsman.get_by_label("Material reused", exact=True).first.fill("Tap cartridge")
    craftsman.get_by_label("Quantity", exact=True).first.fill("1")
    craftsman.get_by_label("From", exact=True).first.select_option(label="Depot")
    craftsman.get_by_role("button", name="Save").click()
    expect(craftsman.get_by_role("status")).to_have_text("The visit is recorded.")

    # then the tenant reads it is solved, with every visit on the timeline
    tenant = new_page()
    log_in_as(tenant, switch_to_english, log_in, "huurder@example.nl")
    tenant.get_by_role("link", name="Tap leaks").click()
    expect(tenant.get_by_role("main")).to_contain_text("Solved")
    assert timeline_lines(tenant) == [
        "Received",
        f"Passed on to {chain.contractor.name}",
        "Appointment on Tuesday 10 March afternoon",
        "Another appointment is needed",
        "Appointment on Wednesday 11 March morning",
        "Solved",
    ]

    # and it is completed, but not fixed in one visit
    page.reload()
    expect(page.get_by_role("main")).to_contain_text("Status: Completed")
    expect(page.get_by_role("main")).not_to_contain_text("first-time fix")
    repair = RepairRequest.objects.get(pk=journey.pk)
    assert (repair.status, repair.first_time_fix) == (Status.COMPLETED, False)
    assert list(
        repair.appointments.order_by("starts_at").values_list("status", "outcome", "outcome_reason")
    ) == [
        (AppointmentStatus.DONE, "follow_up", "MAT"),
        (AppointmentStatus.DONE, "fixed", ""),
    ]
    assert list(MaterialReuse.objects.values_list("description", "source")) == [
        ("Tap cartridge", "depot")
    ]


def test_fixed_at_the_first_visit_is_a_first_time_fix(
    journey, chain, page, new_page, switch_to_english, log_in, fits_a_phone
):
    reference = journey.reference

    # given the planner planned the leak this afternoon for Kees
    log_in_as(page, switch_to_english, log_in, "planner@aannemer.nl")
    page.get_by_role("link", name=f"{reference} · Tap leaks").click()
    plan(page, fits_a_phone, reference, TODAY_AFTERNOON)

    # when Kees fixes it at that visit
    craftsman = new_page()
    log_in_as(craftsman, switch_to_english, log_in, "vakman@aannemer.nl")
    record_visit(craftsman, fits_a_phone, "Fixed")

    # then the tenant reads it is solved
    tenant = new_page()
    log_in_as(tenant, switch_to_english, log_in, "huurder@example.nl")
    tenant.get_by_role("link", name="Tap leaks").click()
    expect(tenant.get_by_role("main")).to_contain_text("Solved")
    assert timeline_lines(tenant) == [
        "Received",
        f"Passed on to {chain.contractor.name}",
        "Appointment on Tuesday 10 March afternoon",
        "Solved",
    ]

    # and the planner sees a first-time fix
    page.reload()
    expect(page.get_by_role("main")).to_contain_text("Status: Completed · first-time fix")
    repair = RepairRequest.objects.get(pk=journey.pk)
    assert (repair.status, repair.first_time_fix) == (Status.COMPLETED, True)
