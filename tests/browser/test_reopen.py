"""The tenant answers the survey "No, not solved" on a phone and sees the repair reopened:
the thanks page says it goes back to the contractor, and their request page says so too.

Found by label and role, as a person finds things."""

import datetime

import pytest
from django.utils import timezone
from playwright.sync_api import expect

from repairs.lifecycle import Status
from repairs.models import RepairRequest
from surveys import services
from surveys.models import SurveyInvitation
from tests import factories

pytestmark = pytest.mark.clock


@pytest.fixture
def invitation(transactional_db):
    """The sent survey of a tenant's repair completed three hours ago."""
    chain = factories.chain_create(
        organisation=factories.OrganisationFactory(name="Woonstichting Kempenland"),
        tenant_email="huurder@example.nl",
    )
    now = timezone.now()
    repair_request = factories.RepairRequestFactory(
        organisation=chain.organisation,
        dwelling=chain.dwelling,
        tenancy=chain.tenancy,
        reported_by=chain.tenant,
        category=chain.category,
        contract=chain.contract,
        contractor=chain.contractor,
        status=Status.COMPLETED,
        completed_at=now - datetime.timedelta(hours=3),
        first_time_fix=True,
    )
    RepairRequest.objects.filter(pk=repair_request.pk).update(
        created_at=now - datetime.timedelta(days=2)
    )
    services.survey_invitations_create(now=now)
    services.survey_invitations_send(now=now, build_url=lambda path: path)
    return SurveyInvitation.objects.select_related("request", "request__reported_by").get()


def choose(page, question: str, answer: str) -> None:
    group = page.get_by_role("group", name=question)
    group.get_by_text(answer, exact=True).click()
    expect(group.get_by_role("radio", name=answer, exact=True)).to_be_checked()


def test_not_solved_in_the_survey_reopens_the_request(
    invitation, page, log_in, switch_to_english, page_problems
):
    repair_request = invitation.request

    # when the tenant opens the link on a phone, in Dutch, and answers "No, not solved"
    page.goto(f"/enquete/{invitation.token}/")
    expect(page.get_by_role("heading", name="Hoe ging de reparatie?")).to_be_visible()
    choose(page, "Is het probleem opgelost?", "Nee")
    page.get_by_label("Zo niet: wat is er nog mis? (niet verplicht; de aannemer leest dit)").fill(
        "De kraan druppelt nog steeds."
    )
    choose(
        page,
        "Welk cijfer geeft u de reparatie als geheel? (1 = heel slecht, 10 = uitstekend)",
        "4",
    )
    page.get_by_role("button", name="Verstuur mijn antwoorden").click()

    # then the thanks page says the repair goes back to the contractor
    expect(page.get_by_role("heading", name="De reparatie is nog niet klaar")).to_be_visible()
    assert page_problems(page) == []
    repair_request.refresh_from_db()
    assert repair_request.status == Status.FOLLOW_UP
    assert repair_request.first_time_fix is False

    # and when the tenant logs in and opens the request, it is open again
    tenant = repair_request.reported_by
    tenant.set_password(factories.PASSWORD)
    tenant.save(update_fields=["password"])
    switch_to_english(page)
    log_in(page, tenant.email, factories.PASSWORD)
    page.goto(f"/mijn-reparaties/{repair_request.reference}/")
    expect(page.get_by_role("main")).to_contain_text(
        "You told us the problem is not solved; the contractor comes back"
    )
    expect(page.get_by_role("main")).to_contain_text("Another appointment is needed")
