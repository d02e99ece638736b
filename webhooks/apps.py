from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class WebhooksConfig(AppConfig):
    name = "webhooks"
    verbose_name = _("Webhooks")

    def ready(self) -> None:
        # local import: registers the outbox handler "webhooks.deliver", once models are loaded
        from . import handlers  # noqa: F401
