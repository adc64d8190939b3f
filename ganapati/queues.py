"""The core's contributions to the staff work queue: e-mails that could not be sent."""

from django.urls import reverse

from .models import OutgoingEmail
from .workqueue import Item, QueueResult, oldest, queue


@queue("emails_failed", title="E-mails en échec", action="Renvoyer", order=90,
       list_url="admin:ganapati_outgoingemail_changelist",
       list_query="status__exact=failed")  # fmt: skip
def failed_emails(limit: int) -> QueueResult:
    rows = OutgoingEmail.objects.filter(status=OutgoingEmail.Status.FAILED).order_by(
        "created_at", "pk"
    )
    count, shown = oldest(rows, limit)
    return QueueResult(
        count,
        [Item(f"{e.subject} → {', '.join(e.to) if isinstance(e.to, list) else e.to}",
              reverse("admin:ganapati_outgoingemail_change", args=[e.pk]), e.created_at)
         for e in shown],
    )  # fmt: skip
