"""Nothing lost when the broker or the mail server is down: every outgoing mail is a row in
the outbox, written with the change that causes it; the enqueue after commit only speeds it
up and may fail without harm; a periodic sweep sends what is due, each message once, and a
failed send is retried with backoff and shown in the admin."""

import datetime
import importlib
import logging
import os
import re
import subprocess
import sys
import threading
import time

import pytest
from celery.contrib.testing.worker import start_worker
from celery.exceptions import NotRegistered
from django.apps import apps as django_apps
from django.conf import settings
from django.core import mail
from django.core.files.uploadedfile import SimpleUploadedFile
from django.db import connection
from django.urls import reverse
from django.utils import timezone

from outbox import handlers
from outbox import services as outbox
from outbox.models import OutboxMessage
from outbox.tasks import outbox_sweep
from portal.celery import app
from portal.models import ImportJob, ImportStatus, SentMail, Tenancy
from portal.tasks import import_jobs_requeue
from repairs import tasks as repair_tasks
from repairs.lifecycle import Status
from repairs.models import Appointment, RepairRequest
from surveys import services as survey_services
from surveys.models import SurveyInvitation, SurveyResponse

from . import factories
from .test_survey_invitations import build_url, completed_request

migration_0002 = importlib.import_module("outbox.migrations.0002_handler_names")

CLOSED_PORT_BROKER = "redis://127.0.0.1:1/0"
DESCRIPTION = "The kitchen tap drips day and night since Monday."
MINUTE = datetime.timedelta(minutes=1)
PHONE = "06 12 34 56 78"
HOUR = datetime.timedelta(hours=1)


def _reset_broker_connections() -> None:
    """Let the app connect to the broker its configuration names now (kombu keeps one pool
    per broker address, so the pool of the other address stays as it was)."""
    app._pool = None
    app.amqp._producer_pool = None


@pytest.fixture
def broker_down():
    """Celery as in production (not eager), its broker a port where nothing listens."""
    saved = (app.conf.broker_url, app.conf.task_always_eager)
    app.conf.broker_url = CLOSED_PORT_BROKER
    app.conf.task_always_eager = False
    _reset_broker_connections()
    outbox.broker_errors.reset()
    yield
    app.conf.broker_url, app.conf.task_always_eager = saved
    _reset_broker_connections()
    outbox.broker_errors.reset()


@pytest.fixture
def smtp_refusing(settings):
    """A mail server that refuses connections: SMTP to a port where nothing listens."""
    settings.MAILERS = {
        "default": {
            "BACKEND": "django.core.mail.backends.smtp.EmailBackend",
            "OPTIONS": {"host": "127.0.0.1", "port": 1, "timeout": 2},
        }
    }


def mail_back(settings):
    settings.MAILERS = {"default": {"BACKEND": "django.core.mail.backends.locmem.EmailBackend"}}


def queued() -> dict[str, bool]:
    """Each outbox key (a claim mail's without its random part), and whether it was sent."""
    return {
        re.sub(r"^(claim-confirm-\d+)-\w+$", r"\1", key): sent_at is not None
        for key, sent_at in OutboxMessage.objects.order_by("key").values_list("key", "sent_at")
    }


def claimable_tenancy(chain):
    """An unclaimed tenancy of Kerkstraat 12 A whose tenant's address the association has."""
    return factories.TenancyFactory(
        dwelling=factories.DwellingFactory(
            organisation=chain.organisation,
            street="Kerkstraat",
            postcode="5611AB",
            house_number=12,
            house_number_suffix="A",
        ),
        contract_number="HC0012345",
        email="bewoner@example.nl",
    )


CLAIM = {
    "contract_number": "HC0012345",
    "postcode": "5611 AB",
    "house_number": "12",
    "suffix": "A",
    "code": "",
    "email": "",
}


def sweep() -> dict:
    """The beat task, through Celery (eager in the tests, as the broker is back)."""
    return outbox_sweep.delay().get()


def report_url(category) -> str:
    return reverse("report_category", args=[category.pk])


def tenant_of_unrouted_dwelling(chain, client):
    tenancy = factories.TenancyFactory(
        dwelling=factories.DwellingFactory(organisation=chain.organisation, postcode="9711AA"),
        tenant=factories.UserFactory(email="noorden@example.nl"),
    )
    client.force_login(tenancy.tenant)
    client.defaults["HTTP_ACCEPT_LANGUAGE"] = "en"
    return client


def invitation_waiting(now, chain) -> str:
    """The token of a survey invitation mailed to the chain's tenant three hours ago."""
    completed_request(chain, completed_at=now - 3 * HOUR)
    survey_services.survey_invitations_create(now=now)
    survey_services.survey_invitations_send(now=now, build_url=build_url)
    return SurveyInvitation.objects.get().token


def every_action_that_queues_work(
    *, chain, tenant_client, english_client, planner, staff_user, capture
) -> dict:
    """Each tenant, planner and staff action that queues work, through its page, with what
    happens after each commit. Returns the responses by action."""
    responses = {}
    thursday, friday = chain.slot(days=2), chain.slot(days=3)
    gas = factories.RepairCategoryFactory(
        organisation=chain.organisation, name_en="Gas smell", is_emergency=True
    )
    waiting = factories.routed_request_create(chain)
    claimable_tenancy(chain)
    token = invitation_waiting(timezone.now(), chain)
    mail.outbox.clear()  # the survey invitation itself
    with capture(execute=True):
        responses["report with a visit"] = tenant_client.post(
            report_url(chain.category),
            {"description": DESCRIPTION, "contact_phone": PHONE, "slot": thursday.pk},
        )
    booked = RepairRequest.objects.get(status=Status.SCHEDULED, reported_by=chain.tenant)
    with capture(execute=True):
        responses["move the visit"] = tenant_client.post(
            reverse("repair_reschedule", args=[booked.reference]), {"slot": friday.pk}
        )
    with capture(execute=True):
        responses["cancel"] = tenant_client.post(
            reverse("repair_cancel", args=[booked.reference]), {"reason": "Fixed it myself."}
        )
    with capture(execute=True):
        responses["report an emergency"] = tenant_client.post(
            report_url(gas),
            {"description": "Strong gas smell in the hall.", "contact_phone": PHONE},
        )
    with capture(execute=True):
        responses["report where no area covers"] = tenant_of_unrouted_dwelling(
            chain, english_client()
        ).post(report_url(chain.category), {"description": DESCRIPTION, "contact_phone": PHONE})
    with capture(execute=True):
        responses["planner plans a visit"] = english_client(planner).post(
            reverse("plan_visit", args=[waiting.reference]), {"slot": thursday.pk, "craftsman": ""}
        )
    with capture(execute=True):
        responses["low survey grade"] = english_client().post(
            reverse("survey_answer", args=[token]), {"overall_grade": "3", "comment": "Late."}
        )
    with capture(execute=True):
        responses["staff start a large import"] = english_client(staff_user).post(
            reverse("admin:portal_importjob_add"),
            {
                "organisation": chain.organisation.pk,
                "kind": "dwellings",
                "file": SimpleUploadedFile("export.csv", b"a;b\n", "text/csv"),
                "_save": "Save",
            },
        )
    with capture(execute=True):
        responses["claim a tenancy"] = english_client().post(reverse("claim"), CLAIM)
    return responses


def expected_keys(chain) -> dict[str, bool]:
    booked = RepairRequest.objects.get(status=Status.CANCELLED)
    emergency = RepairRequest.objects.get(is_urgent=True)
    unrouted = RepairRequest.objects.get(status=Status.UNROUTED)
    first, moved, planned = Appointment.objects.order_by("pk")
    response = SurveyResponse.objects.get()
    return dict.fromkeys(
        [
            f"appointment-confirmation-{first.pk}",
            f"contractor-booked-{booked.pk}",
            f"appointment-confirmation-{moved.pk}",
            f"contractor-rescheduled-{moved.pk}",
            f"contractor-cancelled-{booked.pk}",
            f"contractor-emergency-{emergency.pk}",
            f"unrouted-alert-{unrouted.pk}",
            f"appointment-confirmation-{planned.pk}",
            f"follow-up-alert-{response.pk}",
            f"claim-confirm-{Tenancy.objects.get(contract_number='HC0012345').pk}",
        ],
        False,
    )


@pytest.fixture
def staff_of_chain(chain):
    return factories.StaffUserFactory(email="staff@kempenland.nl", organisation=chain.organisation)


# -- the broker is down ----------------------------------------------------------------------


def test_with_the_broker_down_every_action_answers_normally_and_writes_its_outbox_row(
    now,
    chain,
    tenant_client,
    english_client,
    planner,
    staff_of_chain,
    broker_down,
    django_capture_on_commit_callbacks,
    mailoutbox,
    caplog,
):
    # given a broker nobody can reach
    # when a tenant, a planner, a survey visitor and staff do everything that queues work
    with caplog.at_level(logging.WARNING, logger="outbox.services"):
        responses = every_action_that_queues_work(
            chain=chain,
            tenant_client=tenant_client,
            english_client=english_client,
            planner=planner,
            staff_user=staff_of_chain,
            capture=django_capture_on_commit_callbacks,
        )

    # then every page answered as usual, and nothing failed for them
    assert {
        action: response.status_code for action, response in responses.items()
    } == dict.fromkeys(responses, 302)
    # and each message waits in the outbox, unsent, none lost
    assert queued() == expected_keys(chain)
    assert mailoutbox == []
    # and the import waits as a queued job
    assert ImportJob.objects.get().status == ImportStatus.QUEUED
    # and the outage was logged once, not once per request
    broker_warnings = [r for r in caplog.records if "Could not queue" in r.getMessage()]
    assert len(broker_warnings) == 1


def test_a_failed_enqueue_is_logged_once_a_minute(broker_down, caplog, time_machine):
    # given a broker that is down
    # when ten requests try to queue work within a minute, and one more a minute later
    with caplog.at_level(logging.WARNING, logger="outbox.services"):
        results = [outbox.enqueue(repair_tasks.appointment_reminders_send) for _ in range(10)]
        outbox.broker_errors.interval = 0.2
        try:
            time.sleep(0.25)
            results.append(outbox.enqueue(repair_tasks.appointment_reminders_send))
        finally:
            outbox.broker_errors.interval = 60.0

    # then none raised, and two lines were logged, the second counting the ones in between
    assert results == [False] * 11
    messages = [r.getMessage() for r in caplog.records if "Could not queue" in r.getMessage()]
    assert len(messages) == 2
    assert "9 more failures since the last message" in messages[1]


def test_once_the_broker_is_back_the_sweep_sends_each_message_exactly_once(
    now,
    chain,
    tenant_client,
    english_client,
    planner,
    staff_of_chain,
    broker_down,
    django_capture_on_commit_callbacks,
    mailoutbox,
    time_machine,
):
    # given every kind of message queued while the broker was down
    every_action_that_queues_work(
        chain=chain,
        tenant_client=tenant_client,
        english_client=english_client,
        planner=planner,
        staff_user=staff_of_chain,
        capture=django_capture_on_commit_callbacks,
    )
    keys = expected_keys(chain)
    assert mailoutbox == []

    # when the broker is back and beat runs the sweep a minute later, and again
    app.conf.task_always_eager = True
    time_machine.move_to(timezone.now() + MINUTE, tick=True)
    first = sweep()
    second = sweep()

    # then every message went out once: the first sweep sent them all, the second nothing
    assert (first["sent"], first["failed"]) == (len(keys), 0)
    assert (second["sent"], second["failed"]) == (0, 0)
    assert queued() == dict.fromkeys(keys, True)
    to_tenant = [m.subject for m in mailoutbox if m.to == [chain.tenant.email]]
    to_contractor = [m.subject for m in mailoutbox if chain.contractor.email in m.to]
    to_staff = [m.subject for m in mailoutbox if m.to == ["staff@kempenland.nl"]]
    # the confirmation of the visit the planner planned; the tenant's own visit was moved and
    # then cancelled before its confirmations could leave, so those are not sent at all
    assert len(to_tenant) == 1
    # booked, moved, cancelled and the emergency
    assert len(set(to_contractor)) == len(to_contractor) == 4
    # the unrouted request and the low grade
    assert len(to_staff) == 2
    # the claim link, to the address on file
    assert [m.to for m in mailoutbox if "/activeren/" in m.body] == [["bewoner@example.nl"]]
    assert len(mailoutbox) == 8
    # and the claim link is not kept in the outbox once it went out
    assert OutboxMessage.objects.get(key__startswith="claim-confirm-").payload == {}


@pytest.mark.django_db(transaction=True)
def test_a_real_worker_and_beat_task_send_a_message_queued_while_the_broker_was_down(
    chain, broker_down, mailoutbox, django_capture_on_commit_callbacks
):
    # given a confirmation queued while the broker was down
    repair_request = factories.routed_request_create(chain)
    factories.AppointmentFactory(request=repair_request, slot=chain.slot(days=2))
    appointment = Appointment.objects.get()
    from repairs.services import appointment_confirmation_queue

    appointment_confirmation_queue(appointment)
    assert queued() == {f"appointment-confirmation-{appointment.pk}": False}

    # when the broker is back and a worker takes the beat's sweep
    app.conf.broker_url = settings.CELERY_BROKER_URL
    _reset_broker_connections()
    with start_worker(app, pool="solo", perform_ping_check=False, shutdown_timeout=10):
        outbox_sweep.delay()
        deadline = time.monotonic() + 60
        while time.monotonic() < deadline and not all(queued().values()):
            time.sleep(0.2)

    # then the tenant got the confirmation, once
    assert queued() == {f"appointment-confirmation-{appointment.pk}": True}
    assert [m.to for m in mailoutbox] == [[chain.tenant.email]]


def test_two_sweeps_at_once_send_each_message_once(
    postgres_only, transactional_db, chain, mailoutbox
):
    # given 30 confirmations due
    slots = [chain.slot(days=days, capacity=3) for days in range(1, 11)]
    for number in range(30):
        repair_request = factories.routed_request_create(chain)
        factories.AppointmentFactory(request=repair_request, slot=slots[number % 10])
    from repairs.notifications import appointment_confirmation_send

    for appointment in Appointment.objects.all():
        outbox.outbox_add(
            key=f"appointment-confirmation-{appointment.pk}",
            handler=appointment_confirmation_send,
            payload={"appointment_id": appointment.pk},
            send_after_commit=False,
        )
    assert mailoutbox == []
    barrier = threading.Barrier(2)
    results = [None, None]

    def run(index: int) -> None:
        try:
            barrier.wait(timeout=30)
            results[index] = outbox.outbox_send_due()
        finally:
            connection.close()

    # when two senders run at the same moment
    threads = [threading.Thread(target=run, args=(i,)) for i in range(2)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=60)

    # then between them they sent each mail once
    assert sum(result.sent for result in results) == 30
    assert len(mailoutbox) == 30
    assert SentMail.objects.count() == 30
    assert all(queued().values())


# -- the mail server is down ----------------------------------------------------------------


def test_with_smtp_refusing_nothing_is_lost_and_a_later_sweep_sends_it(
    now, chain, smtp_refusing, settings, time_machine, django_capture_on_commit_callbacks
):
    # given a tenant who books a visit while the mail server refuses connections
    slot = chain.slot(days=2)
    with django_capture_on_commit_callbacks(execute=True):
        from repairs.services import repair_request_report

        repair_request = repair_request_report(
            tenancy=chain.tenancy,
            category=chain.category,
            description=DESCRIPTION,
            actor=chain.tenant,
            slot_id=slot.pk,
        )
    started = timezone.now()

    # then the booking stands, and both mails wait with the error and a retry in a minute
    assert repair_request.status == Status.SCHEDULED
    rows = list(OutboxMessage.objects.order_by("key"))
    assert [(r.key.split("-")[0], r.attempts, r.sent_at) for r in rows] == [
        ("appointment", 1, None),
        ("contractor", 1, None),
    ]
    for row in rows:
        assert "Connection refused" in row.last_error or "ConnectionRefusedError" in row.last_error
        assert started <= row.due_at <= started + MINUTE + datetime.timedelta(seconds=5)
    assert SentMail.objects.count() == 0

    # when the sweep runs again before the retry is due, it leaves them alone
    assert sweep() == {"sent": 0, "failed": 0, "pruned": 0}

    # when it runs after a minute with the server still down: the wait doubles
    time_machine.move_to(started + MINUTE + datetime.timedelta(seconds=10), tick=False)
    assert sweep()["failed"] == 2
    second_try = timezone.now()
    assert [r.attempts for r in OutboxMessage.objects.all()] == [2, 2]
    assert all(r.due_at == second_try + 2 * MINUTE for r in OutboxMessage.objects.all()), (
        "after the second failure the next try is 2 minutes later"
    )

    # when the server is back and the sweep runs when they are due
    mail_back(settings)
    mail.outbox = []
    time_machine.move_to(second_try + 2 * MINUTE, tick=False)
    result = sweep()
    again = sweep()

    # then each mail went out once
    assert (result["sent"], again["sent"]) == (2, 0)
    assert sorted(m.to[0] for m in mail.outbox) == sorted(
        [chain.tenant.email, chain.contractor.email]
    )
    assert all(queued().values())


def test_the_backoff_doubles_up_to_six_hours():
    assert [outbox.backoff(n) for n in (1, 2, 3, 4, 10, 50)] == [
        MINUTE,
        2 * MINUTE,
        4 * MINUTE,
        8 * MINUTE,
        datetime.timedelta(hours=6),
        datetime.timedelta(hours=6),
    ]


def test_a_periodic_alert_that_fails_does_not_stop_the_others(
    now, chain, other_chain, smtp_refusing, settings, time_machine
):
    # given two emergencies of two associations, unconfirmed for more than 2 hours, and the
    # mail server down
    factories.StaffUserFactory(email="staff@kempenland.nl", organisation=chain.organisation)
    factories.StaffUserFactory(email="staff@dommeldal.nl", organisation=other_chain.organisation)
    factories.routed_request_create(chain, is_urgent=True)
    factories.routed_request_create(other_chain, is_urgent=True)
    time_machine.move_to(now + 3 * HOUR, tick=False)

    # when the emergency task runs: both alerts fail and wait in the outbox
    assert repair_tasks.emergency_alerts_send.delay().get() == 0
    assert [r.attempts for r in OutboxMessage.objects.all()] == [1, 1]
    assert RepairRequest.objects.filter(emergency_alert_sent_at__isnull=False).count() == 0

    # when the emergency task runs 5 minutes later, with the server back
    mail_back(settings)
    time_machine.move_to(now + 3 * HOUR + 5 * MINUTE, tick=False)
    sent = repair_tasks.emergency_alerts_send.delay().get()

    # then both alerts went out, once
    assert sent == 2
    assert RepairRequest.objects.filter(emergency_alert_sent_at__isnull=False).count() == 2
    assert sweep()["sent"] == 0


# -- imports whose start was lost ---------------------------------------------------------------


def test_an_import_queued_while_the_broker_was_down_is_started_by_the_sweep(
    now,
    chain,
    staff_of_chain,
    english_client,
    broker_down,
    django_capture_on_commit_callbacks,
    time_machine,
    media_root,
):
    # given a large import uploaded while the broker was down
    with django_capture_on_commit_callbacks(execute=True):
        response = english_client(staff_of_chain).post(
            reverse("admin:portal_importjob_add"),
            {
                "organisation": chain.organisation.pk,
                "kind": "dwellings",
                "file": SimpleUploadedFile("export.csv", b"a;b\n", "text/csv"),
                "_save": "Save",
            },
        )
    assert response.status_code == 302
    job = ImportJob.objects.get()

    # when the sweep runs with the broker back: not within 5 minutes, after them yes
    app.conf.task_always_eager = True
    early = import_jobs_requeue.delay().get()
    time_machine.move_to(timezone.now() + 6 * MINUTE, tick=True)
    late = import_jobs_requeue.delay().get()

    # then the job ran (this file's rows are refused), and is not queued any more
    job.refresh_from_db()
    assert (early, late) == (0, 1)
    assert job.status != ImportStatus.QUEUED


# -- the admin ---------------------------------------------------------------------------------


def failed_message(
    organisation, key: str, error: str = "SMTPServerDisconnected: lost"
) -> OutboxMessage:
    return OutboxMessage.objects.create(
        key=key,
        handler="mail.deliver",
        payload={"key": key, "subject": "s", "body": "b", "to": ["x@example.nl"]},
        organisation=organisation,
        attempts=3,
        last_error=error,
        due_at=timezone.now() + 4 * MINUTE,
    )


def changelist(client, **query):
    return client.get(reverse("admin:outbox_outboxmessage_changelist"), query)


def test_staff_see_their_associations_failed_messages_with_the_error(
    chain, other_chain, staff_of_chain, english_client
):
    # given a failed message of each association, and a sent one
    ours = failed_message(chain.organisation, "ours", "ConnectionRefusedError: [Errno 111]")
    failed_message(other_chain.organisation, "theirs")
    OutboxMessage.objects.create(
        key="sent",
        handler="mail.deliver",
        organisation=chain.organisation,
        attempts=1,
        sent_at=timezone.now(),
    )
    client = english_client(staff_of_chain)

    # when staff open the failed messages
    response = changelist(client, state="failed")

    # then they see their own failed one with its error, attempts and due time
    assert response.status_code == 200
    assert [row.key for row in response.context["cl"].result_list] == ["ours"]
    assert "ConnectionRefusedError: [Errno 111]" in response.content.decode()
    # and not the other association's, not even by its address
    theirs = OutboxMessage.objects.get(key="theirs")
    url = reverse("admin:outbox_outboxmessage_change", args=[theirs.pk])
    assert client.get(url).status_code == 404
    assert (
        client.get(reverse("admin:outbox_outboxmessage_change", args=[ours.pk])).status_code == 200
    )
    # and nobody changes or adds a row there
    assert client.get(reverse("admin:outbox_outboxmessage_add")).status_code == 403


def test_a_superuser_sees_the_failed_messages_of_every_association(
    chain, other_chain, superuser, english_client
):
    failed_message(chain.organisation, "ours")
    failed_message(other_chain.organisation, "theirs")
    response = changelist(english_client(superuser), state="failed")
    assert sorted(row.key for row in response.context["cl"].result_list) == ["ours", "theirs"]


@pytest.mark.parametrize("rows", [1, 50])
def test_the_outbox_list_asks_the_same_queries_for_1_or_50_rows(
    chain, staff_of_chain, english_client, django_assert_max_num_queries, rows
):
    for number in range(rows):
        failed_message(chain.organisation, f"failed-{number}")
    client = english_client(staff_of_chain)
    with django_assert_max_num_queries(12):
        response = changelist(client, state="failed")
    assert len(response.context["cl"].result_list) == rows


def test_the_outbox_admin_speaks_dutch(chain, staff_of_chain, client):
    # given a failed message, and staff reading Dutch
    failed_message(chain.organisation, "ours")
    client.force_login(staff_of_chain)

    # when
    response = client.get(
        reverse("admin:outbox_outboxmessage_changelist"), HTTP_ACCEPT_LANGUAGE="nl"
    )

    # then the screen and its filter are in Dutch
    body = response.content.decode()
    assert "Uitgaande berichten" in body
    assert "mislukt, wordt opnieuw geprobeerd" in body
    assert "laatste fout" in body.lower()


def test_a_run_stops_after_twenty_failures_in_a_row_and_the_rest_wait(
    chain, smtp_refusing, settings
):
    # given 25 mails due and the mail server down
    for number in range(25):
        outbox.outbox_add(
            key=f"mail-{number}",
            handler="mail.deliver",
            payload={"key": f"mail-{number}", "subject": "s", "body": "b", "to": ["a@b.nl"]},
            send_after_commit=False,
        )

    # when the sweep runs
    result = outbox.outbox_send_due()

    # then it gave up after 20 tries, and the other 5 are still due, untried
    assert (result.sent, result.failed) == (0, 20)
    assert OutboxMessage.objects.filter(attempts=0, sent_at__isnull=True).count() == 5


@pytest.mark.django_db(transaction=True)
def test_with_the_broker_up_the_mail_leaves_at_once_through_a_worker(chain, mailoutbox):
    # given a worker on the configured broker, and Celery not eager
    repair_request = factories.routed_request_create(chain)
    appointment = factories.AppointmentFactory(request=repair_request, slot=chain.slot(days=2))
    from repairs.services import appointment_confirmation_queue

    app.conf.task_always_eager = False
    try:
        with start_worker(app, pool="solo", perform_ping_check=False, shutdown_timeout=10):
            # when a confirmation is queued and its transaction commits
            from django.db import transaction

            with transaction.atomic():
                appointment_confirmation_queue(appointment)
            deadline = time.monotonic() + 30
            while time.monotonic() < deadline and not all(queued().values()):
                time.sleep(0.1)
    finally:
        app.conf.task_always_eager = settings.CELERY_TASK_ALWAYS_EAGER

    # then the worker sent it without waiting for the sweep
    assert queued() == {f"appointment-confirmation-{appointment.pk}": True}
    assert [m.to for m in mailoutbox] == [[chain.tenant.email]]


# -- handlers by name --------------------------------------------------------------------------

HANDLER_NAMES = {
    "mail.deliver",
    "repairs.appointment_confirmation",
    "repairs.appointment_reminder",
    "repairs.contractor_notification",
    "repairs.emergency_alert",
    "repairs.unrouted_alert",
    "surveys.follow_up_alert",
}
# Handlers registered by name from the start, so the renaming migration 0002 never knew them.
HANDLERS_NAMED_FROM_THE_START = {
    "repairs.late_planner_mail",
    "repairs.late_staff_mail",
    "projects.tenant_mail",
    "webhooks.deliver",
}


def mail_payload(key: str) -> dict:
    return {"key": key, "subject": "Hallo", "body": "Tekst", "to": ["bewoner@example.nl"]}


def test_a_queued_row_keeps_its_handler_name_and_is_sent_after_the_handler_moved(
    db, mailoutbox, monkeypatch
):
    # given a mail queued by its handler function
    from portal.mail import mail_deliver

    message = outbox.outbox_add(
        key="moved-1",
        handler=mail_deliver,
        payload=mail_payload("moved-1"),
        send_after_commit=False,
    )
    assert message.handler == "mail.deliver"

    # when the handler moves to another module (the code deployed after the row was queued)
    calls = []

    def mail_deliver_elsewhere(**payload) -> bool:
        calls.append(payload)
        return mail_deliver(**payload)

    monkeypatch.setitem(handlers.HANDLERS, "mail.deliver", mail_deliver_elsewhere)
    result = outbox.outbox_send_due()

    # then the row found the function by its name, and the mail went out once
    assert result.as_dict() == {"sent": 1, "failed": 0}
    assert [payload["key"] for payload in calls] == ["moved-1"]
    assert [m.subject for m in mailoutbox] == ["Hallo"]


def test_every_handler_is_known_by_name_once_django_has_started():
    # given a fresh process, as a Celery worker or a web server starts (nothing else imported)
    code = (
        "import django; django.setup()\n"
        "from outbox.handlers import HANDLERS\n"
        "print(' '.join(sorted(HANDLERS)))\n"
    )

    # when it has set up Django
    done = subprocess.run(  # noqa: S603 - our own interpreter and code
        [sys.executable, "-c", code],
        capture_output=True,
        text=True,
        check=True,
        cwd=settings.BASE_DIR,
        env={**os.environ, "DJANGO_SETTINGS_MODULE": "portal.test_settings"},
        timeout=60,
    )

    # then every app's ready() registered its handlers
    assert set(done.stdout.split()) == HANDLER_NAMES | HANDLERS_NAMED_FROM_THE_START


def test_an_unknown_handler_is_refused_when_queued_and_recorded_when_sent(db):
    # a name nobody registered (an old dotted path, say) is not queued
    with pytest.raises(handlers.UnknownHandler):
        outbox.outbox_add(
            key="old", handler="outbox.handlers.mail_deliver", send_after_commit=False
        )
    # nor is a function that is not a registered handler
    with pytest.raises(handlers.UnknownHandler):
        outbox.outbox_add(key="plain", handler=mail_payload, send_after_commit=False)
    assert not OutboxMessage.objects.exists()
    with pytest.raises(handlers.UnknownHandler):
        handlers.resolve("repairs.no_such_mail")

    # a row whose name is unknown when it is sent fails, with the reason for the admin
    OutboxMessage.objects.create(key="stranded", handler="repairs.no_such_mail")
    result = outbox.outbox_send_due()
    stranded = OutboxMessage.objects.get(key="stranded")
    assert result.as_dict() == {"sent": 0, "failed": 1}
    assert stranded.sent_at is None
    assert stranded.attempts == 1
    assert stranded.last_error.startswith("UnknownHandler:")


def test_a_handler_name_is_taken_once():
    with pytest.raises(ValueError, match="taken"):
        handlers.outbox_handler("mail.deliver")(mail_payload)
    assert handlers.resolve("mail.deliver").__module__ == "portal.mail"


def test_the_migration_renames_the_stored_dotted_paths_to_names_and_back(db, mailoutbox):
    # given rows queued by the code before the names, under each dotted path it used
    names = migration_0002.NAMES
    for number, path in enumerate(names):
        OutboxMessage.objects.create(key=f"row-{number}", handler=path)
    OutboxMessage.objects.create(key="other", handler="mail.deliver")

    # when the data migration runs forward
    migration_0002.to_names(django_apps, None)

    # then each row names its handler, one the registry knows
    stored = dict(OutboxMessage.objects.values_list("key", "handler"))
    assert stored == {
        **{f"row-{number}": names[path] for number, path in enumerate(names)},
        "other": "mail.deliver",
    }
    assert set(stored.values()) <= set(handlers.HANDLERS)
    assert set(names.values()) == HANDLER_NAMES

    # and backwards each name is the dotted path of the code just before the names
    migration_0002.to_paths(django_apps, None)
    assert set(OutboxMessage.objects.values_list("handler", flat=True)) == {
        "outbox.handlers.mail_deliver",
        "repairs.notifications.appointment_confirmation_send",
        "repairs.notifications.appointment_reminder_send",
        "repairs.notifications.contractor_notify",
        "repairs.services.alerts.emergency_alert_send",
        "repairs.services.alerts.repair_request_alert_unrouted",
        "surveys.services.follow_up_alert_send",
    }


# -- tasks by name -----------------------------------------------------------------------------


def test_a_service_starts_a_task_by_its_name_after_the_commit(
    db, django_capture_on_commit_callbacks
):
    # given a message waiting to be sent
    message = outbox.outbox_add(
        key="by-name",
        handler="mail.deliver",
        payload=mail_payload("by-name"),
        send_after_commit=False,
    )

    # when the sender is enqueued by its task's name in a transaction
    with django_capture_on_commit_callbacks(execute=False) as callbacks:
        outbox.enqueue_on_commit("outbox.tasks.outbox_send", ids=[message.pk])
    message.refresh_from_db()
    unsent_before_commit = message.sent_at is None
    for callback in callbacks:
        callback()

    # then it ran after the commit (eagerly, as in the tests), not before
    message.refresh_from_db()
    assert unsent_before_commit
    assert message.sent_at is not None


def test_a_wrong_task_name_fails_in_the_callers_transaction(db, django_capture_on_commit_callbacks):
    with (
        django_capture_on_commit_callbacks(execute=False) as callbacks,
        pytest.raises(NotRegistered),
    ):
        outbox.enqueue_on_commit("portal.tasks.no_such_task", 1)
    assert callbacks == []
