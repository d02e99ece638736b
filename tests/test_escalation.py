"""Escalation of requests past their latest completion: the periodic task mails the
contractor's planners first and, a working day later, the association's staff; each once,
in that order, recorded in the request's columns and sent through the outbox by key."""

import datetime
from zoneinfo import ZoneInfo

import pytest

from outbox.models import OutboxMessage
from outbox.services import outbox_send_due
from repairs.lifecycle import Status
from repairs.models import RepairRequest
from repairs.services import escalation_key
from repairs.tasks import late_requests_escalate

from . import factories

AMSTERDAM = ZoneInfo("Europe/Amsterdam")


def at(time_machine, *args) -> datetime.datetime:
    instant = datetime.datetime(*args, tzinfo=AMSTERDAM)
    time_machine.move_to(instant, tick=False)
    return instant


# Due by the end of Friday 13 March 2026 (Amsterdam).
DUE = datetime.datetime(2026, 3, 14, 0, 0, tzinfo=AMSTERDAM)


@pytest.fixture
def late(chain, planner, staff_user, other_staff_user, time_machine):
    """A request of the chain due by the end of Friday 13 March, still open; its planner
    and the association's staff (and another association's staff, who hear nothing)."""
    at(time_machine, 2026, 3, 2, 9, 0)
    return factories.routed_request_create(chain, complete_due_at=DUE, visit_due_at=DUE)


def mails_about(mailoutbox, repair_request) -> list:
    return [mail for mail in mailoutbox if repair_request.reference in mail.subject]


def test_nothing_is_escalated_before_the_deadline(late, mailoutbox, time_machine):
    at(time_machine, 2026, 3, 13, 23, 59)

    assert late_requests_escalate() == 0

    late.refresh_from_db()
    assert (late.escalated_to_planner_at, late.escalated_to_staff_at) == (None, None)
    assert mailoutbox == []


def test_planners_hear_first_then_staff_a_working_day_later_each_once(
    late, chain, planner, staff_user, mailoutbox, time_machine
):
    # when the sweep runs on Saturday morning, after the deadline, and again
    saturday = at(time_machine, 2026, 3, 14, 8, 0)
    assert late_requests_escalate() == 1
    assert late_requests_escalate() == 0

    # then the contractor and its planner got one mail, in Dutch; staff nothing yet
    (mail,) = mails_about(mailoutbox, late)
    assert mail.to == sorted([chain.contractor.email, planner.email])
    assert mail.subject.startswith(f"Te laat: reparatie {late.reference}")
    assert "moest uiterlijk 13 maart 2026 gereed zijn en staat nog open" in mail.body
    late.refresh_from_db()
    assert late.escalated_to_planner_at == saturday
    assert late.escalated_to_staff_at is None

    # when it runs on Monday morning: not yet a working day after Saturday 08:00 (Friday is
    # the working day before Monday, and Friday 08:00 is before the planners were told)
    at(time_machine, 2026, 3, 16, 7, 59)
    assert late_requests_escalate() == 0
    assert len(mails_about(mailoutbox, late)) == 1

    # when it runs on Tuesday, a working day after Monday: Monday 08:00 is after Saturday
    tuesday = at(time_machine, 2026, 3, 17, 8, 0)
    assert late_requests_escalate() == 1
    assert late_requests_escalate() == 0

    # then the association's staff, only they, got one mail
    _planners, second = mails_about(mailoutbox, late)
    assert second.to == [staff_user.email]
    assert second.subject.startswith(f"Nog steeds te laat: reparatie {late.reference}")
    assert "Neem contact op met de aannemer." in second.body
    late.refresh_from_db()
    assert late.escalated_to_staff_at == tuesday

    # and each step was queued once, by its key
    keys = set(OutboxMessage.objects.values_list("key", flat=True))
    assert {escalation_key(late.pk, "planner"), escalation_key(late.pk, "staff")} <= keys

    # a week later nothing more goes out
    at(time_machine, 2026, 3, 24, 8, 0)
    assert late_requests_escalate() == 0
    assert len(mails_about(mailoutbox, late)) == 2


def test_staff_are_never_told_before_the_planners(late, mailoutbox, time_machine):
    # given the request is found late only long after its deadline
    at(time_machine, 2026, 4, 1, 9, 0)

    # when the sweep runs
    late_requests_escalate()

    # then only the planner step happened
    late.refresh_from_db()
    assert late.escalated_to_planner_at is not None
    assert late.escalated_to_staff_at is None
    assert len(mails_about(mailoutbox, late)) == 1


def test_a_request_done_in_time_or_closed_is_not_escalated(chain, mailoutbox, time_machine):
    # given requests with the same deadline, completed, cancelled and rejected
    at(time_machine, 2026, 3, 2, 9, 0)
    closed = [
        factories.routed_request_create(chain, complete_due_at=DUE, status=status)
        for status in (Status.COMPLETED, Status.CANCELLED, Status.REJECTED)
    ]

    # when the sweep runs after the deadline
    at(time_machine, 2026, 3, 20, 9, 0)

    # then nothing
    assert late_requests_escalate() == 0
    assert mailoutbox == []
    assert not RepairRequest.objects.filter(
        pk__in=[r.pk for r in closed], escalated_to_planner_at__isnull=False
    ).exists()


def test_a_request_completed_after_the_planners_were_told_goes_no_further(
    late, mailoutbox, time_machine
):
    at(time_machine, 2026, 3, 14, 8, 0)
    late_requests_escalate()
    RepairRequest.objects.filter(pk=late.pk).update(status=Status.COMPLETED)

    at(time_machine, 2026, 3, 18, 8, 0)
    assert late_requests_escalate() == 0
    assert len(mails_about(mailoutbox, late)) == 1


def test_a_mail_queued_but_not_sent_is_sent_later_and_only_once(
    late, mailoutbox, time_machine, settings
):
    # given the step recorded and its mail queued, but the mail server down at that moment
    at(time_machine, 2026, 3, 14, 8, 0)
    settings.MAILERS = {
        "default": {
            "BACKEND": "django.core.mail.backends.smtp.EmailBackend",
            "OPTIONS": {"host": "127.0.0.1", "port": 1, "timeout": 2},
        }
    }
    late_requests_escalate()
    assert mailoutbox == []

    # when the outbox is swept again with the server back
    settings.MAILERS = {"default": {"BACKEND": "django.core.mail.backends.locmem.EmailBackend"}}
    at(time_machine, 2026, 3, 14, 12, 0)
    outbox_send_due()
    outbox_send_due()

    # then it went out once
    assert len(mails_about(mailoutbox, late)) == 1
