from django.apps import AppConfig


class FundingConfig(AppConfig):
    name = "funding"
    verbose_name = "Financement"

    def ready(self):
        from . import documents, panels  # noqa: F401  (registers panels and document context)
