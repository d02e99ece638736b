from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class DemoConfig(AppConfig):
    """The demo data (`manage.py demo_data`): the only app that may import all the others."""

    name = "demo"
    verbose_name = _("Demo data")
