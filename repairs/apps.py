from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class RepairsConfig(AppConfig):
    name = "repairs"
    verbose_name = _("Repairs")

    def ready(self) -> None:
        # The outbox handlers "repairs.…" live in the services package and in notifications;
        # importing them here makes them known to the web process and every worker alike.
        # local import: registers the outbox handlers, once the models are loaded
        from . import notifications, services  # noqa: F401
