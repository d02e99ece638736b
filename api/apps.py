from django.apps import AppConfig
from django.db.models.signals import post_migrate
from django.utils.translation import gettext_lazy as _


def staff_group_resync(sender, **kwargs) -> None:
    """The staff group is synced after surveys' migrations (portal.signals), before this
    app's permissions exist on a fresh database: sync it again once they do."""
    # local import: portal.roles reads the auth models, which exist only once apps are ready
    from portal.roles import staff_group_sync

    staff_group_sync()


class ApiConfig(AppConfig):
    name = "api"
    verbose_name = _("Machine interface (VERA OHD)")

    def ready(self) -> None:
        post_migrate.connect(staff_group_resync, sender=self)
