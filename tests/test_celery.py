import time

import pytest
from celery.contrib.testing.worker import start_worker
from django.conf import settings

from portal.celery import app
from repairs.lifecycle import Status
from repairs.models import RepairRequest
from repairs.tasks import unrouted_request_alert

from . import factories


@pytest.fixture
def real_worker():
    """A Celery worker in a thread, on the configured broker (Redis in CI, files otherwise)."""
    app.conf.task_always_eager = False
    try:
        with start_worker(app, pool="solo", perform_ping_check=False, shutdown_timeout=10):
            yield
    finally:
        app.conf.task_always_eager = settings.CELERY_TASK_ALWAYS_EAGER


@pytest.mark.django_db(transaction=True)
def test_worker_executes_a_task_that_writes_to_the_database(real_worker, mailoutbox):
    # given an unrouted request whose staff have not been told yet
    organisation = factories.OrganisationFactory()
    factories.StaffUserFactory(email="planning@corporatie.nl", organisation=organisation)
    repair_request = factories.RepairRequestFactory(
        dwelling__organisation=organisation, status=Status.UNROUTED
    )

    # when the task goes through the broker to the worker
    unrouted_request_alert.delay(repair_request.pk)
    deadline = time.monotonic() + 30
    while time.monotonic() < deadline:
        repair_request.refresh_from_db()
        if repair_request.unrouted_alert_sent_at is not None:
            break
        time.sleep(0.2)

    # then the worker wrote to the database and sent the mail once
    assert repair_request.unrouted_alert_sent_at is not None
    assert [m.to for m in mailoutbox] == [["planning@corporatie.nl"]]
    assert RepairRequest.objects.get(pk=repair_request.pk).status == Status.UNROUTED


def test_ci_uses_redis_when_redis_url_is_set():
    # given / when / then: the broker follows REDIS_URL, as CI and production run it
    if settings.REDIS_URL:
        assert app.conf.broker_url.startswith("redis://")
    else:
        assert app.conf.broker_url == "filesystem://"
