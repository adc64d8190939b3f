from django.apps import AppConfig


class BillingConfig(AppConfig):
    name = "billing"
    verbose_name = "Facturation"

    def ready(self):
        from . import panels, queues  # noqa: F401  (panels on session pages, staff work queue)
