from celery import shared_task

from . import services


@shared_task(acks_late=True, time_limit=3600, soft_time_limit=3500)
def import_job_run(job_id: int) -> str:
    """A large CSV import: check every row, then write in chunks with progress."""
    return services.import_job_run(job_id=job_id)
