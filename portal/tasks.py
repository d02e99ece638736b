import datetime

from celery import shared_task
from django.utils import timezone

from outbox.services import enqueue

from . import services
from .models import ImportJob, ImportStatus


@shared_task(
    acks_late=True,
    time_limit=services.IMPORT_TIME_LIMIT,
    soft_time_limit=services.IMPORT_TIME_LIMIT - 100,
)
def import_job_run(job_id: int) -> str:
    """A large CSV import: check every row, then write in chunks with progress."""
    return services.import_job_run(job_id=job_id)


@shared_task(time_limit=300, soft_time_limit=240)
def import_jobs_sweep() -> dict[str, int]:
    """Imports stopped past their time limit are marked failed; stale previews expire."""
    return services.import_jobs_sweep()


@shared_task(time_limit=300, soft_time_limit=240)
def claim_attempts_prune() -> int:
    """Wrong claim tries older than the throttle's hour are deleted."""
    return services.claim_attempts_prune()


@shared_task
def import_jobs_requeue() -> int:
    """Every 5 minutes: start the imports whose start message was lost (the broker was down
    when staff uploaded them). A second message for one job is harmless (only a queued job
    is started) and expires if no worker takes it in time."""
    ids = list(
        ImportJob.objects.filter(
            status=ImportStatus.QUEUED,
            created_at__lte=timezone.now() - datetime.timedelta(minutes=5),
        )
        .order_by("created_at")
        .values_list("pk", flat=True)[:100]
    )
    for job_id in ids:
        enqueue(import_job_run, job_id, options={"expires": 300})
    return len(ids)
