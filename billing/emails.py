from django.urls import reverse

from ganapati.services import absolute_url, mail_queue


def invoice_to_payer(invoice, *, certificates=()):
    """The PDF (and, under subrogation, the certificates of completion) to whoever pays. Without
    an invoicing e-mail (a funder that takes invoices on its portal) nothing is sent: the
    caller marks the invoice "to deposit" for staff."""
    if not invoice.buyer_email:
        return None
    attachments = [{"name": invoice.pdf.name, "filename": f"{invoice.number}.pdf",
                    "mimetype": "application/pdf", "kind": invoice.file_kind}]  # fmt: skip
    attachments += [
        {"name": document.file.name, "filename": document.filename,
         "mimetype": "application/pdf", "kind": f"document.{document.kind}"}
        for document in certificates
    ]  # fmt: skip
    return mail_queue(
        key=f"invoice-sent:{invoice.pk}",
        template="billing_invoice",
        to=[invoice.buyer_email],
        context={"invoice": invoice, "reference": invoice.session.reference,
                 "certificates": len(certificates)},
        attachments=attachments,
        related=invoice.session,
    )  # fmt: skip


def session_paid(session, payout):
    return mail_queue(
        key=f"session-paid:{session.pk}",
        template="billing_session_paid",
        to=[session.trainer.email],
        context={"session": session, "reference": session.reference, "payout": payout,
                 "url": absolute_url(reverse("session_detail", args=[session.pk]))},
        related=session,
    )  # fmt: skip


def overdue_reminder(invoice, *, days: int):
    if not invoice.buyer_email:
        return None
    return mail_queue(
        key=f"invoice-overdue:{invoice.pk}:{days}",
        template="billing_overdue",
        to=[invoice.buyer_email],
        context={"invoice": invoice, "reference": invoice.session.reference, "days": days},
        attachments=[{"name": invoice.pdf.name, "filename": f"{invoice.number}.pdf",
                      "mimetype": "application/pdf", "kind": invoice.file_kind}]
        if invoice.pdf else [],
        related=invoice.session,
    )  # fmt: skip


def payout_paid(payout):
    session = payout.session
    return mail_queue(
        key=f"payout-paid:{payout.pk}",
        template="billing_payout_paid",
        to=[payout.trainer.email],
        context={"session": session, "reference": session.reference, "payout": payout},
        related=session,
    )
