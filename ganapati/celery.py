"""The Celery application. Settings come from Django's (CELERY_* names)."""

import gc
import os

from celery import Celery
from celery.signals import worker_process_init

os.environ.setdefault("DJANGO_SETTINGS_MODULE", "ganapati.settings")

# Every task waits for the commit of the transaction that queued it (ganapati.tasks).
app = Celery("ganapati", task_cls="ganapati.tasks:TransactionAwareTask")
app.config_from_object("django.conf:settings", namespace="CELERY")
app.autodiscover_tasks()


@worker_process_init.connect
def freeze_startup_objects(**_) -> None:
    """In each worker process, once Django and the apps are loaded: what start-up made
    (≈ 190 000 objects: modules, models, URLs, templates' machinery) is moved out of the
    garbage collector's sight, as it lives as long as the process (`gc.freeze`). Each full
    collection went through all of it: ≈ 3.5 ms per attendance sheet of ≈ 60 ms (issue 17:
    bench/gc_worker.py, full collections 3.4–3.6 -> 0.14 ms per document). Objects made later
    are collected as before."""
    gc.collect()
    gc.freeze()
