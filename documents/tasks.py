from celery import shared_task

from . import services
from .models import Document


@shared_task(bind=True, name="documents.render_validation_pack", max_retries=3, acks_late=True)
def render_validation_pack(self, session_id: int) -> str:
    """Render the validation documents still pending, then email them once all are ready."""
    pending = list(
        Document.objects.filter(
            session_id=session_id, source="session.validated", status=Document.Status.PENDING
        ).values_list("pk", flat=True)
    )
    for document_id in pending:
        _render_with_retries(self, document_id)
    return services.validation_pack_send_if_ready(session_id=session_id)


@shared_task(bind=True, name="documents.render", max_retries=3, acks_late=True)
def render(self, document_id: int) -> str:
    """Render one document (attendance sheets, certificates...). Retried with backoff."""
    return _render_with_retries(self, document_id)


def _render_with_retries(task, document_id: int) -> str:
    """In a worker: retry the task with backoff. In-process (no broker): try again at once,
    a bounded number of times; after the last attempt the document is marked failed and
    shows on the session page."""
    for _ in range(services.MAX_ATTEMPTS):
        try:
            return services.document_render(document_id=document_id)
        except Exception as exc:
            if not task.request.is_eager:
                raise task.retry(exc=exc, countdown=30 * 2**task.request.retries) from exc
    return "failed"
