"""The demo command: what a new user sees first must work, twice."""

from decimal import Decimal
from io import StringIO

from django.core.management import call_command

from billing.models import Invoice, Payout
from documents.models import Document
from sessions.models import TrainingSession


def test_the_demo_builds_a_session_at_every_step_and_is_safe_to_run_twice(
    db, django_capture_on_commit_callbacks
):
    out = StringIO()
    with django_capture_on_commit_callbacks(execute=True):
        call_command("demo", stdout=out)
    call_command("demo", stdout=out)
    assert out.getvalue().count("ganapati-demo-2026") == 6
    statuses = set(TrainingSession.objects.values_list("status", flat=True))
    assert statuses == {s.value for s in TrainingSession.Status}
    assert TrainingSession.objects.count() == 10
    # A PEC waits for staff, and its auto-check finds the amount and the subrogation differ.
    from funding.models import FundingRequest
    from funding.selectors import pec_review

    waiting = FundingRequest.objects.get(status="uploaded")
    review = pec_review(waiting)
    assert {c.label for c in review["checks"] if c.status == "mismatch"} == {
        "Montant accordé HT", "Subrogation de paiement",
    }  # fmt: skip
    assert Document.objects.filter(status="ready").exists()
    # The fully attended session: one OPCO invoice, paid, e-mailed with the certificates (and
    # valid against the e-invoicing rules: the conftest checks every invoice with a PDF).
    full = TrainingSession.objects.get(title="Vente conseil en boutique")
    invoice = Invoice.objects.get(session=full)
    assert invoice.status == "paid" and invoice.pdf
    assert invoice.transmission == "emailed" and invoice.subrogation["trainees"]
    assert Payout.objects.get(session=full).status == "ready"
    # Dated as in real life: invoiced after the session's last day, never before.
    assert invoice.issue_date > full.days.last().date
    # The partial PEC (2 000 € of 2 800 €) with Léa absent on the first morning (3 h 30 of
    # 28 h of trainee-hours, 1/8): the OPCO pays 2 000 × 7/8 = 1 750 €; the company's share of
    # what was done is (2 800 − 2 000) × 7/8 = 700 €, plus the dédit of 30 % of the 350 € not
    # done = 105 €. Its first invoice was cancelled by a credit note and made again.
    partial = TrainingSession.objects.get(title="Négociation commerciale")
    rows = sorted(
        (i.kind, i.payer_kind, i.status, i.total_excl_tax)
        for i in Invoice.objects.filter(session=partial)
    )
    assert rows == [
        ("credit_note", "company", "issued", Decimal("805.00")),
        ("invoice", "company", "cancelled", Decimal("805.00")),
        ("invoice", "company", "issued", Decimal("805.00")),
        ("invoice", "funder", "paid", Decimal("1750.00")),
    ]
    reissued = Invoice.objects.get(session=partial, kind="invoice", status="issued")
    assert [(line.kind, line.amount) for line in reissued.lines.all()] == [
        ("training", Decimal("700.00")),
        ("dedit", Decimal("105.00")),
    ]
    # The next step follows billing: the trainer of the paid session uploads their invoice;
    # the client of the partial one pays its re-issued invoice, and sees nothing else.
    from sessions.next_steps import CLIENT, TRAINER, next_steps

    steps = next_steps([full, partial], viewer=TRAINER)
    assert steps[full.pk] == "Déposez votre facture pour recevoir votre part"
    client_steps = next_steps([full, partial], viewer=CLIENT)
    assert client_steps[partial.pk] == f"Régler la facture {reissued.number}"
    assert client_steps[full.pk] == "Rien à faire de votre côté pour l'instant."
    # Not everything is paid: no payout yet.
    assert not Payout.objects.filter(session=partial).exists()
