from celery import shared_task
from django.db import transaction
from django.utils import timezone

from outbox.services import outbox_send_keys

from . import notifications, services
from .lifecycle import Status
from .models import RepairRequest

# The mails themselves are queued in the outbox by the change that causes them and sent by
# outbox.tasks; the three single-mail tasks below stay for messages queued before that.


@shared_task(autoretry_for=(OSError,), retry_backoff=True, retry_backoff_max=600, max_retries=8)
def unrouted_request_alert(repair_request_id: int) -> bool:
    """Mail staff about one unrouted request; a second delivery finds it done."""
    return services.repair_request_alert_unrouted(repair_request_id=repair_request_id)


@shared_task
def unrouted_request_alert_sweep() -> int:
    """Every 10 minutes: queue the alert of every unrouted request that has none (one from
    before the outbox, say) and send those."""
    keys = []
    for repair_request in RepairRequest.objects.filter(
        status=Status.UNROUTED, unrouted_alert_sent_at__isnull=True
    ).only("pk", "organisation_id")[:500]:
        with transaction.atomic():
            services.unrouted_alert_queue(repair_request, send_after_commit=False)
        keys.append(services.unrouted_alert_key(repair_request.pk))
    return outbox_send_keys(keys)


@shared_task(autoretry_for=(OSError,), retry_backoff=True, retry_backoff_max=600, max_retries=8)
def appointment_confirmation(appointment_id: int) -> bool:
    """The tenant's confirmation with the .ics invitation; sent once per appointment."""
    return notifications.appointment_confirmation_send(appointment_id=appointment_id)


@shared_task(autoretry_for=(OSError,), retry_backoff=True, retry_backoff_max=600, max_retries=8)
def contractor_notification(repair_request_id: int, kind: str, key: str) -> bool:
    """Tell the contractor about an emergency, a booking, a move or a cancellation; once."""
    return notifications.contractor_notify(repair_request_id=repair_request_id, kind=kind, key=key)


@shared_task
def appointment_reminders_send() -> int:
    """Every 15 minutes: a reminder for each visit tomorrow (Amsterdam time), sent once."""
    return services.appointment_reminders_send(today=timezone.localdate())


@shared_task
def repair_requests_autoplan() -> dict:
    """Every 15 minutes: plan waiting requests into the earliest free daypart."""
    return services.repair_requests_autoplan()


@shared_task
def emergency_alerts_send() -> int:
    """Every 5 minutes: alert staff about emergencies unconfirmed after 2 hours; once each.
    The alerts are queued in the outbox and sent from here; a failed one is retried there."""
    return outbox_send_keys(services.emergency_alerts_queue(now=timezone.now()))


@shared_task
def late_requests_escalate() -> int:
    """Every 15 minutes: requests past their latest completion are escalated, first to the
    contractor's planners, a working day later to the association's staff; each step once
    (its column says it is done). The mails are queued in the outbox and sent from here."""
    return outbox_send_keys(services.late_requests_escalate(now=timezone.now()))
