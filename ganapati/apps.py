from django.apps import AppConfig
from django.contrib.admin.apps import AdminConfig as DjangoAdminConfig


class GanapatiConfig(AppConfig):
    """The cross-cutting core: accounts and roles, organisation, email outbox, audit log."""

    name = "ganapati"
    verbose_name = "Comptes, organisme et journal"
    default_auto_field = "django.db.models.BigAutoField"

    def ready(self):
        from . import checks, queues  # noqa: F401  (system checks, the staff work queue)
        from .appointments import tasks  # noqa: F401  (registers the Celery tasks)
        from .privatecache import connect_signals

        connect_signals()  # every write to the database makes kept pages old


class AdminConfig(DjangoAdminConfig):
    default_site = "ganapati.admin_site.GanapatiAdminSite"
