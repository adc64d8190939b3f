from django.apps import AppConfig


class BillingConfig(AppConfig):
    name = "billing"
    verbose_name = "Facturation"

    def ready(self):
        from . import documents, panels  # noqa: F401  (registers the BPF document and the panels)
