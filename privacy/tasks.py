from celery import shared_task

from . import services


@shared_task(soft_time_limit=3300, time_limit=3600)
def retention_sweep() -> dict:
    """Daily: anonymise the tenancies past their association's retention (each once; a
    second run finds nothing). Returns and logs the counts, never the content."""
    return services.retention_sweep().as_dict()
