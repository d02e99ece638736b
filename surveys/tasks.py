from celery import shared_task
from django.conf import settings
from django.db import transaction
from django.utils import timezone

from outbox.services import outbox_send_keys

from . import rollup, services


def site_url(path: str) -> str:
    return f"{settings.SITE_URL}{path}"


@shared_task
def surveys_run() -> dict:
    """Every 10 minutes: create, send, remind and expire survey invitations (idempotent)."""
    now = timezone.now()
    return {
        "created": services.survey_invitations_create(now=now),
        "sent": services.survey_invitations_send(now=now, build_url=site_url),
        "reminded": services.survey_reminders_send(now=now, build_url=site_url),
        "expired": services.survey_invitations_expire(now=now),
    }


@shared_task(autoretry_for=(OSError,), retry_backoff=True, retry_backoff_max=600, max_retries=8)
def follow_up_alert(response_id: int) -> bool:
    return services.follow_up_alert_send(response_id=response_id)


@shared_task
def follow_up_alert_sweep() -> int:
    """Queue the alert of every low grade that has none (one from before the outbox, say)
    and send those; a failed one is retried by the outbox."""
    keys = []
    for response in services.follow_ups_unalerted().only("pk", "organisation_id")[:500]:
        with transaction.atomic():
            services.follow_up_alert_queue(response, send_after_commit=False)
        keys.append(services.follow_up_alert_key(response.pk))
    return outbox_send_keys(keys)


@shared_task(soft_time_limit=1500, time_limit=1800)
def kpi_rollup_refresh(recent_months: int = rollup.RECENT_MONTHS) -> dict:
    """The KPI rollup for the last `recent_months` months and every month marked stale
    (idempotent; concurrent runs of one month wait for each other)."""
    return rollup.kpi_rollup_refresh(recent_months=recent_months)
