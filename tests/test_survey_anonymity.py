"""Survey answers stay anonymous unless the tenant gives permission to be contacted (the Aedes
rule the survey form promises): without it, staff (and superusers) see the grades and comment
with the contractor, area and month only; no request, address, tenant or exact date, and the
search by request reference does not find the answer. The alert about a low grade names the
repair only with that permission. The form says so in plain words."""

import pytest
from django.urls import reverse

from surveys.models import SurveyResponse

from .test_follow_up import SENT_AT, answer, clock, invite  # noqa: F401 (clock: a fixture)
from .test_survey_invitations import HOUR

pytestmark = pytest.mark.django_db

RESPONSES = "admin:surveys_surveyresponse_changelist"
FOLLOW_UPS = "admin:surveys_followup_changelist"


@pytest.fixture
def answers(clock, chain, client, django_capture_on_commit_callbacks):  # noqa: F811
    """Two answers of the chain's tenant, on 10 March 2026: an anonymous 4 and a 3 given with
    permission to be contacted."""
    anonymous = invite(chain, contact_phone="06 99 88 77 66")
    consenting = invite(chain, contact_phone="06 11 22 33 44")
    clock.move_to(SENT_AT + HOUR, tick=False)
    made = {
        "anonymous": answer(
            client,
            anonymous,
            django_capture_on_commit_callbacks,
            grade=4,
            comment="Anonymous comment",
        ),
        "consenting": answer(
            client,
            consenting,
            django_capture_on_commit_callbacks,
            grade=3,
            may_contact=True,
            comment="Consenting comment",
        ),
    }
    return made


@pytest.fixture
def staff_client(client, staff_user):
    client.force_login(staff_user)
    client.defaults["HTTP_ACCEPT_LANGUAGE"] = "en"
    return client


def _secrets_of(response: SurveyResponse, chain) -> list[str]:
    """What tells who answered: the request, the address, the tenant, the exact day."""
    repair_request = response.invitation.request
    return [
        repair_request.reference,
        chain.dwelling.address_line,
        chain.dwelling.street,
        chain.tenant.email,
        chain.tenant.last_name,
        response.invitation.email,
        "Mar. 10, 2026",
        "March 10, 2026",
        "2026-03-10",
    ]


def _row_of(body: str, grade: int) -> str:
    """The change list's table row of the answer with this grade."""
    (row,) = [row for row in body.split("<tr") if f'class="field-overall_grade">{grade}<' in row]
    return row


@pytest.mark.parametrize("changelist", [RESPONSES, FOLLOW_UPS])
def test_staff_see_an_anonymous_answer_without_who_gave_it(
    staff_client, answers, chain, changelist
):
    # given an answer without permission (a 4) and one with it (a 3)

    # when
    response = staff_client.get(reverse(changelist))

    # then the anonymous row shows grade, contractor, area and month, and nothing of who
    assert response.status_code == 200
    body = response.content.decode()
    listed = {obj.pk for obj in response.context["cl"].result_list}
    assert listed == {answers["anonymous"].pk, answers["consenting"].pk}
    anonymous_row = _row_of(body, 4)
    assert [
        secret for secret in _secrets_of(answers["anonymous"], chain) if secret in anonymous_row
    ] == []
    assert answers["anonymous"].invitation.request.reference not in body
    assert "06 99 88 77 66" not in body
    for shown in ("Anonymous", "March 2026", chain.contractor.name):
        assert shown in anonymous_row
    # and the answer given with permission shows its request and address, with the month
    consenting_row = _row_of(body, 3)
    assert answers["consenting"].invitation.request.reference in consenting_row
    assert chain.dwelling.address_line in consenting_row
    assert "March 2026" in consenting_row
    assert "10, 2026" not in body


@pytest.mark.parametrize(
    ("admin_name", "which"),
    [
        ("surveyresponse", "anonymous"),
        ("surveyresponse", "consenting"),
        ("followup", "anonymous"),
        ("followup", "consenting"),
    ],
)
def test_the_change_page_names_the_tenant_only_with_permission(
    staff_client, answers, chain, admin_name, which
):
    # given
    answer_row = answers[which]

    # when
    response = staff_client.get(reverse(f"admin:surveys_{admin_name}_change", args=[answer_row.pk]))

    # then
    assert response.status_code == 200
    body = response.content.decode()
    shown = [secret for secret in _secrets_of(answer_row, chain)[:5] if secret in body]
    if which == "anonymous":
        assert shown == []
        assert "March 2026" in body
        assert f"{which.capitalize()} comment" in body
        invitation = answer_row.invitation
        title = body.split("<title>", 1)[1].split("</title>", 1)[0]
        assert title.startswith(f"Grade 4 (answer {answer_row.pk})")
        for link in (
            reverse("admin:surveys_surveyinvitation_change", args=[invitation.pk]),
            reverse("admin:repairs_repairrequest_change", args=[invitation.request_id]),
        ):
            assert link not in body
    else:
        assert shown == _secrets_of(answer_row, chain)[:5]


@pytest.mark.parametrize("changelist", [RESPONSES, FOLLOW_UPS])
def test_the_search_by_reference_finds_only_answers_given_with_permission(
    staff_client, answers, changelist
):
    # given

    # when
    anonymous = staff_client.get(
        reverse(changelist), {"q": answers["anonymous"].invitation.request.reference}
    )
    consenting = staff_client.get(
        reverse(changelist), {"q": answers["consenting"].invitation.request.reference}
    )

    # then
    assert [obj.pk for obj in anonymous.context["cl"].result_list] == []
    assert [obj.pk for obj in consenting.context["cl"].result_list] == [answers["consenting"].pk]


def test_no_filter_narrows_answers_to_a_day(staff_client, answers):
    # given

    # when
    response = staff_client.get(reverse(RESPONSES))

    # then the filters are grade, contractor, area and permission: none by date
    fields = [
        entry if isinstance(entry, str) else entry[0]
        for entry in response.context["cl"].list_filter
    ]
    assert fields == ["overall_grade", "contractor", "area", "may_contact"]


def test_a_superuser_sees_an_anonymous_answer_anonymous_too(client, superuser, answers, chain):
    # given
    client.force_login(superuser)

    # when
    listed = client.get(reverse(RESPONSES))
    page = client.get(
        reverse("admin:surveys_surveyresponse_change", args=[answers["anonymous"].pk])
    )

    # then
    assert answers["anonymous"].invitation.request.reference not in listed.content.decode()
    assert answers["anonymous"].invitation.request.reference not in page.content.decode()
    assert chain.dwelling.street not in page.content.decode()


def test_the_low_grade_alert_names_the_repair_only_with_permission(
    clock,  # noqa: F811
    chain,
    staff_user,
    client,
    mailoutbox,
    django_capture_on_commit_callbacks,
):
    # given two low grades: one anonymous, one with permission to be contacted
    anonymous = invite(chain)
    consenting = invite(chain, contact_phone="06 11 22 33 44")
    mailoutbox.clear()

    # when
    answer(client, anonymous, django_capture_on_commit_callbacks, grade=2, comment="Te laat")
    answer(client, consenting, django_capture_on_commit_callbacks, grade=5, may_contact=True)

    # then the staff alert about the anonymous one says contractor, area and month only
    without, with_permission = sorted(
        mailoutbox, key=lambda message: consenting.request.reference in message.subject
    )
    assert without.subject == f"Laag cijfer (2) voor {chain.contractor.name} (anoniem)"
    assert chain.contract.area.name in without.body
    assert "maart 2026" in without.body
    assert "Te laat" in without.body
    for secret in (anonymous.request.reference, chain.dwelling.street, chain.tenant.email):
        assert secret not in without.subject + without.body
    # and the one with permission names the repair, the address and how to reach the tenant
    assert consenting.request.reference in with_permission.subject
    assert chain.dwelling.street in with_permission.body
    assert "06 11 22 33 44" in with_permission.body


@pytest.mark.parametrize(
    ("language", "consent", "explanation"),
    [
        (
            "en",
            "I give permission for the housing association to contact me about this answer.",
            "Without this permission your answer stays anonymous",
        ),
        (
            "nl",
            "Ik geef toestemming dat de corporatie contact met mij opneemt over dit antwoord.",
            "Zonder deze toestemming blijft uw antwoord anoniem",
        ),
    ],
)
def test_the_form_asks_permission_in_plain_words(
    clock,  # noqa: F811
    chain,
    client,
    language,
    consent,
    explanation,
):
    # given a sent invitation
    invitation = invite(chain)

    # when
    response = client.get(
        reverse("survey_answer", args=[invitation.token]), HTTP_ACCEPT_LANGUAGE=language
    )

    # then the box is labelled in plain words, and says what happens without it
    body = response.content.decode()
    assert response.status_code == 200
    assert consent in body
    assert 'type="checkbox" name="may_contact"' in body
    assert explanation in body
    low_grade = {
        "en": "If you give a 5 or lower, we only contact you about it when you tick this box.",
        "nl": "Geeft u een 5 of lager, dan nemen wij alleen contact met u op als u dit vakje "
        "aanvinkt.",
    }[language]
    assert low_grade in body


@pytest.mark.parametrize("changelist", [RESPONSES, FOLLOW_UPS])
def test_the_lists_ask_the_same_queries_for_one_answer_and_for_fifty(
    staff_client, organisation, changelist, django_assert_max_num_queries
):
    # given answers with and without permission, one and then fifty
    from .test_admin_scoping import _invitation

    _invitation(organisation, grade=4, may_contact=True)
    url = reverse(changelist)
    staff_client.get(url)
    with django_assert_max_num_queries(12) as one:
        staff_client.get(url)
    for number in range(49):
        _invitation(organisation, grade=3 + number % 2, may_contact=number % 3 == 0)

    # when
    with django_assert_max_num_queries(12) as fifty:
        response = staff_client.get(url)

    # then
    assert len(response.context["cl"].result_list) == 50
    assert len(fifty.captured_queries) == len(one.captured_queries)
