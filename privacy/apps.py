from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class PrivacyConfig(AppConfig):
    """The tenant's own data (AVG): retention, export and erasure."""

    name = "privacy"
    verbose_name = _("Privacy")
