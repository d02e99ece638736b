from celery import shared_task

from . import services


@shared_task(acks_late=True, time_limit=3600, soft_time_limit=3500)
def import_job_run(job_id: int) -> str:
    """A large CSV import: check every row, then write in chunks with progress."""
    return services.import_job_run(job_id=job_id)


@shared_task
def import_jobs_requeue() -> int:
    """Every 5 minutes: start the imports whose start message was lost (the broker was down
    when staff uploaded them). A second message for one job is harmless (only a queued job
    is started) and expires if no worker takes it in time."""
    import datetime

    from django.utils import timezone

    from outbox.services import enqueue

    from .models import ImportJob, ImportStatus

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
