from django.apps import AppConfig


class BillingConfig(AppConfig):
    name = "billing"
    verbose_name = "Facturation"

    def ready(self):
        from . import panels  # noqa: F401  (registers the panels shown on session pages)
