"""Thin tasks of billing. They retry only transient errors (storage or database unreachable):
a rendering bug would fail identically again; it is recorded for staff instead."""

from celery import shared_task
from django.db.models import F
from django.utils import timezone

from ganapati.retries import retry_or_raise

from . import services
from .models import Invoice, Payout


@shared_task(bind=True, name="billing.render_invoice", max_retries=5, acks_late=True)
def render_invoice(self, invoice_id: int) -> str:
    Invoice.objects.filter(pk=invoice_id, pdf="").update(
        render_attempts=F("render_attempts") + 1, queued_at=timezone.now()
    )
    try:
        result = services.invoice_render(invoice_id=invoice_id)
    except Exception as exc:
        Invoice.objects.filter(pk=invoice_id).update(
            render_error=f"{type(exc).__name__}: {exc}"[:2000]
        )
        retry_or_raise(self, exc)
    Invoice.objects.filter(pk=invoice_id).exclude(render_error="").update(render_error="")
    return result


@shared_task(name="billing.drafts_precheck")
def drafts_precheck() -> dict:
    return services.drafts_precheck()


@shared_task(name="billing.overdue_reminders")
def overdue_reminders() -> int:
    return services.invoices_send_overdue_reminders()


@shared_task(bind=True, name="billing.build_audit_export", max_retries=2, acks_late=True)
def build_audit_export(self, job_id: int) -> str:
    try:
        return services.audit_export_build(job_id=job_id)
    except Exception as exc:
        if self.request.is_eager:
            return "failed"
        retry_or_raise(self, exc, base=60)


@shared_task(bind=True, name="billing.render_self_invoice", max_retries=5, acks_late=True)
def render_self_invoice(self, payout_id: int) -> str:
    Payout.objects.filter(pk=payout_id, trainer_invoice="").update(
        self_invoice_attempts=F("self_invoice_attempts") + 1
    )
    try:
        return services.payout_self_bill_render(payout_id=payout_id)
    except Exception as exc:
        retry_or_raise(self, exc)


@shared_task(name="billing.sweep")
def sweep() -> dict:
    return services.billing_sweep()
