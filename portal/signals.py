from django.db.models.signals import post_migrate
from django.dispatch import receiver


@receiver(post_migrate)
def ensure_staff_group(sender, **kwargs) -> None:
    """Keep the staff group's permissions in step with the models after every migrate."""
    if getattr(sender, "name", "") != "surveys":
        return
    from .roles import staff_group_sync

    staff_group_sync()
