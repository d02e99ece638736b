"""Work goes to four queues, so that a long import or a mail batch never holds up an alert;
a worker started without -Q (make run, docker compose) takes all of them."""

import time

import pytest
from celery.contrib.testing.worker import start_worker
from django.conf import settings

from portal.celery import app
from repairs.lifecycle import Status
from repairs.models import Appointment
from repairs.tasks import appointment_reminders_send

from . import factories


def queue_of(task_name: str) -> str:
    return app.amqp.router.route({}, task_name)["queue"].name


@pytest.mark.parametrize(
    ("task_name", "queue"),
    [
        ("portal.tasks.import_job_run", "imports"),
        ("surveys.tasks.surveys_run", "mail"),
        ("repairs.tasks.appointment_reminders_send", "mail"),
        ("surveys.tasks.kpi_rollup_refresh", "reports"),
        ("repairs.tasks.unrouted_request_alert", "celery"),
        ("repairs.tasks.emergency_alerts_send", "celery"),
        ("contractors.tasks.slots_generate", "celery"),
    ],
)
def test_each_kind_of_work_has_its_queue(task_name, queue):
    assert queue_of(task_name) == queue


@pytest.mark.django_db(transaction=True)
def test_a_worker_without_queue_options_does_the_work_of_every_queue(chain, mailoutbox):
    # given a visit tomorrow whose reminder has not gone out
    repair_request = factories.RepairRequestFactory(
        dwelling=chain.dwelling,
        tenancy=chain.tenancy,
        category=chain.category,
        status=Status.SCHEDULED,
        contract=chain.contract,
        contractor=chain.contractor,
    )
    appointment = factories.AppointmentFactory(request=repair_request, slot=chain.slot(days=1))

    # when the reminder task goes through the broker's "mail" queue to a plain worker
    app.conf.task_always_eager = False
    try:
        with start_worker(app, pool="solo", perform_ping_check=False, shutdown_timeout=10) as w:
            consumed = {queue.name for queue in w.app.amqp.queues.consume_from.values()}
            appointment_reminders_send.delay()
            deadline = time.monotonic() + 30
            while time.monotonic() < deadline:
                appointment.refresh_from_db()
                if appointment.reminder_sent_at is not None:
                    break
                time.sleep(0.2)
    finally:
        app.conf.task_always_eager = settings.CELERY_TASK_ALWAYS_EAGER

    # then the worker listened to every queue and sent the reminder
    assert consumed == {"celery", "mail", "imports", "reports"}
    assert Appointment.objects.get(pk=appointment.pk).reminder_sent_at is not None
    assert [m.to for m in mailoutbox] == [[chain.tenant.email]]
