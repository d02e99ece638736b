"""Reopening: the survey first asks "Is the problem solved?". "No" sends the completed
request back to its contractor as a follow-up, in the planner's list to plan, and it no
longer counts as a first-time fix. The survey answer stays; a request is reopened once.

Only the tenant's own survey link reopens (the token is the permission); a request of
another contractor or association stays 404 for their planners and staff."""

import pytest
from django.urls import reverse

from portal.errors import TransitionNotAllowed
from repairs import services
from repairs.lifecycle import Status
from repairs.models import RepairEvent, RepairRequest
from surveys import services as survey_services
from surveys.kpis import kpi_rows
from surveys.models import InvitationStatus, SurveyInvitation, SurveyResponse

from . import factories
from .queries import count_queries
from .test_survey_invitations import COMPLETED_AT, HOUR, build_url, completed_request

SENT_AT = COMPLETED_AT + 2 * HOUR
NOT_SOLVED = {
    "problem_solved": "no",
    "still_wrong": "The tap still drips at night.",
    "overall_grade": "4",
    "comment": "Annoying.",
}


@pytest.fixture
def clock(time_machine):
    time_machine.move_to(SENT_AT, tick=False)
    return time_machine


@pytest.fixture
def invitation(clock, chain) -> SurveyInvitation:
    """The sent invitation of the chain tenant's request, completed at the first visit."""
    completed_request(chain)
    survey_services.survey_invitations_create(now=SENT_AT)
    survey_services.survey_invitations_send(now=SENT_AT, build_url=build_url)
    return SurveyInvitation.objects.select_related("request").get()


@pytest.fixture
def visitor(client):
    client.defaults["HTTP_ACCEPT_LANGUAGE"] = "en"
    return client


def survey_page(invitation) -> str:
    return reverse("survey_answer", args=[invitation.token])


def reopen_events(repair_request) -> list[tuple]:
    return list(
        RepairEvent.objects.filter(request=repair_request, status=Status.FOLLOW_UP).values_list(
            "actor_id", "note", "data__reason"
        )
    )


# -- the survey ------------------------------------------------------------------------------


def test_the_survey_asks_first_whether_the_problem_is_solved(visitor, invitation):
    # when the tenant opens the link
    html = visitor.get(survey_page(invitation)).content.decode()

    # then the first question is whether it is solved, and what "No" does is said
    assert html.index("Is the problem solved?") < html.index("What grade do you give")
    assert "the repair goes back to the contractor" in html


def test_the_survey_asks_it_in_dutch(client, invitation):
    html = client.get(survey_page(invitation), HTTP_ACCEPT_LANGUAGE="nl").content.decode()
    assert "Is het probleem opgelost?" in html
    assert "gaat de reparatie terug naar de aannemer" in html


def test_not_solved_reopens_the_request_at_the_same_contractor(
    visitor, invitation, chain, planner, english_client
):
    # given a request completed at the first visit
    repair_request = invitation.request
    assert repair_request.first_time_fix is True

    # when the tenant answers "No, not solved"
    response = visitor.post(survey_page(invitation), NOT_SOLVED, follow=True)

    # then they read that it goes back to the contractor
    assert response.redirect_chain == [(reverse("survey_thanks") + "?opnieuw=1", 302)]
    assert "The repair is not finished yet" in response.content.decode()
    # and the request is a follow-up at the same contractor, no longer a first-time fix
    repair_request.refresh_from_db()
    assert repair_request.status == Status.FOLLOW_UP
    assert repair_request.contractor_id == chain.contractor.pk
    assert repair_request.reopened_at == SENT_AT
    assert repair_request.first_time_fix is False
    # with new deadlines counted from now, not yet escalated
    assert repair_request.complete_due_at > SENT_AT
    # the event names the tenant and what is still wrong
    assert reopen_events(repair_request) == [
        (chain.tenant.pk, "The tap still drips at night.", "reopened")
    ]
    # and the survey answer stays, with the answer to the first question
    answer = SurveyResponse.objects.get()
    assert (answer.problem_solved, answer.overall_grade, answer.comment) == (
        False,
        4,
        "Annoying.",
    )
    assert SurveyInvitation.objects.get().status == InvitationStatus.ANSWERED

    # and the planner finds it in the list to plan
    queue = english_client(planner).get(reverse("work_queue", args=["plan"]))
    assert repair_request.reference in queue.content.decode()
    assert "reopened: the tenant says it is not solved" in queue.content.decode()
    page = english_client(planner).get(
        reverse("contractor_request", args=[repair_request.reference])
    )
    assert "reopened: the tenant says it is not solved" in page.content.decode()


def test_the_tenant_reads_it_on_their_timeline(visitor, invitation, chain, tenant_client):
    visitor.post(survey_page(invitation), NOT_SOLVED)

    page = tenant_client.get(reverse("repair_detail", args=[invitation.request.reference]))

    html = page.content.decode()
    assert "You told us the problem is not solved; the contractor comes back" in html
    assert "Another appointment is needed" in html


@pytest.mark.parametrize("answer", ["yes", ""])
def test_solved_or_no_answer_leaves_the_request_completed(visitor, invitation, answer):
    response = visitor.post(
        survey_page(invitation), {**NOT_SOLVED, "problem_solved": answer}, follow=True
    )

    assert response.redirect_chain == [(reverse("survey_thanks"), 302)]
    assert "The repair is not finished yet" not in response.content.decode()
    repair_request = RepairRequest.objects.get()
    assert repair_request.status == Status.COMPLETED
    assert repair_request.reopened_at is None
    assert repair_request.first_time_fix is True
    assert SurveyResponse.objects.get().problem_solved == {"yes": True, "": None}[answer]


def test_a_second_answer_does_not_reopen_again(visitor, invitation):
    # given an answer "not solved"
    visitor.post(survey_page(invitation), NOT_SOLVED)

    # when the same link is posted again
    response = visitor.post(survey_page(invitation), NOT_SOLVED)

    # then it is refused, and the request was reopened once
    assert response.status_code == 410
    assert len(reopen_events(invitation.request)) == 1
    assert SurveyResponse.objects.count() == 1


def test_an_unknown_link_reopens_nothing(visitor, invitation):
    response = visitor.post(reverse("survey_answer", args=["not-a-token"]), NOT_SOLVED)

    assert response.status_code == 404
    assert RepairRequest.objects.get().status == Status.COMPLETED
    assert SurveyResponse.objects.count() == 0


def test_a_bad_answer_to_the_first_question_is_refused(visitor, invitation):
    response = visitor.post(survey_page(invitation), {**NOT_SOLVED, "problem_solved": "maybe"})

    assert response.status_code == 422
    assert RepairRequest.objects.get().status == Status.COMPLETED
    assert SurveyResponse.objects.count() == 0


# -- the service -----------------------------------------------------------------------------


def test_a_request_is_reopened_only_once(invitation, chain):
    repair_request = invitation.request
    services.repair_request_reopen(repair_request=repair_request, reason="", by=chain.tenant)

    with pytest.raises(TransitionNotAllowed):
        services.repair_request_reopen(repair_request=repair_request, reason="", by=chain.tenant)

    assert len(reopen_events(repair_request)) == 1


@pytest.mark.parametrize(
    "status", [Status.ROUTED, Status.SCHEDULED, Status.FOLLOW_UP, Status.CANCELLED]
)
def test_a_request_that_is_not_completed_is_not_reopened(now, chain, status):
    repair_request = factories.routed_request_create(chain, status=status)

    with pytest.raises(TransitionNotAllowed):
        services.repair_request_reopen(repair_request=repair_request, reason="", by=chain.tenant)

    repair_request.refresh_from_db()
    assert repair_request.status == status
    assert repair_request.reopened_at is None


def test_a_reopened_request_counts_against_first_time_fix(clock, invitation, chain, planner):
    # given a request completed at its first visit, reopened from the survey
    repair_request = invitation.request
    first = chain.slot(date=COMPLETED_AT.date())
    factories.visit_create(repair_request, first, status="done", outcome="fixed")
    RepairRequest.objects.filter(pk=repair_request.pk).update(status=Status.COMPLETED)
    month = COMPLETED_AT.date().replace(day=1)
    before = kpi_rows(organisation_ids={chain.organisation.pk}, start=month, end=month)
    assert (before[0].completed, before[0].first_time_fixes) == (1, 1)
    services.repair_request_reopen(repair_request=repair_request, reason="", by=chain.tenant)

    # when the contractor comes back and fixes it
    slot = chain.slot(days=1)
    repair_request.refresh_from_db()
    visit = services.appointment_plan(repair_request=repair_request, slot_id=slot.pk, actor=planner)
    clock.move_to(slot.ends_at - HOUR)
    services.visit_record(appointment=visit, outcome="fixed", actor=planner)

    # then it is completed again, and not a first-time fix in the month's figures
    repair_request.refresh_from_db()
    assert repair_request.status == Status.COMPLETED
    assert repair_request.first_time_fix is False
    after = kpi_rows(organisation_ids={chain.organisation.pk}, start=month, end=month)
    assert (after[0].completed, after[0].first_time_fixes) == (1, 0)
    # and its survey invitation still counts, in the month of the last completion
    assert after[0].invitations_sent == 1


# -- staff -----------------------------------------------------------------------------------


def admin_list(params="after=reopened") -> str:
    return reverse("admin:repairs_repairrequest_changelist") + "?" + params


def test_staff_filter_the_reopened_requests(visitor, invitation, chain, staff_user, english_client):
    # given a reopened request and another completed one
    visitor.post(survey_page(invitation), NOT_SOLVED)
    other = completed_request(chain)

    # when staff filter the list on reopened requests
    html = english_client(staff_user).get(admin_list()).content.decode()

    # then they see the reopened one only
    assert invitation.request.reference in html
    assert other.reference not in html


def test_staff_and_planners_of_others_do_not_see_a_reopened_request(
    visitor, invitation, other_staff_user, english_client, other_chain
):
    visitor.post(survey_page(invitation), NOT_SOLVED)
    repair_request = invitation.request

    other_planner = factories.planner_create(other_chain.contractor)
    page = english_client(other_planner).get(
        reverse("contractor_request", args=[repair_request.reference])
    )
    assert page.status_code == 404
    staff = english_client(other_staff_user)
    assert repair_request.reference not in staff.get(admin_list()).content.decode()
    change = reverse("admin:repairs_repairrequest_change", args=[repair_request.pk])
    assert staff.get(change).status_code in (302, 404)


def test_the_reopened_list_asks_the_same_for_1_and_50_rows(now, chain, staff_user, english_client):
    client = english_client(staff_user)
    factories.routed_request_create(chain, status=Status.FOLLOW_UP, reopened_at=now)
    client.get(admin_list())
    one = count_queries(client, admin_list())

    for _ in range(49):
        factories.routed_request_create(chain, status=Status.FOLLOW_UP, reopened_at=now)
    fifty = count_queries(client, admin_list())

    assert one == fifty


def test_the_planners_list_asks_the_same_for_1_and_50_reopened(now, chain, planner_client):
    url = reverse("work_queue", args=["plan"])

    def reopened():
        factories.routed_request_create(chain, status=Status.FOLLOW_UP, reopened_at=now)

    reopened()
    planner_client.get(url)
    one = count_queries(planner_client, url)
    for _ in range(49):
        reopened()
    fifty = count_queries(planner_client, url)

    assert one == fifty
    page = planner_client.get(url).content.decode()
    assert page.count("reopened: the tenant says it is not solved") == 25  # one page of 25
