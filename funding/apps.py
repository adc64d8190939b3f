from django.apps import AppConfig


class FundingConfig(AppConfig):
    name = "funding"
    verbose_name = "Financement"

    def ready(self):
        from ganapati.models import Funder
        from ganapati.pagecache import invalidate_on

        from . import documents, next_steps, panels, queues  # noqa: F401  (registrations)
        from .models import CollectiveAgreement

        invalidate_on(Funder, CollectiveAgreement)  # "Trouver mon OPCO" shows them
