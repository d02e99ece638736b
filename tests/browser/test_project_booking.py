"""The tenant of a home in a renovation project opens it from their repairs page on a phone,
picks a time kept for the project by its label, and reads the confirmation with what happens
next; or sends a question or an objection instead.

Found by label and role, as a person finds things."""

import datetime

import pytest
from django.utils import formats, timezone, translation
from playwright.sync_api import expect

from portal.models import Dwelling
from projects import services
from projects.models import DwellingStatus, Project, ProjectDwelling, ProjectScope
from repairs.models import MaintenanceKind, RepairRequest
from tests import factories

pytestmark = pytest.mark.clock


@pytest.fixture
def project(transactional_db):
    """A project over the tenant's home, invited, with two places kept in two dayparts."""
    chain = factories.chain_create(
        organisation=factories.OrganisationFactory(name="Woonstichting Kempenland"),
        tenant_email="huurder@example.nl",
    )
    today = timezone.localdate()
    project = Project.objects.create(
        organisation=chain.organisation,
        name="Nieuwe kozijnen Kerkstraat",
        kind=MaintenanceKind.PROJECT,
        contract=chain.contract,
        scope=ProjectScope.LIST,
        starts_on=today,
        ends_on=today + datetime.timedelta(days=30),
        letter="We replace the window frames of your home.",
    )
    services.project_dwellings_add(
        project=project, dwellings=Dwelling.objects.filter(pk=chain.dwelling.pk)
    )
    services.project_invite(project=project)
    for days in (3, 4):
        services.project_capacity_reserve(
            project=project, slot=chain.slot(days=days, capacity=2), visits=1
        )
    return project


def label_of(slot) -> str:
    starts = timezone.localtime(slot.starts_at)
    ends = timezone.localtime(slot.ends_at)
    with translation.override("en"):
        return f"{formats.date_format(starts, 'l j F')}, morning ({starts:%H:%M}–{ends:%H:%M})"


def open_project(page, log_in, switch_to_english, project) -> None:
    switch_to_english(page, "/account/inloggen/")
    log_in(page, "huurder@example.nl", factories.PASSWORD)
    expect(page.get_by_text(project.name)).to_be_visible()
    page.get_by_role("link", name="Choose a time").click()
    expect(page.get_by_role("heading", name=project.name)).to_be_visible()


def test_the_tenant_books_a_visit_of_the_project(
    project, page, log_in, switch_to_english, page_problems
):
    # given the tenant on the project page, opened from their repairs
    open_project(page, log_in, switch_to_english, project)
    expect(page.get_by_text("We replace the window frames of your home.")).to_be_visible()
    assert page_problems(page) == []

    # when they pick the second time by its label and book it
    second = project.slots.order_by("slot__starts_at")[1].slot
    page.get_by_role("radio", name=label_of(second)).check()
    page.get_by_role("button", name="Book this time").click()

    # then the page confirms it and says what happens next
    expect(page.get_by_role("heading", name="Your visit is booked")).to_be_visible()
    expect(page.get_by_text(label_of(second))).to_be_visible()
    expect(page.get_by_role("heading", name="What happens next")).to_be_visible()
    expect(page.get_by_text("We sent you a confirmation by e-mail")).to_be_visible()
    assert page_problems(page) == []
    row = ProjectDwelling.objects.get(project=project)
    assert row.status == DwellingStatus.BOOKED
    order = RepairRequest.objects.get(pk=row.request_id)
    assert order.maintenance_kind == MaintenanceKind.PROJECT
    assert order.appointments.get().slot_id == second.pk


def test_the_tenant_sends_an_objection_instead(
    project, page, log_in, switch_to_english, page_problems
):
    # given the tenant on the project page
    open_project(page, log_in, switch_to_english, project)

    # when they say they object, with their reason
    page.get_by_role("link", name="I have a question or an objection").click()
    page.get_by_role("button", name="Send").click()
    expect(page.get_by_text("Choose whether you have a question or an objection.")).to_be_visible()
    page.get_by_label("An objection: I do not want the work").check()
    page.get_by_label("Your question or objection").fill("My frames were replaced last year.")
    page.get_by_role("button", name="Send").click()

    # then the page says it was received and what happens next; no visit is booked
    expect(page.get_by_role("heading", name="We have received your objection")).to_be_visible()
    expect(page.get_by_role("heading", name="What happens next")).to_be_visible()
    expect(page.get_by_role("radio")).to_have_count(0)
    assert page_problems(page) == []
    row = ProjectDwelling.objects.get(project=project)
    assert (row.status, row.response_text) == (
        DwellingStatus.OBJECTED,
        "My frames were replaced last year.",
    )
    assert not RepairRequest.objects.exists()
