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
