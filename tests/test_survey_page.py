"""The survey page: reached by the link's token without login, one answer per invitation,
a friendly page for a used, expired or unknown link, and bad input refused with a message."""

import datetime

import pytest
from django.db import connection
from django.urls import reverse

from surveys import services
from surveys.models import InvitationStatus, SurveyInvitation, SurveyResponse

from .test_survey_invitations import (
    COMPLETED_AT,
    DAY,
    HOUR,
    MINUTE,
    build_url,
    completed_request,
    run_concurrently,
)

SENT_AT = COMPLETED_AT + 2 * HOUR
THANKS = "Thank you for your answers"
VALID = {
    "overall_grade": "8",
    "fixed_first_time": "yes",
    "on_time": "no",
    "craftsman_grade": "9",
    "comment": "The craftsman was friendly, but came an hour late.",
    "may_contact": "on",
}


@pytest.fixture
def clock(time_machine):
    time_machine.move_to(SENT_AT, tick=False)
    return time_machine


@pytest.fixture
def invitation(clock, chain) -> SurveyInvitation:
    """The invitation of a request completed at 10:00, mailed at 12:00 the same day."""
    completed_request(chain)
    services.survey_invitations_create(now=SENT_AT)
    services.survey_invitations_send(now=SENT_AT, build_url=build_url)
    invitation = SurveyInvitation.objects.select_related("request").get()
    assert invitation.status == InvitationStatus.SENT
    return invitation


@pytest.fixture
def visitor(client):
    """Whoever opens the link: not logged in, reading English."""
    client.defaults["HTTP_ACCEPT_LANGUAGE"] = "en"
    return client


def page(invitation_or_token) -> str:
    token = getattr(invitation_or_token, "token", invitation_or_token)
    return reverse("survey_answer", args=[token])


def text(response) -> str:
    return response.content.decode()


# -- the page ------------------------------------------------------------------------------


def test_the_link_opens_the_survey_without_login(visitor, invitation):
    # given a visitor who is not logged in

    # when
    response = visitor.get(page(invitation))

    # then the questions are asked, on a page made for a phone
    assert response.status_code == 200
    body = text(response)
    assert '<html lang="en">' in body
    assert '<meta name="viewport" content="width=device-width, initial-scale=1">' in body
    assert f"about the repair “Tap leaks” ({invitation.request.reference})" in body
    for question in [
        "What grade do you give the repair as a whole? (1 = very bad, 10 = excellent)",
        "Was it fixed in one visit?",
        "Did they come at the agreed time?",
        "What grade do you give the craftsman? (optional)",
        "Anything you want to tell us? (optional)",
        "I give permission for the housing association to contact me about this answer.",
    ]:
        assert question in body
    assert 'maxlength="2000"' in body
    assert body.count('name="overall_grade"') == 10
    assert body.count('name="craftsman_grade"') == 10


def test_the_page_speaks_dutch_to_a_dutch_browser(client, invitation):
    # given
    client.defaults["HTTP_ACCEPT_LANGUAGE"] = "nl"

    # when
    response = client.get(page(invitation))

    # then
    assert response.status_code == 200
    assert '<html lang="nl">' in text(response)
    assert "Hoe ging de reparatie?" in text(response)


def test_the_page_shows_nothing_of_the_tenant(visitor, invitation, chain):
    # given a link that may have been forwarded

    # when
    response = visitor.get(page(invitation))

    # then
    body = text(response)
    assert chain.tenant.email not in body
    assert chain.tenant.last_name not in body
    assert chain.dwelling.street not in body


# -- answering -----------------------------------------------------------------------------


def test_a_valid_answer_is_stored_once(visitor, invitation, chain):
    # given

    # when
    response = visitor.post(page(invitation), VALID, follow=True)

    # then
    assert response.redirect_chain == [(reverse("survey_thanks"), 302)]
    assert THANKS in text(response)
    stored = SurveyResponse.objects.values(
        "organisation_id",
        "invitation_id",
        "contractor_id",
        "area_id",
        "overall_grade",
        "fixed_first_time",
        "on_time",
        "craftsman_grade",
        "comment",
        "may_contact",
        "answered_at",
    ).get()
    assert stored == {
        "organisation_id": chain.organisation.pk,
        "invitation_id": invitation.pk,
        "contractor_id": chain.contractor.pk,
        "area_id": chain.area.pk,
        "overall_grade": 8,
        "fixed_first_time": True,
        "on_time": False,
        "craftsman_grade": 9,
        "comment": "The craftsman was friendly, but came an hour late.",
        "may_contact": True,
        "answered_at": SENT_AT,
    }
    invitation.refresh_from_db()
    assert invitation.status == InvitationStatus.ANSWERED


def test_only_the_overall_grade_is_required(visitor, invitation):
    # given

    # when
    response = visitor.post(page(invitation), {"overall_grade": "10"})

    # then
    assert response.status_code == 302
    assert SurveyResponse.objects.values_list(
        "overall_grade",
        "fixed_first_time",
        "on_time",
        "craftsman_grade",
        "comment",
        "may_contact",
    ).get() == (10, None, None, None, "", False)


def test_a_second_answer_is_refused_with_a_friendly_page(visitor, invitation):
    # given an answered survey
    visitor.post(page(invitation), VALID)

    # when the link is used again, to look and to answer differently
    again = visitor.get(page(invitation))
    second = visitor.post(page(invitation), {**VALID, "overall_grade": "2", "comment": "Bad"})

    # then
    for response in (again, second):
        assert response.status_code == 410
        assert "Already answered" in text(response)
        assert "This survey has been answered already. Thank you!" in text(response)
    assert SurveyResponse.objects.values_list("overall_grade", "comment").get() == (
        8,
        VALID["comment"],
    )


def test_the_same_answer_sent_twice_at_once_is_stored_once(transactional_db, time_machine, chain):
    # given (PostgreSQL: a double tap on the button reaches two workers at the same time)
    if connection.vendor != "postgresql":
        pytest.skip("needs PostgreSQL row locks: set DATABASE_URL")
    time_machine.move_to(SENT_AT, tick=False)
    completed_request(chain)
    services.survey_invitations_create(now=SENT_AT)
    services.survey_invitations_send(now=SENT_AT, build_url=build_url)
    token = SurveyInvitation.objects.get().token

    def answer():
        try:
            services.survey_answer(
                token=token,
                overall_grade=7,
                fixed_first_time=None,
                on_time=None,
                craftsman_grade=None,
                comment="",
                may_contact=False,
            )
        except services.SurveyUnavailable as refusal:
            return refusal.extra["reason"]
        return "stored"

    # when
    outcomes = run_concurrently(answer)

    # then
    assert sorted(outcomes) == ["answered", "stored"]
    assert SurveyResponse.objects.count() == 1


# -- links that no longer work -------------------------------------------------------------


@pytest.mark.parametrize("after", [14 * DAY, 20 * DAY])
def test_an_expired_link_gets_a_friendly_page(visitor, invitation, clock, after):
    # given the fourteen days are over, whether the expiry task has run yet or not
    clock.move_to(SENT_AT + after, tick=False)
    if after > 14 * DAY:
        services.survey_invitations_expire(now=SENT_AT + after)

    # when
    looked = visitor.get(page(invitation))
    answered = visitor.post(page(invitation), VALID)

    # then
    for response in (looked, answered):
        assert response.status_code == 410
        assert "This survey has closed" in text(response)
        assert "This survey has closed: answers are possible for 14 days." in text(response)
    assert not SurveyResponse.objects.exists()


def test_the_link_still_works_on_the_last_minute(visitor, invitation, clock):
    # given
    clock.move_to(SENT_AT + 14 * DAY - MINUTE, tick=False)

    # when
    response = visitor.post(page(invitation), VALID)

    # then
    assert response.status_code == 302
    assert SurveyResponse.objects.count() == 1


@pytest.mark.parametrize("token", ["unknown", "x" * 43, "pending"])
def test_an_unknown_link_gets_a_friendly_page(visitor, chain, clock, token):
    # given an invitation that is not sent yet (its link was never mailed)
    completed_request(chain)
    services.survey_invitations_create(now=COMPLETED_AT)
    if token == "pending":
        token = SurveyInvitation.objects.get().token

    # when
    looked = visitor.get(page(token))
    answered = visitor.post(page(token), VALID)

    # then
    for response in (looked, answered):
        assert response.status_code == 404
        assert "Link not found" in text(response)
        assert "We do not know this link." in text(response)
        assert "Contact your housing association." in text(response)
    assert not SurveyResponse.objects.exists()


# -- refused input -------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("grade", "message"),
    [
        ("0", "A grade is a whole number from 1 to 10."),
        ("11", "A grade is a whole number from 1 to 10."),
        ("ten", "A grade is a whole number from 1 to 10."),
        ("7.5", "A grade is a whole number from 1 to 10."),
        ("-1", "A grade is a whole number from 1 to 10."),
        ("", "Choose a grade from 1 to 10."),
    ],
)
def test_a_bad_overall_grade_is_refused_with_a_message(visitor, invitation, grade, message):
    # given

    # when
    response = visitor.post(page(invitation), {**VALID, "overall_grade": grade})

    # then the form comes back with the message next to the question, and nothing is stored
    assert response.status_code == 422
    body = text(response)
    assert "Please correct the fields marked below." in body
    assert f'id="id_overall_grade-error" role="alert">{message}</div>' in body
    assert 'aria-describedby="id_overall_grade-error"' in body
    assert VALID["comment"] in body
    assert not SurveyResponse.objects.exists()
    invitation.refresh_from_db()
    assert invitation.status == InvitationStatus.SENT


@pytest.mark.parametrize("grade", ["0", "11", "nine"])
def test_a_bad_craftsman_grade_is_refused(visitor, invitation, grade):
    # given

    # when
    response = visitor.post(page(invitation), {**VALID, "craftsman_grade": grade})

    # then
    assert response.status_code == 422
    assert "A grade is a whole number from 1 to 10." in text(response)
    assert not SurveyResponse.objects.exists()


def test_a_comment_of_more_than_2000_characters_is_refused(visitor, invitation):
    # given

    # when
    too_long = visitor.post(page(invitation), {**VALID, "comment": "a" * 2001})
    just_fits = visitor.post(page(invitation), {**VALID, "comment": "a" * 2000})

    # then
    assert too_long.status_code == 422
    assert "Keep it to 2000 characters (now 2001)." in text(too_long)
    assert just_fits.status_code == 302
    assert len(SurveyResponse.objects.get().comment) == 2000


def test_an_unknown_yes_no_answer_is_refused(visitor, invitation):
    # given

    # when
    response = visitor.post(page(invitation), {**VALID, "on_time": "maybe"})

    # then
    assert response.status_code == 422
    assert not SurveyResponse.objects.exists()


def test_the_answer_time_is_the_moment_of_answering(visitor, invitation, clock):
    # given the tenant answers two days after the mail
    clock.move_to(SENT_AT + 2 * DAY + datetime.timedelta(minutes=5), tick=False)

    # when
    visitor.post(page(invitation), VALID)

    # then
    assert SurveyResponse.objects.get().answered_at == SENT_AT + 2 * DAY + 5 * MINUTE
