from celery import shared_task

from . import services


@shared_task
def outbox_send(ids: list[int] | None = None) -> dict:
    """Send outgoing messages: those of `ids` (queued just now), or every one that is due.
    Every minute without ids, so a message whose enqueue was lost waits at most a minute."""
    return services.outbox_send_due(ids=ids).as_dict()


@shared_task
def outbox_sweep() -> dict:
    """Every minute: send what is due, and remove what was sent long ago."""
    result = services.outbox_send_due().as_dict()
    result["pruned"] = services.outbox_prune()
    return result
