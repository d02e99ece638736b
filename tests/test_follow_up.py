"""Follow-up of low grades: a grade of 5 or lower alerts the association's staff once, by mail
and in the admin's "Grades to follow up" list; contact details only with the tenant's consent;
staff mark it handled. Staff of another association see none of it."""

import pytest
from django.contrib.admin.helpers import ACTION_CHECKBOX_NAME
from django.urls import reverse

from surveys import services, tasks
from surveys.models import FollowUp, SurveyInvitation, SurveyResponse

from . import factories
from .test_survey_invitations import COMPLETED_AT, HOUR, build_url, completed_request

SENT_AT = COMPLETED_AT + 2 * HOUR
CHANGELIST = "admin:surveys_followup_changelist"

pytestmark = pytest.mark.django_db


@pytest.fixture
def clock(time_machine):
    time_machine.move_to(SENT_AT, tick=False)
    return time_machine


def invite(chain, **fields) -> SurveyInvitation:
    """A completed request of the chain, its invitation mailed at 12:00."""
    repair_request = completed_request(chain, **fields)
    services.survey_invitations_create(now=SENT_AT)
    services.survey_invitations_send(now=SENT_AT, build_url=build_url)
    return SurveyInvitation.objects.select_related("request").get(request=repair_request)


def answer(client, invitation, capture, *, grade: int, may_contact: bool = False, comment=""):
    """The tenant answers through the page; the alert task runs on commit (eager)."""
    data = {"overall_grade": str(grade), "comment": comment}
    if may_contact:
        data["may_contact"] = "on"
    with capture(execute=True):
        response = client.post(reverse("survey_answer", args=[invitation.token]), data)
    assert response.status_code == 302
    return SurveyResponse.objects.get(invitation=invitation)


@pytest.fixture
def staff(staff_user, organisation):
    """The association's active staff; one former colleague who no longer works there."""
    colleague = factories.StaffUserFactory(email="collega@kempenland.nl", organisation=organisation)
    factories.StaffUserFactory(
        email="vertrokken@kempenland.nl", organisation=organisation, is_active=False
    )
    return [colleague.email, staff_user.email]


@pytest.fixture
def staff_client(client, staff_user):
    client.force_login(staff_user)
    client.defaults["HTTP_ACCEPT_LANGUAGE"] = "en"
    return client


# -- the alert -----------------------------------------------------------------------------


@pytest.mark.parametrize("grade", [1, 5])
def test_a_grade_of_five_or_lower_alerts_the_associations_staff_once(
    clock,
    chain,
    staff,
    other_staff_user,
    client,
    mailoutbox,
    django_capture_on_commit_callbacks,
    grade,
):
    # given a sent invitation
    invitation = invite(chain)
    mailoutbox.clear()

    # when the tenant answers with a low grade, and the alert task is delivered again
    response = answer(
        client,
        invitation,
        django_capture_on_commit_callbacks,
        grade=grade,
        may_contact=True,
        comment="Nobody came on the agreed morning.",
    )
    again = tasks.follow_up_alert.delay(response.pk).get()
    swept = tasks.follow_up_alert_sweep.delay().get()

    # then one mail to the association's active staff, none to the other association's
    assert (again, swept) == (False, 0)
    (message,) = mailoutbox
    assert message.to == staff
    assert invitation.request.reference in message.subject
    assert f"({grade})" in message.subject
    assert "Nobody came on the agreed morning." in message.body
    assert chain.dwelling.street in message.body
    response.refresh_from_db()
    assert response.follow_up_alert_sent_at == SENT_AT


@pytest.mark.parametrize("grade", [6, 8, 10])
def test_a_grade_of_six_or_higher_alerts_nobody(
    clock, chain, staff, client, mailoutbox, django_capture_on_commit_callbacks, grade
):
    # given
    invitation = invite(chain)
    mailoutbox.clear()

    # when
    response = answer(client, invitation, django_capture_on_commit_callbacks, grade=grade)
    swept = tasks.follow_up_alert_sweep.delay().get()

    # then
    assert swept == 0
    assert mailoutbox == []
    response.refresh_from_db()
    assert response.follow_up_alert_sent_at is None
    assert not FollowUp.objects.filter(overall_grade__lte=5).exists()


def test_the_alert_names_the_tenant_only_with_consent(
    clock, chain, staff, client, mailoutbox, django_capture_on_commit_callbacks
):
    # given two low grades of the same tenant: one may be contacted, one not
    anonymous = invite(chain)
    consenting = invite(chain, contact_phone="06 11 22 33 44")
    mailoutbox.clear()

    # when
    answer(client, anonymous, django_capture_on_commit_callbacks, grade=3)
    answer(client, consenting, django_capture_on_commit_callbacks, grade=4, may_contact=True)

    # then
    without, with_consent = sorted(
        mailoutbox, key=lambda message: consenting.request.reference in message.subject
    )
    assert consenting.request.reference in with_consent.subject
    for secret in (
        chain.tenant.email,
        chain.tenant.last_name,
        "06 11 22 33 44",
        anonymous.request.reference,
        chain.dwelling.street,
    ):
        assert secret not in without.subject
        assert secret not in without.body
    assert (
        f"{chain.tenant.get_full_name()} · {chain.tenant.email} · 06 11 22 33 44"
        in with_consent.body
    )


def test_a_lost_alert_is_sent_by_the_sweep_once(clock, chain, staff, mailoutbox):
    # given a low grade whose alert task never arrived (the broker lost it)
    invitation = invite(chain)
    mailoutbox.clear()
    services.survey_answer(
        token=invitation.token,
        overall_grade=2,
        fixed_first_time=False,
        on_time=False,
        craftsman_grade=None,
        comment="",
        may_contact=False,
    )
    assert mailoutbox == []

    # when the sweep runs twice
    first = tasks.follow_up_alert_sweep.delay().get()
    second = tasks.follow_up_alert_sweep.delay().get()

    # then
    assert (first, second) == (1, 0)
    assert len(mailoutbox) == 1
    assert mailoutbox[0].to == staff


# -- the admin list ------------------------------------------------------------------------


@pytest.fixture
def grades(clock, chain, other_chain, client, django_capture_on_commit_callbacks):
    """Answers in both associations, an hour apart: own 4 (anonymous), 2 (may contact) and 9;
    theirs 3."""
    made = {}
    for hour, (name, this_chain, grade, may_contact, phone) in enumerate(
        [
            ("anonymous", chain, 4, False, "06 99 88 77 66"),
            ("consenting", chain, 2, True, "06 11 22 33 44"),
            ("happy", chain, 9, False, ""),
            ("theirs", other_chain, 3, True, ""),
        ]
    ):
        invitation = invite(this_chain, contact_phone=phone)
        clock.move_to(SENT_AT + (hour + 1) * HOUR, tick=False)
        made[name] = answer(
            client,
            invitation,
            django_capture_on_commit_callbacks,
            grade=grade,
            may_contact=may_contact,
            comment=f"Comment {name}",
        )
    return made


def test_staff_see_their_associations_low_grades_with_contact_only_by_consent(
    staff_client, grades, chain
):
    # given

    # when
    response = staff_client.get(reverse(CHANGELIST))

    # then
    assert response.status_code == 200
    listed = [obj.pk for obj in response.context["cl"].result_list]
    assert sorted(listed) == sorted([grades["anonymous"].pk, grades["consenting"].pk])
    body = response.content.decode()
    assert "No consent to contact" in body
    assert f"{chain.tenant.get_full_name()} · {chain.tenant.email} · 06 11 22 33 44" in body
    assert "06 99 88 77 66" not in body
    assert grades["anonymous"].invitation.request.reference not in body
    assert grades["consenting"].invitation.request.reference in body
    assert chain.dwelling.address_line in body
    assert "Comment theirs" not in body
    assert "Comment happy" not in body


def test_the_change_page_shows_contact_only_by_consent(staff_client, grades, chain):
    # given

    # when
    anonymous = staff_client.get(
        reverse("admin:surveys_followup_change", args=[grades["anonymous"].pk])
    )
    consenting = staff_client.get(
        reverse("admin:surveys_followup_change", args=[grades["consenting"].pk])
    )

    # then
    assert (anonymous.status_code, consenting.status_code) == (200, 200)
    assert "No consent to contact" in anonymous.content.decode()
    assert chain.tenant.email not in anonymous.content.decode()
    assert chain.tenant.email in consenting.content.decode()


def test_staff_mark_a_low_grade_handled(staff_client, staff_user, grades):
    # given the newest of the two low grades
    own = grades["consenting"]

    # when staff select it, and also post the other association's row
    response = staff_client.post(
        reverse(CHANGELIST),
        {"action": "mark_handled", ACTION_CHECKBOX_NAME: [own.pk, grades["theirs"].pk]},
        follow=True,
    )

    # then only their own is handled, by them, and the list shows the open one first
    assert "1 grade marked as handled." in response.content.decode()
    own.refresh_from_db()
    assert (own.follow_up_handled_at, own.follow_up_handled_by) == (SENT_AT + 4 * HOUR, staff_user)
    grades["theirs"].refresh_from_db()
    assert grades["theirs"].follow_up_handled_at is None
    listed = [obj.pk for obj in response.context["cl"].result_list]
    assert listed == [grades["anonymous"].pk, own.pk]


def test_the_list_shows_open_grades_first_newest_first(staff_client, grades):
    # given

    # when
    response = staff_client.get(reverse(CHANGELIST))

    # then
    listed = [obj.pk for obj in response.context["cl"].result_list]
    assert listed == [grades["consenting"].pk, grades["anonymous"].pk]


def test_marking_twice_keeps_the_first_handling(staff_client, staff_user, grades, organisation):
    # given a grade handled by a colleague
    colleague = factories.StaffUserFactory(email="collega@kempenland.nl", organisation=organisation)
    services.follow_up_mark_handled(response_ids=[grades["anonymous"].pk], actor=colleague)

    # when
    response = staff_client.post(
        reverse(CHANGELIST),
        {"action": "mark_handled", ACTION_CHECKBOX_NAME: [grades["anonymous"].pk]},
        follow=True,
    )

    # then
    assert "0 grades marked as handled." in response.content.decode()
    grades["anonymous"].refresh_from_db()
    assert grades["anonymous"].follow_up_handled_by == colleague


def test_staff_of_another_association_see_none_of_it(client, other_staff_user, grades):
    # given
    client.force_login(other_staff_user)

    # when
    listed = client.get(reverse(CHANGELIST))
    change = client.get(reverse("admin:surveys_followup_change", args=[grades["anonymous"].pk]))

    # then
    assert [obj.pk for obj in listed.context["cl"].result_list] == [grades["theirs"].pk]
    assert change.status_code == 404


def test_a_superuser_sees_every_low_grade(client, superuser, grades):
    # given
    client.force_login(superuser)

    # when
    response = client.get(reverse(CHANGELIST))

    # then
    assert sorted(obj.pk for obj in response.context["cl"].result_list) == sorted(
        [grades["anonymous"].pk, grades["consenting"].pk, grades["theirs"].pk]
    )


@pytest.mark.parametrize("who", ["anonymous", "tenant", "planner"])
def test_people_who_are_not_staff_are_sent_to_the_admin_login(client, chain, grades, who):
    # given
    if who == "tenant":
        client.force_login(chain.tenant)
    if who == "planner":
        client.force_login(factories.ContractorMembershipFactory(contractor=chain.contractor).user)

    # when
    response = client.get(reverse(CHANGELIST))

    # then
    assert response.status_code == 302
    assert response["Location"].startswith(reverse("admin:login"))
