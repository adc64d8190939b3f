"""The Celery application. Settings come from Django's (CELERY_* names)."""

import os

from celery import Celery

os.environ.setdefault("DJANGO_SETTINGS_MODULE", "ganapati.settings")

# Every task waits for the commit of the transaction that queued it (ganapati.tasks).
app = Celery("ganapati", task_cls="ganapati.tasks:TransactionAwareTask")
app.config_from_object("django.conf:settings", namespace="CELERY")
app.autodiscover_tasks()
