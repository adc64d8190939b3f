from celery import shared_task

from . import services


@shared_task(bind=True, name="billing.render_invoice", max_retries=5, acks_late=True)
def render_invoice(self, invoice_id: int) -> str:
    try:
        return services.invoice_render(invoice_id=invoice_id)
    except Exception as exc:
        if self.request.is_eager:
            raise
        raise self.retry(exc=exc, countdown=30 * 2**self.request.retries) from exc


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
        raise self.retry(exc=exc, countdown=60) from exc


@shared_task(bind=True, name="billing.render_self_invoice", max_retries=5, acks_late=True)
def render_self_invoice(self, payout_id: int) -> str:
    try:
        return services.payout_self_bill_render(payout_id=payout_id)
    except Exception as exc:
        if self.request.is_eager:
            raise
        raise self.retry(exc=exc, countdown=30 * 2**self.request.retries) from exc
