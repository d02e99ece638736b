"""Survey invitations: pulled from completed requests by a periodic task, sent after the
association's delay, reminded after 3 days, expired after 14, each mail exactly once.

Time is moved with time_machine; the concurrent runs need PostgreSQL (row locks)."""

import datetime
import threading
from collections import Counter
from zoneinfo import ZoneInfo

import pytest
from django.conf import settings
from django.db import connection, connections
from django.urls import reverse

from portal.models import SentMail
from repairs.lifecycle import Status
from repairs.models import AppointmentStatus, RepairRequest, VisitOutcome
from repairs.services import visit_record
from surveys import services, tasks
from surveys.models import InvitationStatus, SurveyInvitation

from . import factories

AMSTERDAM = ZoneInfo("Europe/Amsterdam")
# The repair is completed on Tuesday 10 March 2026 at 10:00 in Amsterdam.
COMPLETED_AT = datetime.datetime(2026, 3, 10, 10, 0, tzinfo=AMSTERDAM)
HOUR = datetime.timedelta(hours=1)
MINUTE = datetime.timedelta(minutes=1)
DAY = datetime.timedelta(days=1)
SITE = "https://portaal.example.nl"


def build_url(path: str) -> str:
    return f"{SITE}{path}"


def completed_request(
    chain,
    *,
    completed_at: datetime.datetime = COMPLETED_AT,
    reported_at: datetime.datetime | None = None,
    status: str = Status.COMPLETED,
    tenant=None,
    **fields,
) -> RepairRequest:
    """A request of the chain's tenant, routed to its contract, in the given status.

    created_at is auto_now_add, so the report time is written afterwards with update()."""
    tenant = tenant or chain.tenant
    repair_request = factories.RepairRequestFactory(
        organisation=chain.organisation,
        dwelling=chain.dwelling,
        tenancy=chain.tenancy,
        reported_by=tenant,
        category=chain.category,
        contract=chain.contract,
        contractor=chain.contractor,
        status=status,
        completed_at=completed_at if status == Status.COMPLETED else None,
        first_time_fix=True if status == Status.COMPLETED else None,
        **fields,
    )
    reported_at = reported_at or completed_at - DAY
    RepairRequest.objects.filter(pk=repair_request.pk).update(created_at=reported_at)
    repair_request.created_at = reported_at
    return repair_request


def survey_mails(outbox, *, reminder: bool = False) -> list:
    prefix = "Reminder: how did the repair go?" if reminder else "How did the repair go?"
    return [m for m in outbox if m.subject.startswith(prefix)]


def survey_link(invitation: SurveyInvitation) -> str:
    return settings.SITE_URL + reverse("survey_answer", args=[invitation.token])


@pytest.fixture
def clock(time_machine):
    """Time stands still at the moment of completion until a test moves it."""
    time_machine.move_to(COMPLETED_AT, tick=False)
    return time_machine


def run_at(clock, moment: datetime.datetime) -> dict:
    """The beat task at a moment, through Celery (eager in the tests)."""
    clock.move_to(moment, tick=False)
    return tasks.surveys_run.delay().get()


NOTHING = {"created": 0, "sent": 0, "reminded": 0, "expired": 0}


# -- invitation ----------------------------------------------------------------------------


def test_the_invitation_is_sent_once_after_the_default_delay_of_two_hours(clock, chain, mailoutbox):
    # given a request completed at 10:00, the association keeping the default delay
    repair_request = completed_request(chain)
    assert chain.organisation.survey_delay_hours == 2

    # when the task runs just before the delay is over, at 12:00, and twice more after it
    early = run_at(clock, COMPLETED_AT + 2 * HOUR - MINUTE)
    mails_early = len(mailoutbox)
    on_time = run_at(clock, COMPLETED_AT + 2 * HOUR)
    again = run_at(clock, COMPLETED_AT + 2 * HOUR)
    later = run_at(clock, COMPLETED_AT + 2 * HOUR + 10 * MINUTE)

    # then the invitation existed early, and exactly one mail went out at 12:00
    assert early == {**NOTHING, "created": 1}
    assert mails_early == 0
    assert on_time == {**NOTHING, "sent": 1}
    assert again == later == NOTHING
    invitation = SurveyInvitation.objects.get()
    assert (invitation.request_id, invitation.status, invitation.email, invitation.language) == (
        repair_request.pk,
        InvitationStatus.SENT,
        chain.tenant.email,
        "en",
    )
    assert (invitation.due_at, invitation.sent_at, invitation.expires_at) == (
        COMPLETED_AT + 2 * HOUR,
        COMPLETED_AT + 2 * HOUR,
        COMPLETED_AT + 2 * HOUR + 14 * DAY,
    )
    assert [(m.to, m.subject) for m in mailoutbox] == [
        ([chain.tenant.email], f"How did the repair go? ({repair_request.reference})")
    ]
    assert survey_link(invitation) in mailoutbox[0].body
    assert len(invitation.token) >= 40
    assert SentMail.objects.filter(key=f"survey-invitation-{invitation.pk}").count() == 1


def test_the_association_sets_the_delay(clock, chain, mailoutbox):
    # given an association that asks a day after the repair
    chain.organisation.survey_delay_hours = 24
    chain.organisation.save(update_fields=["survey_delay_hours"])
    completed_request(chain)

    # when
    before = run_at(clock, COMPLETED_AT + 24 * HOUR - MINUTE)
    after = run_at(clock, COMPLETED_AT + 24 * HOUR)

    # then
    assert before == {**NOTHING, "created": 1}
    assert after == {**NOTHING, "sent": 1}
    assert SurveyInvitation.objects.get().sent_at == COMPLETED_AT + 24 * HOUR
    assert len(mailoutbox) == 1


def test_each_completed_request_gets_its_own_invitation(clock, chain, mailoutbox):
    # given two completed requests of one tenant, and one of a neighbour
    neighbour = factories.UserFactory(email="buurvrouw@example.nl", language="en")
    first = completed_request(chain)
    second = completed_request(chain, completed_at=COMPLETED_AT + HOUR)
    theirs = completed_request(chain, tenant=neighbour)

    # when the task runs every ten minutes for the next four hours
    for step in range(0, 25):
        run_at(clock, COMPLETED_AT + step * 10 * MINUTE)

    # then one invitation and one mail per request
    assert sorted(SurveyInvitation.objects.values_list("request_id", flat=True)) == sorted(
        [first.pk, second.pk, theirs.pk]
    )
    assert Counter(m.subject for m in mailoutbox) == {
        f"How did the repair go? ({first.reference})": 1,
        f"How did the repair go? ({second.reference})": 1,
        f"How did the repair go? ({theirs.reference})": 1,
    }
    assert sorted(m.to[0] for m in mailoutbox) == sorted(
        [chain.tenant.email, chain.tenant.email, "buurvrouw@example.nl"]
    )


@pytest.mark.parametrize(
    "status",
    [Status.CANCELLED, Status.REJECTED, Status.ROUTED, Status.SCHEDULED, Status.FOLLOW_UP],
)
def test_a_request_that_is_not_completed_gets_no_invitation(clock, chain, mailoutbox, status):
    # given a request the tenant cancelled, staff rejected, or that is still open
    completed_request(chain, status=status)

    # when the task runs during the next three weeks
    results = [run_at(clock, COMPLETED_AT + days * DAY) for days in range(0, 22)]

    # then
    assert results == [NOTHING] * 22
    assert not SurveyInvitation.objects.exists()
    assert mailoutbox == []


def test_an_invitation_is_pulled_by_the_task_not_pushed_by_completion(
    clock, chain, mailoutbox, django_capture_on_commit_callbacks
):
    # given a visit today that the craftsman records as fixed
    repair_request = completed_request(chain, status=Status.SCHEDULED)
    slot = chain.slot(date=COMPLETED_AT.date(), booked=1)
    appointment = factories.AppointmentFactory(
        request=repair_request, organisation=chain.organisation, slot=slot
    )
    craftsman = factories.UserFactory(email="vakman@aannemer.nl")
    with django_capture_on_commit_callbacks(execute=True):
        visit_record(appointment=appointment, outcome=VisitOutcome.FIXED, actor=craftsman)
    repair_request.refresh_from_db()
    appointment.refresh_from_db()
    assert (repair_request.status, appointment.status) == (
        Status.COMPLETED,
        AppointmentStatus.DONE,
    )

    # when completing it has happened, and when the task runs two hours later
    created_by_completion = SurveyInvitation.objects.count()
    result = run_at(clock, COMPLETED_AT + 2 * HOUR)

    # then only the task made (and sent) the invitation
    assert created_by_completion == 0
    assert result == {**NOTHING, "created": 1, "sent": 1}
    assert len(survey_mails(mailoutbox)) == 1


def test_the_invitation_comes_from_the_portal_not_the_contractor(clock, chain, mailoutbox):
    # given an association with its own sender, and a contractor with a planner
    chain.organisation.mail_from = "reparaties@kempenland.nl"
    chain.organisation.save(update_fields=["mail_from"])
    planner = factories.ContractorMembershipFactory(contractor=chain.contractor).user
    repair_request = completed_request(chain)

    # when
    run_at(clock, COMPLETED_AT + 2 * HOUR)

    # then the association's portal mails the tenant alone; the contractor is not involved
    (message,) = mailoutbox
    assert message.from_email == "reparaties@kempenland.nl"
    assert (message.to, message.cc, message.bcc, message.reply_to) == (
        [chain.tenant.email],
        [],
        [],
        [],
    )
    addresses = " ".join([message.from_email, *message.to]).lower()
    assert chain.contractor.email.lower() not in addresses
    assert planner.email.lower() not in addresses
    assert f"Your repair {repair_request.reference} (Tap leaks) is done." in message.body
    assert "Your answers go to your housing association, not to the contractor." in message.body


def test_the_invitation_is_in_the_tenants_language(clock, chain, mailoutbox):
    # given a tenant who reads Dutch
    chain.tenant.language = "nl"
    chain.tenant.save(update_fields=["language"])
    repair_request = completed_request(chain)

    # when
    run_at(clock, COMPLETED_AT + 2 * HOUR)

    # then
    (message,) = mailoutbox
    assert SurveyInvitation.objects.get().language == "nl"
    assert message.subject == f"Hoe ging de reparatie? ({repair_request.reference})"


def test_a_request_completed_long_before_the_task_runs_is_not_invited_any_more(
    clock, chain, mailoutbox
):
    # given a request completed 15 days before the task runs again (after an outage)
    completed_request(chain, completed_at=COMPLETED_AT - 15 * DAY)

    # when
    result = run_at(clock, COMPLETED_AT)

    # then a late survey would measure a memory, not the repair
    assert result == NOTHING
    assert mailoutbox == []


# -- reminder and expiry -------------------------------------------------------------------


def test_an_unanswered_invitation_is_reminded_once_after_three_days(clock, chain, mailoutbox):
    # given an invitation sent at 12:00
    repair_request = completed_request(chain)
    run_at(clock, COMPLETED_AT + 2 * HOUR)
    sent_at = COMPLETED_AT + 2 * HOUR

    # when the task runs a minute before three days have passed, then at three days, twice
    early = run_at(clock, sent_at + 3 * DAY - MINUTE)
    due = run_at(clock, sent_at + 3 * DAY)
    again = run_at(clock, sent_at + 3 * DAY)
    next_day = run_at(clock, sent_at + 4 * DAY)

    # then one reminder, carrying the same link
    assert early == NOTHING
    assert due == {**NOTHING, "reminded": 1}
    assert again == next_day == NOTHING
    invitation = SurveyInvitation.objects.get()
    assert invitation.reminder_sent_at == sent_at + 3 * DAY
    assert [m.subject for m in mailoutbox] == [
        f"How did the repair go? ({repair_request.reference})",
        f"Reminder: how did the repair go? ({repair_request.reference})",
    ]
    assert mailoutbox[1].to == [chain.tenant.email]
    assert survey_link(invitation) in mailoutbox[1].body


def test_an_answered_invitation_gets_no_reminder_and_does_not_expire(clock, chain, mailoutbox):
    # given an invitation answered on the next day
    completed_request(chain)
    run_at(clock, COMPLETED_AT + 2 * HOUR)
    invitation = SurveyInvitation.objects.get()
    clock.move_to(COMPLETED_AT + DAY, tick=False)
    services.survey_answer(
        token=invitation.token,
        overall_grade=9,
        fixed_first_time=True,
        on_time=True,
        craftsman_grade=9,
        comment="",
        may_contact=False,
    )

    # when the task runs through the following three weeks
    results = [run_at(clock, COMPLETED_AT + 2 * HOUR + days * DAY) for days in range(1, 22)]

    # then
    assert results == [NOTHING] * 21
    invitation.refresh_from_db()
    assert (invitation.status, invitation.reminder_sent_at) == (InvitationStatus.ANSWERED, None)
    assert len(mailoutbox) == 1


def test_an_unanswered_invitation_expires_after_fourteen_days(clock, chain, mailoutbox):
    # given an invitation sent at 12:00 and reminded three days later
    completed_request(chain)
    run_at(clock, COMPLETED_AT + 2 * HOUR)
    sent_at = COMPLETED_AT + 2 * HOUR
    run_at(clock, sent_at + 3 * DAY)

    # when the task runs a minute before fourteen days have passed, at fourteen days, and again
    early = run_at(clock, sent_at + 14 * DAY - MINUTE)
    status_early = SurveyInvitation.objects.get().status
    due = run_at(clock, sent_at + 14 * DAY)
    again = run_at(clock, sent_at + 14 * DAY + 10 * MINUTE)

    # then it expires once, and no further mail goes out
    assert (early, status_early) == (NOTHING, InvitationStatus.SENT)
    assert due == {**NOTHING, "expired": 1}
    assert again == NOTHING
    assert SurveyInvitation.objects.get().status == InvitationStatus.EXPIRED
    assert len(survey_mails(mailoutbox)) == 1
    assert len(survey_mails(mailoutbox, reminder=True)) == 1
    assert len(mailoutbox) == 2


def test_an_invitation_sent_late_is_not_reminded_after_it_expired(clock, chain, mailoutbox):
    # given an invitation sent, and a beat that was down until after its expiry
    completed_request(chain)
    run_at(clock, COMPLETED_AT + 2 * HOUR)

    # when the task runs again only after fourteen days
    result = run_at(clock, COMPLETED_AT + 2 * HOUR + 14 * DAY)

    # then it expires without a reminder
    assert result == {**NOTHING, "expired": 1}
    assert len(mailoutbox) == 1


# -- concurrency (PostgreSQL) --------------------------------------------------------------


@pytest.fixture
def pg_transactional(transactional_db):
    if connection.vendor != "postgresql":
        pytest.skip("needs PostgreSQL row locks: set DATABASE_URL")


def run_concurrently(work, *, workers: int = 2) -> list:
    """Run `work` in threads that start together, each with its own database connection."""
    barrier = threading.Barrier(workers)
    results: list = []
    errors: list = []

    def target() -> None:
        try:
            barrier.wait(timeout=10)
            results.append(work())
        except BaseException as error:  # reported by the asserting thread
            errors.append(error)
        finally:
            connections.close_all()

    threads = [threading.Thread(target=target) for _ in range(workers)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=60)
    assert not any(thread.is_alive() for thread in threads)
    assert errors == []
    return results


@pytest.fixture
def many_completed(pg_transactional, organisation):
    """Twelve completed requests of twelve tenants, committed for other connections to see."""
    chain = factories.chain_create(organisation=organisation, tenant_email="huurder@example.nl")
    return [
        completed_request(
            chain, tenant=factories.UserFactory(email=f"huurder{n}@example.nl", language="en")
        )
        for n in range(12)
    ]


def test_two_concurrent_runs_send_one_invitation_per_request(clock, many_completed, mailoutbox):
    # given twelve invitations due
    services.survey_invitations_create(now=COMPLETED_AT)
    clock.move_to(COMPLETED_AT + 2 * HOUR, tick=False)

    # when two beat processes send at the same moment
    results = run_concurrently(
        lambda: services.survey_invitations_send(now=COMPLETED_AT + 2 * HOUR, build_url=build_url)
    )

    # then each invitation went out once, sent by one of them
    assert sum(results) == 12
    assert Counter(m.subject for m in mailoutbox) == {
        f"How did the repair go? ({r.reference})": 1 for r in many_completed
    }
    assert SurveyInvitation.objects.filter(status=InvitationStatus.SENT).count() == 12
    assert SentMail.objects.filter(key__startswith="survey-invitation-").count() == 12


def test_two_concurrent_beat_tasks_create_and_send_once(clock, many_completed, mailoutbox):
    # given twelve requests completed two hours ago, none invited yet
    clock.move_to(COMPLETED_AT + 2 * HOUR, tick=False)

    # when two beat processes run the whole task at once, twice each
    results = run_concurrently(lambda: [tasks.surveys_run(), tasks.surveys_run()])

    # then one invitation and one mail per request
    assert sum(run["created"] for runs in results for run in runs) == 12
    assert sum(run["sent"] for runs in results for run in runs) == 12
    assert SurveyInvitation.objects.count() == 12
    assert Counter(m.subject for m in mailoutbox) == {
        f"How did the repair go? ({r.reference})": 1 for r in many_completed
    }


def test_two_concurrent_runs_send_one_reminder_per_invitation(clock, many_completed, mailoutbox):
    # given twelve invitations sent three days ago, unanswered
    services.survey_invitations_create(now=COMPLETED_AT)
    sent_at = COMPLETED_AT + 2 * HOUR
    services.survey_invitations_send(now=sent_at, build_url=build_url)
    mailoutbox.clear()
    clock.move_to(sent_at + 3 * DAY, tick=False)

    # when two beat processes remind, and then expire, at the same moment
    reminded = run_concurrently(
        lambda: services.survey_reminders_send(now=sent_at + 3 * DAY, build_url=build_url)
    )
    expired = run_concurrently(lambda: services.survey_invitations_expire(now=sent_at + 14 * DAY))

    # then
    assert sum(reminded) == 12
    assert Counter(m.subject for m in mailoutbox) == {
        f"Reminder: how did the repair go? ({r.reference})": 1 for r in many_completed
    }
    assert sum(expired) == 12
    assert SurveyInvitation.objects.filter(status=InvitationStatus.EXPIRED).count() == 12
