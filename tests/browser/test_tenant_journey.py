"""The tenant's journeys in a phone-sized Chromium against the live server, on the demo data.

Everything is found the way a person finds it: by its label, its role and its words. The
tests read the English texts (the Dutch catalogue is written separately)."""

import datetime
import re

import pytest
from django.utils import timezone
from PIL import Image
from playwright.sync_api import expect

from contractors.models import Contract, Slot
from contractors.routing import route
from contractors.selectors import contractor_emails
from demo.world import DEMO_PASSWORD
from portal.models import Organisation, Tenancy, User
from repairs.lifecycle import Status
from repairs.models import RepairCategory, RepairRequest, Responsibility
from repairs.selectors import categories_for, slots_free_for
from tests.clock import changeable_slots

REFERENCE = re.compile(r"R-\d{4}-\d{6}")
CLAIM_LINK = re.compile(r"https?://\S+/account/activeren/\S+/")


def unclaimed_routed_tenancy() -> tuple[Tenancy, Contract]:
    """A current, unclaimed tenancy of the first association, in an area with free times
    more than 24 hours ahead, which a tenant may still move or cancel once booked."""
    today = timezone.localdate()
    organisation = Organisation.objects.order_by("pk").first()
    tenancies = (
        Tenancy.objects.filter(
            organisation=organisation, tenant=None, end_date=None, start_date__lte=today
        )
        .select_related("dwelling")
        .order_by("pk")
    )
    for tenancy in tenancies:
        contract = route(tenancy.dwelling, today)
        # two free times: one to book, one to move the visit to
        if (
            contract is not None
            and changeable_slots(slots_free_for(contract=contract)).count() >= 2
        ):
            return tenancy, contract
    raise AssertionError("the demo data has no unclaimed tenancy in an area with free times")


@pytest.fixture
def tenant_account(transactional_db):
    """One account is all the login tests need; seeding the whole demo costs seconds."""
    return User.objects.create_user(email="huurder@example.nl", password=DEMO_PASSWORD)


def daypart_text(page, radio) -> str:
    """How a chosen time reads elsewhere ("Monday 30 November, morning (08:00–12:00)").

    Its box says "morning 08:00–12:00" under the day; the day is in the label too, hidden
    from view, so that the radio's name is the whole time."""
    label = " ".join(page.locator(f"label[for='{radio.get_attribute('id')}']").inner_text().split())
    day, rest = label.split(", ")
    daypart, hours = rest.rsplit(" ", 1)
    return f"{day}, {daypart} ({hours})"


def slot_bookings(contract) -> dict[int, int]:
    return dict(
        Slot.objects.filter(
            contractor_id=contract.contractor_id, area_id=contract.area_id
        ).values_list("pk", "booked")
    )


# The demo data is made from the real "now": which dayparts are offered, and which of them the
# tenant may still move or cancel, depend on the hour and the day this runs.
@pytest.mark.clock
def test_tenant_claims_account_reports_moves_and_cancels(
    demo, page, switch_to_english, daypart_radio, mailoutbox, tmp_path
):
    # given an unclaimed tenancy, the slots of its contractor, and a photo on the phone
    tenancy, contract = unclaimed_routed_tenancy()
    Tenancy.objects.filter(pk=tenancy.pk).update(email="nieuwe.huurder@example.nl")
    dwelling = tenancy.dwelling
    # the first two free dayparts the tenant may still change once booked: one to book and
    # one to move to (an earlier one is rightly fixed once booked, at some hours of the day)
    book_in, move_to = changeable_slots(slots_free_for(contract=contract))[:2]
    bookings_before = slot_bookings(contract)
    taps = categories_for(organisation_id=tenancy.organisation_id, query="kraan").count()
    photo = tmp_path / "kraan.png"
    Image.new("RGB", (64, 48), (40, 120, 200)).save(photo)
    switch_to_english(page, "/account/activeren/")

    # when the tenant activates the account with the details of the tenancy agreement
    page.get_by_label("Tenancy contract number").fill(tenancy.contract_number)
    page.get_by_label("Postcode").fill(f"{dwelling.postcode[:4]} {dwelling.postcode[4:].lower()}")
    page.get_by_label("House number").fill(str(dwelling.house_number))
    page.get_by_label("Suffix (optional)").fill(dwelling.house_number_suffix)
    page.get_by_role("button", name="Send the link").click()

    # then a link is mailed to the address the association has on file
    expect(page.get_by_role("heading", name=re.compile("check your e-mail", re.I))).to_be_visible()
    assert [message.to for message in mailoutbox] == [["nieuwe.huurder@example.nl"]]
    link = CLAIM_LINK.search(mailoutbox[0].body).group(0)

    # when the tenant opens the link and chooses a password
    page.goto(link)
    page.get_by_label("Choose a password").fill("Druppel-Keuken-77")
    page.get_by_label("Repeat the password").fill("Druppel-Keuken-77")
    page.get_by_role("button", name="Save and log in").click()

    # then the tenant is logged in on their (empty) list of repairs
    expect(page.get_by_role("heading", name="My repairs", level=1)).to_be_visible()
    expect(page.get_by_text(re.compile("your account is ready", re.I))).to_be_visible()
    expect(page.get_by_role("button", name="Log out")).to_be_visible()

    # when the tenant reports a leaking kitchen tap, with a photo and a daypart
    page.get_by_role("main").get_by_role("link", name="Report a repair").click()
    page.get_by_label(re.compile("^Search", re.I)).fill("kraan")
    page.get_by_role("button", name="Search", exact=True).click()
    expect(page.get_by_role("status")).to_have_text(re.compile(rf"^{taps} match(es)?$"))
    expect(page.get_by_role("link", name="Roof leak")).to_have_count(0)
    page.get_by_role("link", name="Kitchen tap leaks").click()
    page.get_by_label("What is wrong?").fill(
        "The kitchen tap keeps dripping, also when it is shut."
    )
    page.get_by_label("Photos (optional)").set_input_files(photo)
    page.get_by_label("Best phone number").fill("06 12345678")
    first_daypart = daypart_radio(page, book_in)
    chosen = daypart_text(page, first_daypart)
    first_daypart.check()
    page.get_by_role("button", name="Send the report").click()

    # then the confirmation gives the reference and the planned daypart
    expect(page.get_by_role("heading", name=re.compile("report is received", re.I))).to_be_visible()
    expect(page.get_by_text(REFERENCE)).to_be_visible()
    expect(page.get_by_role("main")).to_contain_text(chosen)
    reference = REFERENCE.search(page.get_by_role("main").inner_text()).group(0)
    assert reference.startswith(f"R-{timezone.localdate().year}-")

    # when the tenant follows the repair
    page.get_by_role("link", name="Follow this repair").click()

    # then the timeline tells what happened, and the photo is shown
    timeline = page.get_by_role("list").filter(has_text="Received")
    expect(timeline).to_contain_text("Received")
    expect(timeline).to_contain_text(f"Passed on to {contract.contractor.name}")
    expect(timeline).to_contain_text(
        re.compile(r"Appointment on \w+day \d+ \w+ (morning|afternoon)")
    )
    thumbnail = page.get_by_role("img", name=re.compile("photo 1", re.I))
    expect(thumbnail).to_be_visible()
    # decode() waits for the image to load, and fails if the browser cannot show it
    assert thumbnail.evaluate("img => img.decode().then(() => img.naturalWidth)") == 64

    # when the tenant moves the appointment to another daypart
    page.get_by_role("link", name="Move the appointment").click()
    new_daypart = daypart_radio(page, move_to)
    moved_to = daypart_text(page, new_daypart)
    assert moved_to != chosen
    new_daypart.check()
    page.get_by_role("button", name="Move to this time").click()

    # then the detail page says so
    expect(page.get_by_role("status").filter(has_text="appointment is moved")).to_be_visible()
    expect(page.get_by_role("main")).to_contain_text("Appointment moved to")
    expect(page.get_by_role("main")).to_contain_text(moved_to)

    # when the tenant cancels the repair with a reason
    page.get_by_role("link", name="Cancel the repair").click()
    page.get_by_label("Why do you cancel?").fill("The tap stopped dripping by itself.")
    page.get_by_role("button", name="Cancel the repair").click()

    # then the timeline ends with the cancellation and its reason
    expect(page.get_by_role("status").filter(has_text="repair is cancelled")).to_be_visible()
    timeline = page.get_by_role("list").filter(has_text="Received")
    expect(timeline.get_by_role("listitem").last).to_contain_text("Cancelled")
    expect(timeline).to_contain_text("Reason: The tap stopped dripping by itself.")
    expect(page.get_by_role("link", name="Move the appointment")).to_have_count(0)

    # and the request, the slots and the mails are as they should be
    repair = RepairRequest.objects.get(reference=reference)
    assert (repair.status, repair.tenancy_id, repair.contractor_id, repair.photos.count()) == (
        Status.CANCELLED,
        tenancy.pk,
        contract.contractor_id,
        1,
    )
    assert repair.cancel_reason == "The tap stopped dripping by itself."
    assert slot_bookings(contract) == bookings_before
    tenant_mails = [m for m in mailoutbox if m.to == ["nieuwe.huurder@example.nl"]]
    assert len(tenant_mails) == 3  # the claim link, then a confirmation per booked time
    for confirmation in tenant_mails[1:]:
        assert reference in confirmation.subject
        assert [
            (name, mimetype.split(";")[0]) for name, _content, mimetype in confirmation.attachments
        ] == [(f"afspraak-{reference}.ics", "text/calendar")]
    contractor_mails = [m for m in mailoutbox if m not in tenant_mails]
    assert len(contractor_mails) == 3  # booked, moved, cancelled
    for message in contractor_mails:
        assert reference in message.subject
        assert message.to == contractor_emails(contractor_id=contract.contractor_id)
    assert len(mailoutbox) == 6


def test_tenant_job_shows_advice_and_creates_nothing(demo, page, switch_to_english, log_in):
    # given a logged-in tenant and one of the jobs tenants do themselves
    category = RepairCategory.objects.filter(
        organisation__tenancies__tenant__email="huurder@example.nl",
        responsibility=Responsibility.TENANT,
        name_en="Replacing a light bulb",
    ).get()
    requests_before = RepairRequest.objects.count()
    switch_to_english(page)
    log_in(page, "huurder@example.nl")
    expect(page.get_by_role("heading", name="My repairs", level=1)).to_be_visible()

    # when the tenant picks it from the list
    page.get_by_role("main").get_by_role("link", name="Report a repair").click()
    page.get_by_role("link", name=category.name_en).click()

    # then the advice is shown, with whom to call when they disagree, and nothing is reported
    expect(page.get_by_role("heading", name=category.name_en, level=1)).to_be_visible()
    expect(page.get_by_text(re.compile("repair you carry out yourself", re.I))).to_be_visible()
    expect(page.get_by_role("main")).to_contain_text(category.tenant_advice_en[:60])
    expect(page.get_by_role("heading", name=re.compile("do you disagree", re.I))).to_be_visible()
    expect(page.get_by_role("main").get_by_role("link", name="040 211 90 00")).to_have_attribute(
        "href", "tel:040 211 90 00"
    )
    expect(page.get_by_role("textbox")).to_have_count(0)
    assert RepairRequest.objects.count() == requests_before


def test_emergency_shows_the_number_and_tells_the_contractor(
    demo, page, switch_to_english, log_in, mailoutbox
):
    # given a logged-in tenant in a covered area
    tenancy = Tenancy.objects.select_related("organisation", "dwelling").get(
        tenant__email="huurder@example.nl", end_date=None
    )
    contract = route(tenancy.dwelling, timezone.localdate())
    emergency_phone = tenancy.organisation.emergency_phone
    switch_to_english(page)
    log_in(page, "huurder@example.nl")

    # when the tenant picks an emergency
    page.get_by_role("main").get_by_role("link", name="Report a repair").click()
    page.get_by_role("link", name="Major water leak").click()

    # then the emergency number is the first thing to act on, and no time can be chosen
    alert = page.get_by_role("alert")
    expect(alert.get_by_role("heading", name=re.compile("emergency", re.I))).to_be_visible()
    expect(alert.get_by_role("link", name=emergency_phone)).to_have_attribute(
        "href", f"tel:{emergency_phone}"
    )
    expect(page.get_by_role("radio")).to_have_count(0)

    # when the tenant reports it as well
    page.get_by_label("What is wrong?").fill("Water pours from the ceiling in the hall.")
    page.get_by_label("Best phone number").fill("06 87654321")
    page.get_by_role("button", name="Report the emergency").click()

    # then the confirmation says the contractor knows, and the contractor got an urgent mail
    expect(page.get_by_role("heading", name=re.compile("report is received", re.I))).to_be_visible()
    expect(page.get_by_role("main")).to_contain_text(
        f"{contract.contractor.name} has been told at once"
    )
    reference = REFERENCE.search(page.get_by_role("main").inner_text()).group(0)
    repair = RepairRequest.objects.get(reference=reference)
    assert (repair.is_urgent, repair.status, repair.contractor_id) == (
        True,
        Status.ROUTED,
        contract.contractor_id,
    )
    assert not repair.appointments.exists()
    assert len(mailoutbox) == 1
    assert re.match(rf"(EMERGENCY|SPOED)\b.*{reference}", mailoutbox[0].subject)


# The lockout ends 15 minutes after whatever "now" is, and the page tells the time.
@pytest.mark.clock
def test_login_locks_after_five_wrong_passwords(
    tenant_account, page, switch_to_english, log_in, settings
):
    # given the lockout switched on, as in production
    settings.AXES_ENABLED = True
    switch_to_english(page, "/account/inloggen/")

    # when someone tries five wrong passwords for an account
    for attempt in range(1, 5):
        log_in(page, "huurder@example.nl", f"Verkeerd-{attempt}")
        expect(page.get_by_role("alert")).to_contain_text("do not match an account")
    before = timezone.localtime()
    log_in(page, "huurder@example.nl", "Verkeerd-5")
    after = timezone.localtime()

    # then the form is locked, and says when to try again
    expect(page.get_by_role("heading", name="Too many attempts")).to_be_visible()
    text = page.get_by_role("alert").inner_text()
    until = {
        (moment + datetime.timedelta(minutes=15)).strftime("%H:%M") for moment in (before, after)
    }
    assert re.search(r"Try again after (\d\d:\d\d)\.", text).group(1) in until
    expect(
        page.get_by_role("link", name=re.compile("forgotten your password", re.I))
    ).to_be_visible()

    # and the right password is refused as well, so guessing cannot go on behind the lock
    log_in(page, "huurder@example.nl")
    expect(page.get_by_role("heading", name="Too many attempts")).to_be_visible()
    expect(page.get_by_role("button", name="Log out")).to_have_count(0)
