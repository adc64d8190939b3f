"""System checks: what would make the platform silently slow or silently mute."""

import ctypes.util

from django.conf import settings
from django.core import checks


def harfbuzz_subset_available() -> bool:
    return ctypes.util.find_library("harfbuzz-subset") is not None


@checks.register()
def check_harfbuzz_subset(app_configs, **kwargs):
    if harfbuzz_subset_available():
        return []
    return [
        checks.Warning(
            "libharfbuzz-subset est absent : WeasyPrint embarquera les polices entières et "
            "générera les PDF 3 à 5 fois plus lentement.",
            hint="Installez le paquet Debian : apt-get install libharfbuzz-subset0.",
            id="ganapati.W001",
        )
    ]


@checks.register(checks.Tags.security, deploy=True)
def check_production_services(app_configs, **kwargs):
    messages = []
    if settings.EMAIL_BACKEND == "django.core.mail.backends.filebased.EmailBackend":
        messages.append(
            checks.Warning(
                "Les e-mails sont écrits dans des fichiers et ne partent pas.",
                hint="Réglez EMAIL_BACKEND (SMTP ou un fournisseur django-anymail).",
                id="ganapati.W002",
            )
        )
    if settings.CELERY_TASK_ALWAYS_EAGER:
        messages.append(
            checks.Warning(
                "CELERY_BROKER_URL est vide : les PDF et les e-mails sont traités dans le "
                "processus web, pendant la requête.",
                hint="Pointez CELERY_BROKER_URL sur Redis et lancez un worker et beat.",
                id="ganapati.W003",
            )
        )
    return messages
