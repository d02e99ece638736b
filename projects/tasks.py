from celery import shared_task
from django.utils import timezone

from . import services


@shared_task
def projects_run() -> dict:
    """Every 15 minutes: dwellings whose visit was done are marked so (or back to invited when
    the order was cancelled), the place of a visit the contractor moved or cancelled goes back
    to its project's reservation, the one reminder goes to tenants who have not answered a week
    after the invitation, and projects past their last day release their unused places.
    Each step reads the database, so a second run finds the work done."""
    return {
        "progress": services.project_progress_sync(),
        "settled": services.project_reservations_reconcile(now=timezone.now()),
        "reminders": services.project_reminders_send(now=timezone.now()),
        "released": services.projects_ended_close(today=timezone.localdate()),
    }
