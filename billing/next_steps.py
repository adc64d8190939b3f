"""Billing's refinement of a completed session's next step: invoicing, payment, payout."""

from sessions.models import TrainingSession
from sessions.next_steps import CLIENT, STAFF, TRAINER, provider

from .models import Invoice, Payout


@provider
def billing_steps(sessions) -> dict:
    completed = [s for s in sessions if s.status == TrainingSession.Status.COMPLETED]
    if not completed:
        return {}
    ids = [s.pk for s in completed]
    invoices: dict[int, list[Invoice]] = {}
    for invoice in Invoice.objects.filter(session_id__in=ids, kind=Invoice.Kind.INVOICE).exclude(
        status__in=[Invoice.Status.CANCELLED, Invoice.Status.DRAFT]
    ):
        invoices.setdefault(invoice.session_id, []).append(invoice)
    payouts = {p.session_id: p for p in Payout.objects.filter(session_id__in=ids)}
    steps = {}
    for session in completed:
        issued = invoices.get(session.pk, [])
        unpaid = [i for i in issued if i.status == Invoice.Status.ISSUED]
        payout = payouts.get(session.pk)
        if not issued:
            steps[session.pk] = (STAFF, "Session terminée : l'équipe la facture")
        elif any(i.payer_kind == Invoice.PayerKind.COMPANY for i in unpaid):
            numbers = ", ".join(
                i.number for i in unpaid if i.payer_kind == Invoice.PayerKind.COMPANY
            )
            steps[session.pk] = (CLIENT, f"Régler la facture {numbers}")
        elif unpaid:
            steps[session.pk] = (STAFF, "Facturée : en attente du paiement du financeur")
        elif payout is None:
            steps[session.pk] = (STAFF, "Payée : l'équipe calcule la part du formateur")
        elif payout.status == Payout.Status.PAID:
            steps[session.pk] = ("", "Session soldée : factures payées, formateur payé")
        elif payout.status == Payout.Status.READY and not payout.trainer_invoice:
            steps[session.pk] = (TRAINER, "Déposez votre facture pour recevoir votre part")
        else:
            steps[session.pk] = (STAFF, "Payée : le virement au formateur est en préparation")
    return steps
