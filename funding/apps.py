from django.apps import AppConfig


class FundingConfig(AppConfig):
    name = "funding"
    verbose_name = "Financement"

    def ready(self):
        from . import documents, next_steps, panels, queues  # noqa: F401  (registrations)
