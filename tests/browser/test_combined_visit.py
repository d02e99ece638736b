"""A tenant whose home has a visit of the contractor planned reports another repair and is
offered one visit for both: they accept with the offer's button and read when it is and what
happens next. On a phone-sized Chromium, found by role and label."""

import re

import pytest
from django.urls import reverse
from django.utils import formats, timezone, translation
from playwright.sync_api import expect

from contractors.models import Slot
from demo.world import DEMO_PASSWORD
from repairs.models import Appointment, AppointmentStatus, RepairRequest
from repairs.services.appointments import appointment_plan
from tests import factories


@pytest.fixture
def home_with_a_planned_visit(transactional_db):
    """The chain's tenant (with the demo password), a visit of their contractor planned in
    their home five days ahead, and a free time of their own."""
    chain = factories.chain_create(tenant_email="huurder@example.nl")
    chain.tenant.set_password(DEMO_PASSWORD)
    chain.tenant.save(update_fields=["password"])
    planner = factories.planner_create(chain.contractor)
    visit = appointment_plan(
        repair_request=factories.routed_request_create(chain),
        slot_id=chain.slot(days=5, capacity=1).pk,
        actor=planner,
    )
    chain.slot(days=3)
    return chain, visit


def test_tenant_accepts_the_combined_visit(
    home_with_a_planned_visit, page, switch_to_english, log_in, assert_accessible
):
    chain, visit = home_with_a_planned_visit
    with translation.override("en"):
        day = formats.date_format(timezone.localtime(visit.starts_at), "l j F")

    # given the tenant logged in, reading English, reporting a leaking tap
    switch_to_english(page)
    log_in(page, chain.tenant.email)
    page.goto(reverse("report_category", args=[chain.category.pk]))
    page.get_by_label("What is wrong?").fill("The bathroom tap drips all day and all night.")

    # then they are offered the visit planned in their home, with the benefit
    offer = page.get_by_role("region", name=f"Combine with your visit on {day}, morning?")
    expect(offer).to_be_visible()
    expect(offer).to_contain_text("one visit instead of two")
    assert_accessible(page)

    # when they accept it
    offer.get_by_role("button", name="Yes, combine with this visit").click()

    # then the confirmation says when the contractor comes, that it is one visit, and what
    # happens next
    expect(page.get_by_role("heading", name="Thank you, your report is received")).to_be_visible()
    expect(page.get_by_text(re.compile(rf"{day}, morning \(08:00–12:00\)"))).to_be_visible()
    expect(page.get_by_text("Combined visit")).to_be_visible()
    expect(page.get_by_role("heading", name="What happens next")).to_be_visible()
    expect(page.get_by_text(re.compile("one visit instead of two"))).to_be_visible()

    # and the job rides along on the visit, which still takes one place
    repair_request = RepairRequest.objects.filter(dwelling=chain.dwelling).latest("pk")
    rider = Appointment.objects.get(request=repair_request)
    assert (rider.status, rider.shared_visit_id) == (AppointmentStatus.PLANNED, visit.pk)
    assert Slot.objects.get(pk=visit.slot_id).booked == 1
