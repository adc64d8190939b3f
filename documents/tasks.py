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
        while True:
            try:
                services.document_render(document_id=document_id)
                break
            except Exception as exc:
                if not self.request.is_eager:
                    raise self.retry(exc=exc, countdown=30 * 2**self.request.retries) from exc
                # In-process (no broker): try again at once; after the last attempt the
                # document is marked failed and shows on the session page.
    return services.validation_pack_send_if_ready(session_id=session_id)


@shared_task(bind=True, name="documents.render", max_retries=3, acks_late=True)
def render(self, document_id: int) -> str:
    """Render one document (attendance sheets, certificates...). Retried with backoff."""
    while True:
        try:
            return services.document_render(document_id=document_id)
        except Exception as exc:
            if not self.request.is_eager:
                raise self.retry(exc=exc, countdown=30 * 2**self.request.retries) from exc
            # In-process: again at once, until the document is ready or marked failed.
