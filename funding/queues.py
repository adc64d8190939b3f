"""Funding's contributions to the staff home: PECs to check (oldest first) and a chart of the
decisions by OPCO."""

from django.db.models import Count
from django.urls import reverse

from ganapati.workqueue import Item, QueueResult, chart, oldest, queue

from .models import FundingRequest


@queue("pec_to_check", title="PEC à vérifier", action="Vérifier", order=10,
       list_url="admin:funding_fundingrequest_changelist",
       list_query="status__exact=uploaded")  # fmt: skip
def pec_to_check(limit: int) -> QueueResult:
    rows = (
        FundingRequest.objects.filter(status=FundingRequest.Status.UPLOADED)
        .select_related("session__company", "funder")
        .only("uploaded_at", "session__created_at", "session__company__legal_name", "funder__name")
        .order_by("uploaded_at", "pk")
    )
    count, shown = oldest(rows, limit)
    return QueueResult(
        count,
        [Item(f"{f.session.reference} — {f.session.company or '—'} — {f.funder.name}",
              reverse("admin:funding_fundingrequest_change", args=[f.pk]), f.uploaded_at)
         for f in shown],
    )  # fmt: skip


@chart("pec_by_opco", title="Décisions de PEC validées, par OPCO", order=20)
def pec_by_opco():
    rows = (
        FundingRequest.objects.filter(status=FundingRequest.Status.VALIDATED)
        .values_list("funder__name")
        .annotate(n=Count("pk"))
        .order_by("-n", "funder__name")[:8]
    )
    return list(rows)
