from celery import shared_task

from . import services


@shared_task
def slots_generate() -> int:
    """Daily: bookable slots for the coming weeks from the weekly schedules (idempotent)."""
    return services.slots_generate()
