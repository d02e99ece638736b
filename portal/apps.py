from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class PortalConfig(AppConfig):
    name = "portal"
    verbose_name = _("Associations and dwellings")

    def ready(self) -> None:
        # signals connects its receivers; mail registers the outbox handler "mail.deliver",
        # so that the web process and every worker know it.
        # local import: both need the app registry ready (they use the models)
        from . import mail, signals  # noqa: F401
