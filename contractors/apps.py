from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class ContractorsConfig(AppConfig):
    name = "contractors"
    verbose_name = _("Chain contracts")

    def ready(self) -> None:
        # Keeps each dwelling's stored area current when rules or dwellings change.
        # local import: the receivers connect once the app registry is ready (they use models)
        from . import receivers  # noqa: F401
