"""The demo command: what a new user sees first must work, twice."""

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
    assert TrainingSession.objects.count() == 8
    assert Document.objects.filter(status="ready").exists()
    invoice = Invoice.objects.get()
    assert invoice.status == "paid" and invoice.pdf
    # The OPCO's invoice went by e-mail with the certificates (and passed the e-invoicing
    # rules: the conftest checks every invoice with a PDF).
    assert invoice.transmission == "emailed" and invoice.subrogation["trainees"]
    assert Payout.objects.get().status == "ready"
