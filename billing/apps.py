from django.apps import AppConfig


class BillingConfig(AppConfig):
    name = "billing"
    verbose_name = "Facturation"

    def ready(self):
        from . import next_steps, panels, queues  # noqa: F401  (registrations)
