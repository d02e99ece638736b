"""The tenant answers the survey on a phone, from the link in the mail the beat task sent.

Found by label and role, as a person finds things; the test reads the English texts."""

import datetime
import re

import pytest
from django.utils import timezone
from playwright.sync_api import expect

from repairs.lifecycle import Status
from repairs.models import RepairRequest
from surveys import tasks
from surveys.models import InvitationStatus, SurveyInvitation, SurveyResponse
from tests import factories

# The repair was completed three hours before whatever "now" is: when the invitation is due
# depends on it.
pytestmark = pytest.mark.clock

SURVEY_LINK = re.compile(r"https?://\S+/enquete/[\w-]+/")
OVERALL = "What grade do you give the repair as a whole? (1 = very bad, 10 = excellent)"
CRAFTSMAN = "What grade do you give the craftsman? (optional)"


@pytest.fixture
def completed(transactional_db):
    """A repair of a tenant who reads English, completed three hours ago."""
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
    return repair_request


def choose(page, question: str, answer: str) -> None:
    """Tap an answer button of a question (a radio group named by its legend)."""
    group = page.get_by_role("group", name=question)
    group.get_by_text(answer, exact=True).click()
    expect(group.get_by_role("radio", name=answer, exact=True)).to_be_checked()


def test_tenant_answers_the_survey_from_the_link_in_the_mail(
    completed, page, live_server, settings, mailoutbox, switch_to_english, page_problems
):
    # given the beat task mailed the invitation, its link pointing at this server
    settings.SITE_URL = live_server.url
    result = tasks.surveys_run.delay().get()
    assert (result["created"], result["sent"]) == (1, 1)
    (message,) = mailoutbox
    assert message.to == ["huurder@example.nl"]
    link = SURVEY_LINK.search(message.body).group(0)

    # when the tenant opens the link on a phone in Dutch, then switches to English
    page.goto(link)
    expect(page.get_by_role("heading", name="Hoe ging de reparatie?")).to_be_visible()
    switch_to_english(page, link.removeprefix(live_server.url))

    # then the survey asks about this repair, without a login
    expect(page.get_by_role("heading", name="How did the repair go?", level=1)).to_be_visible()
    expect(page.get_by_role("main")).to_contain_text(f"“Tap leaks” ({completed.reference})")
    expect(page).to_have_url(link)
    assert page_problems(page) == []

    # when the tenant sends it without the one required grade
    choose(page, "Was it fixed in one visit?", "Yes")
    page.get_by_role("button", name="Send my answers").click()

    # then the grade is asked for next to the question, and the given answer is kept
    overall = page.get_by_role("group", name=OVERALL)
    expect(overall.get_by_role("alert")).to_have_text("Choose a grade from 1 to 10.")
    expect(
        page.get_by_role("group", name="Was it fixed in one visit?").get_by_role(
            "radio", name="Yes"
        )
    ).to_be_checked()
    assert not SurveyResponse.objects.exists()

    # when the tenant answers every question and sends it
    choose(page, OVERALL, "8")
    choose(page, "Did they come at the agreed time?", "No")
    choose(page, CRAFTSMAN, "9")
    page.get_by_label("Anything you want to tell us? (optional)").fill(
        "Friendly craftsman, but he came an hour late."
    )
    page.get_by_label(
        "I give permission for the housing association to contact me about this answer."
    ).check()
    page.get_by_role("button", name="Send my answers").click()

    # then the tenant is thanked, and the answer is stored once
    expect(page.get_by_role("heading", name="Thank you for your answers")).to_be_visible()
    assert SurveyResponse.objects.values_list(
        "overall_grade", "fixed_first_time", "on_time", "craftsman_grade", "comment", "may_contact"
    ).get() == (8, True, False, 9, "Friendly craftsman, but he came an hour late.", True)
    assert SurveyInvitation.objects.get().status == InvitationStatus.ANSWERED

    # when the tenant opens the link once more
    page.goto(link)

    # then a friendly page says it is done
    expect(page.get_by_role("heading", name="Already answered")).to_be_visible()
    expect(page.get_by_role("main")).to_contain_text(
        "This survey has been answered already. Thank you!"
    )
    assert SurveyResponse.objects.count() == 1
