"""Billing's contributions to the staff home: sessions to invoice, overdue invoices, payouts to
make; charts of revenue invoiced and collected per month and of payouts due."""

from datetime import date

from django.db.models import Exists, OuterRef, Q, Sum
from django.db.models.functions import TruncMonth
from django.urls import reverse
from django.utils import timezone

from ganapati.workqueue import Item, QueueResult, chart, oldest, queue
from sessions.models import TrainingSession

from .models import Invoice, Payment, Payout

MONTHS = ["janv.", "févr.", "mars", "avr.", "mai", "juin", "juil.", "août", "sept.", "oct.",
          "nov.", "déc."]  # fmt: skip


def _to_invoice():
    invoiced = Invoice.objects.filter(session=OuterRef("pk"), kind=Invoice.Kind.INVOICE).exclude(
        status=Invoice.Status.CANCELLED
    )
    return (
        TrainingSession.objects.filter(status=TrainingSession.Status.COMPLETED)
        .filter(~Exists(invoiced))
        .select_related("company")
        .order_by("completed_at", "pk")
    )


@queue("sessions_to_invoice", title="Sessions terminées à facturer", action="Facturer", order=20,
       list_url="admin:training_sessions_trainingsession_changelist",
       list_query="status__exact=completed")  # fmt: skip
def sessions_to_invoice(limit: int) -> QueueResult:
    rows = _to_invoice()
    # Only what the line shows: a session's row is long (programme texts), so is building it.
    count, shown = oldest(
        rows.only("created_at", "title", "completed_at", "company__legal_name"), limit
    )
    return QueueResult(
        count,
        [Item(f"{s.reference} — {s.title} — {s.company or '—'}",
              reverse("admin:training_sessions_trainingsession_change", args=[s.pk]),
              s.completed_at) for s in shown],
    )  # fmt: skip


@queue("invoices_overdue", title="Factures en retard de paiement", action="Relancer", order=30,
       list_url="admin:billing_invoice_changelist",
       list_query="status__exact=issued")  # fmt: skip
def invoices_overdue(limit: int) -> QueueResult:
    rows = Invoice.objects.filter(
        kind=Invoice.Kind.INVOICE, status=Invoice.Status.ISSUED,
        due_date__lt=timezone.localdate(),
    ).order_by("due_date", "pk")  # fmt: skip
    count, shown = oldest(rows, limit)
    return QueueResult(
        count,
        [Item(f"{i.number} — {i.buyer_name} — échue le {i.due_date:%d/%m/%Y}",
              reverse("admin:billing_invoice_change", args=[i.pk]), None)
         for i in shown],
    )  # fmt: skip


@queue("payouts_ready", title="Versements aux formateurs à faire", action="Verser", order=40,
       list_url="admin:billing_payout_changelist",
       list_query="status__exact=ready")  # fmt: skip
def payouts_ready(limit: int) -> QueueResult:
    rows = (
        Payout.objects.filter(status=Payout.Status.READY)
        .select_related("session", "trainer")
        .only("created_at", "session__created_at", "trainer__first_name", "trainer__last_name")
        .order_by("created_at", "pk")
    )
    count, shown = oldest(rows, limit)
    return QueueResult(
        count,
        [Item(f"{p.session.reference} — {p.trainer.get_full_name()}",
              reverse("admin:billing_payout_change", args=[p.pk]), p.created_at)
         for p in shown],
    )  # fmt: skip


def _last_months(count: int = 6) -> list[date]:
    today = timezone.localdate()
    months, year, month = [], today.year, today.month
    for _ in range(count):
        months.append(date(year, month, 1))
        year, month = (year, month - 1) if month > 1 else (year - 1, 12)
    return list(reversed(months))


def _label(month: date) -> str:
    return f"{MONTHS[month.month - 1]} {month.year}"


@chart("invoiced_per_month", title="Facturé TTC par mois (6 derniers mois)", unit="€", order=30)
def invoiced_per_month():
    months = _last_months()
    sums = dict(
        Invoice.objects.exclude(status=Invoice.Status.DRAFT)
        .filter(issue_date__gte=months[0])
        .annotate(month=TruncMonth("issue_date"))
        .values_list("month")
        .annotate(total=Sum("total_incl_tax"))
        .order_by()
    )
    return [(_label(m), sums.get(m, 0) or 0) for m in months]


@chart("collected_per_month", title="Encaissé par mois (6 derniers mois)", unit="€", order=40)
def collected_per_month():
    months = _last_months()
    sums = dict(
        Payment.objects.filter(paid_on__gte=months[0])
        .annotate(month=TruncMonth("paid_on"))
        .values_list("month")
        .annotate(total=Sum("amount"))
        .order_by()
    )
    return [(_label(m), sums.get(m, 0) or 0) for m in months]


@chart("payouts_due", title="Versements dus aux formateurs", unit="€", order=50)
def payouts_due():
    sums = dict(
        Payout.objects.filter(~Q(status=Payout.Status.PAID))
        .values_list("status")
        .annotate(total=Sum("amount"))
        .order_by()
    )
    return [(label, sums.get(value, 0) or 0) for value, label in Payout.Status.choices
            if value != Payout.Status.PAID]  # fmt: skip
