from django.db.models.signals import post_migrate
from django.dispatch import Signal, receiver

from .roles import staff_group_sync


@receiver(post_migrate)
def ensure_staff_group(sender, **kwargs) -> None:
    """Keep the staff group's permissions in step with the models after every migrate."""
    if getattr(sender, "name", "") != "surveys":
        return
    staff_group_sync()


# Sent inside the transaction that adds dwellings or changes their postcode (the admin, the
# ERP import), so that apps above portal can keep what they derive from a dwelling's address
# current in that same transaction without portal importing them. Arguments:
# organisation_id (int) and dwelling_ids (a list of ids, or None for every dwelling of the
# organisation).
dwellings_changed = Signal()
