"""Thin Celery tasks: fetch by primary key, call the service, retry only transient errors."""

import random

from celery import shared_task

from . import services
from .errors import TransientMailError


@shared_task(bind=True, name="ganapati.outbox_send", max_retries=None, ignore_result=False)
def outbox_send(self, email_id: int) -> str:
    try:
        return services.outbox_deliver(email_id=email_id)
    except TransientMailError as exc:
        if self.request.is_eager:
            # In-process mode (no broker): leave the row queued; the sweeper or staff retry it.
            return "retry-later"
        delay = services.retry_delay(self.request.retries + 1)
        raise self.retry(exc=exc, countdown=delay + random.randint(0, 15)) from exc  # noqa: S311


@shared_task(name="ganapati.outbox_sweep")
def outbox_sweep() -> dict:
    return services.outbox_sweep()
