from celery import shared_task

from ganapati.retries import is_transient, retry_or_raise

from . import services


@shared_task(bind=True, name="documents.render", max_retries=services.MAX_ATTEMPTS, acks_late=True)
def render(self, document_id: int) -> str:
    """Render one document. A transient error is retried with backoff (in a worker) or at once
    a bounded number of times (in-process, without a broker)."""
    for _ in range(services.MAX_ATTEMPTS):
        try:
            return services.document_render(document_id=document_id)
        except Exception as exc:
            if not (self.request.is_eager and is_transient(exc)):
                retry_or_raise(self, exc)
    return "pending"


@shared_task(name="documents.sweep")
def sweep() -> dict:
    return services.documents_sweep()
