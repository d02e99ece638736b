from celery import shared_task
from django.utils import timezone

from . import notifications, services
from .lifecycle import Status
from .models import RepairRequest


@shared_task(autoretry_for=(OSError,), retry_backoff=True, retry_backoff_max=600, max_retries=8)
def unrouted_request_alert(repair_request_id: int) -> bool:
    """Mail staff about one unrouted request; a second delivery finds it done."""
    return services.repair_request_alert_unrouted(repair_request_id=repair_request_id)


@shared_task
def unrouted_request_alert_sweep() -> int:
    """Every 10 minutes: catch alerts whose message the broker lost."""
    ids = list(
        RepairRequest.objects.filter(
            status=Status.UNROUTED, unrouted_alert_sent_at__isnull=True
        ).values_list("pk", flat=True)[:500]
    )
    for repair_request_id in ids:
        unrouted_request_alert.delay(repair_request_id)
    return len(ids)


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
    from . import planning

    return planning.repair_requests_autoplan()


@shared_task
def emergency_alerts_send() -> int:
    """Every 5 minutes: alert staff about emergencies unconfirmed after 2 hours; once each."""
    from . import planning

    now = timezone.now()
    sent = 0
    for request_id in planning.emergencies_unconfirmed(now=now).values_list("pk", flat=True):
        sent += planning.emergency_alert_send(repair_request_id=request_id, now=now)
    return sent
