from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class ProjectsConfig(AppConfig):
    name = "projects"
    verbose_name = _("Projects")

    def ready(self) -> None:
        # local import: registers the outbox handlers "projects.…", once the models are loaded
        from . import notifications  # noqa: F401
