"""Thin Celery tasks of the core, and the base class of every task of the project.

Every task is queued only once the transaction that asked for it commits (a task must never see
data that may still roll back, nor run for a change that did roll back): `TransactionAwareTask`
is the application's default task class (ganapati/celery.py), as in pretix.
"""

from celery import Task, shared_task
from django.db import transaction

from . import services
from .errors import TransientMailError
from .retries import backoff


class TransactionAwareTask(Task):
    """`delay()` / `apply_async()` inside a transaction wait for its commit."""

    def apply_async(self, args=None, kwargs=None, **options):
        if transaction.get_connection().in_atomic_block:
            transaction.on_commit(
                lambda: Task.apply_async(self, args, kwargs, **options), robust=True
            )
            return None
        return super().apply_async(args, kwargs, **options)


@shared_task(bind=True, name="ganapati.outbox_send", max_retries=None, ignore_result=False)
def outbox_send(self, email_id: int) -> str:
    try:
        return services.outbox_deliver(email_id=email_id)
    except TransientMailError as exc:
        if self.request.is_eager:
            # In-process mode (no broker): leave the row queued; the sweeper or staff retry it.
            return "retry-later"
        raise self.retry(exc=exc, countdown=backoff(self.request.retries, base=60)) from exc


@shared_task(name="ganapati.outbox_sweep")
def outbox_sweep() -> dict:
    return services.outbox_sweep()


@shared_task(name="ganapati.qualification_reminders")
def qualification_reminders() -> int:
    from .qualifications import qualification_reminders as remind

    return remind()
