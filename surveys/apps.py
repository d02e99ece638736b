from django.apps import AppConfig
from django.db.backends.signals import connection_created
from django.utils.translation import gettext_lazy as _


class SurveysConfig(AppConfig):
    name = "surveys"
    verbose_name = _("Surveys and KPIs")

    def ready(self) -> None:
        from .kpis import register_sqlite_functions

        connection_created.connect(register_sqlite_functions, dispatch_uid="kp_percentile")
