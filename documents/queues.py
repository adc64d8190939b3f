"""The documents' contribution to the staff work queue: PDFs whose rendering failed."""

from django.urls import reverse

from ganapati.workqueue import Item, QueueResult, oldest, queue

from .models import Document


@queue("documents_failed", title="Documents en échec", action="Relancer", order=95,
       list_url="admin:documents_document_changelist",
       list_query="status__exact=failed")  # fmt: skip
def failed_documents(limit: int) -> QueueResult:
    rows = Document.objects.filter(status=Document.Status.FAILED).order_by("created_at", "pk")
    count, shown = oldest(rows, limit)
    return QueueResult(
        count,
        [Item(f"{d.get_kind_display() if hasattr(d, 'get_kind_display') else d.kind} — {d}",
              reverse("admin:documents_document_change", args=[d.pk]), d.created_at)
         for d in shown],
    )  # fmt: skip
