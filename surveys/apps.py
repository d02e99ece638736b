from django.apps import AppConfig
from django.db.backends.signals import connection_created
from django.utils.translation import gettext_lazy as _


class SurveysConfig(AppConfig):
    name = "surveys"
    verbose_name = _("Surveys and KPIs")

    def ready(self) -> None:
        # local import: surveys.kpis reads the models, loaded only once the registry is ready
        from .kpis import register_sqlite_functions

        connection_created.connect(register_sqlite_functions, dispatch_uid="kp_percentile")

        # local import: registers the outbox handler "surveys.follow_up_alert", in web and worker
        from . import services  # noqa: F401
