"""The structure holds: layers checked by import-linter, events after commit only, errors
classified, and every kind of pending work recovered by its sweeper."""

import os
import shutil
import smtplib
import subprocess
import sys
from datetime import timedelta
from pathlib import Path

import pytest
from django.db import transaction
from django.utils import timezone

from billing.models import AuditExportJob, Invoice
from documents.models import Document
from ganapati.events import DomainEvent
from ganapati.retries import is_transient

from .factories import TrainingSessionFactory, attach_client

ROOT = Path(__file__).resolve().parent.parent
APPS = ["ganapati", "documents", "sessions", "funding", "billing"]
LINT = Path(sys.executable).parent / "lint-imports"


# --- Layers --------------------------------------------------------------------------------------


def _lint(cwd: Path) -> subprocess.CompletedProcess:
    return subprocess.run(
        [str(LINT), "--no-cache"], cwd=cwd, capture_output=True, text=True, timeout=120,
        env={**os.environ, "PYTHONPATH": str(cwd)},
    )  # fmt: skip


def test_no_app_imports_an_app_above_it():
    result = _lint(ROOT)
    assert result.returncode == 0, result.stdout + result.stderr
    assert "KEPT" in result.stdout


@pytest.mark.parametrize(
    "planted",
    [
        "from billing import services\n",  # at module level
        "def share():\n    from billing.models import Payout\n    return Payout\n",  # hidden
        "def context():\n    import funding.models\n    return funding.models\n",
    ],
    ids=["module-level", "inside-a-function", "plain-import-in-function"],
)
def test_an_import_across_the_layers_is_caught_wherever_it_hides(tmp_path, planted):
    """The contract is not vacuous: the imports of the old code (sessions → billing for the
    trainer's share, documents → funding for the agreement) fail it, even inside functions."""
    for app in APPS:
        shutil.copytree(ROOT / app, tmp_path / app, ignore=shutil.ignore_patterns("__pycache__"))
    shutil.copy(ROOT / "pyproject.toml", tmp_path / "pyproject.toml")
    target = "documents" if "funding" in planted else "sessions"
    (tmp_path / target / "planted.py").write_text(planted)
    result = _lint(tmp_path)
    assert result.returncode != 0
    upper = "funding" if "funding" in planted else "billing"
    assert f"{target} is not allowed to import {upper}" in result.stdout
    assert f"{target}.planted -> {upper}" in result.stdout


# --- Events --------------------------------------------------------------------------------------


def test_an_event_is_delivered_after_commit_and_never_for_a_rolled_back_change(
    db, django_capture_on_commit_callbacks
):
    event = DomainEvent("test_event", ("thing_id",))
    received = []
    event.connect(lambda **payload: received.append(payload["thing_id"]), dispatch_uid="t")

    with django_capture_on_commit_callbacks(execute=True), transaction.atomic():
        event.emit(thing_id=1)
        assert received == []  # not inside the transaction
    assert received == [1]

    with (
        django_capture_on_commit_callbacks(execute=True),
        pytest.raises(RuntimeError),
        transaction.atomic(),
    ):
        event.emit(thing_id=2)
        raise RuntimeError("annulé")
    assert received == [1]

    with pytest.raises(TypeError):
        event.emit(other=3)


def test_a_failing_receiver_does_not_stop_the_others(db, django_capture_on_commit_callbacks):
    event = DomainEvent("test_event_2", ("thing_id",))
    received = []

    def broken(**payload):
        raise ValueError("panne")

    event.connect(broken, dispatch_uid="broken")
    event.connect(lambda **payload: received.append(payload["thing_id"]), dispatch_uid="ok")
    with django_capture_on_commit_callbacks(execute=True), transaction.atomic():
        event.emit(thing_id=7)
    assert received == [7]


# --- Errors: transient or permanent --------------------------------------------------------------


def test_errors_are_classified_transient_or_permanent():
    from anymail.exceptions import AnymailRecipientsRefused, AnymailRequestsAPIError
    from django.db import OperationalError

    # A provider's 400 (bad sender, bad key) is permanent, although it is also an OSError.
    assert not is_transient(AnymailRequestsAPIError("refusé", status_code=400))
    assert is_transient(AnymailRequestsAPIError("surchargé", status_code=429))
    assert is_transient(AnymailRequestsAPIError("panne", status_code=503))
    assert is_transient(AnymailRequestsAPIError("réseau"))  # no response at all
    assert not is_transient(AnymailRecipientsRefused("adresse inconnue"))
    assert is_transient(smtplib.SMTPResponseException(421, b"plus tard"))
    assert not is_transient(smtplib.SMTPResponseException(550, b"inconnu"))
    assert is_transient(ConnectionRefusedError())
    assert is_transient(OperationalError("connexion perdue"))
    assert not is_transient(FileNotFoundError("pièce jointe absente"))
    assert not is_transient(ValueError("bogue"))


def test_a_provider_400_marks_the_email_failed_at_once(trainer, monkeypatch):
    import requests
    from anymail.exceptions import AnymailRequestsAPIError

    from ganapati.models import OutgoingEmail
    from ganapati.services import outbox_deliver

    email = OutgoingEmail.objects.create(
        key="test:anymail-400", template="password_changed", to=[trainer.email],
        from_email="x@y.fr", subject="S", body_text="B",
    )  # fmt: skip
    response = requests.Response()
    response.status_code, response.reason = 400, "Bad Request"
    response._content = b'{"message": "sender not verified"}'
    monkeypatch.setattr(
        "django.core.mail.EmailMultiAlternatives.send",
        lambda *a, **k: (_ for _ in ()).throw(AnymailRequestsAPIError(
            "expéditeur non vérifié", response=response, status_code=400)),
    )  # fmt: skip
    assert outbox_deliver(email_id=email.pk) == "failed"
    email.refresh_from_db()
    assert (email.status, email.attempts) == ("failed", 1)


# --- Sweepers: lost work is recovered -----------------------------------------------------------


@pytest.fixture
def validated_session(
    trainer, client_user, organisation, funders, django_capture_on_commit_callbacks
):
    from sessions.services import session_validate

    session = attach_client(TrainingSessionFactory(trainer=trainer), client_user)
    with django_capture_on_commit_callbacks(execute=True):
        session_validate(session=session, actor=trainer)
    return session


def test_a_document_whose_task_was_lost_is_rendered_by_the_sweeper(
    validated_session, trainer, django_capture_on_commit_callbacks, mailoutbox
):
    from documents.services import document_request, documents_sweep

    # The task message is lost: the request is committed, nothing is queued.
    with transaction.atomic():
        document = document_request(
            owner=validated_session, kind="programme", source="test.lost", actor=trainer
        )
    Document.objects.filter(pk=document.pk).update(queued_at=timezone.now() - timedelta(hours=1))
    assert Document.objects.get(pk=document.pk).status == "pending"
    with django_capture_on_commit_callbacks(execute=True):
        assert documents_sweep()["requeued"] == 1
    document.refresh_from_db()
    assert document.status == "ready" and document.sha256
    # Nothing more to do: a second sweep queues nothing.
    assert documents_sweep() == {"requeued": 0, "failed": 0}


def test_a_document_in_flight_is_left_alone_and_one_killed_every_time_is_given_up(
    validated_session, trainer
):
    from documents.services import MAX_ATTEMPTS, document_request, documents_sweep

    with transaction.atomic():
        fresh = document_request(owner=validated_session, kind="programme", source="t.fresh")
        killed = document_request(owner=validated_session, kind="devis", source="t.killed")
    Document.objects.filter(pk=killed.pk).update(
        attempts=MAX_ATTEMPTS, queued_at=timezone.now() - timedelta(hours=1)
    )
    assert documents_sweep() == {"requeued": 0, "failed": 1}
    assert Document.objects.get(pk=fresh.pk).status == "pending"  # queued a moment ago
    killed.refresh_from_db()
    assert killed.status == "failed" and "relancez" in killed.last_error


def test_staff_retry_renders_again_an_attendance_sheet_that_failed(
    validated_session, staff, client, django_capture_on_commit_callbacks, monkeypatch
):
    from documents.services import document_request

    from .conftest import login

    monkeypatch.setattr(
        "documents.pdf.html_to_pdf", lambda html, **o: (_ for _ in ()).throw(ValueError("gabarit"))
    )
    with django_capture_on_commit_callbacks(execute=True), transaction.atomic():
        sheet = document_request(owner=validated_session, kind="emargement", source="t.sheet")
    sheet.refresh_from_db()
    assert sheet.status == "failed" and "gabarit" in sheet.last_error
    monkeypatch.undo()
    login(client, staff)
    with django_capture_on_commit_callbacks(execute=True):
        client.post(
            "/admin/documents/document/", {"action": "retry", "_selected_action": [sheet.pk]}
        )
    sheet.refresh_from_db()
    assert sheet.status == "ready"


def test_an_invoice_pdf_and_an_export_whose_tasks_were_lost_are_made_by_the_sweeper(
    trainer, client_user, staff, organisation, funders, django_capture_on_commit_callbacks,
    monkeypatch,
):  # fmt: skip
    from billing import services
    from billing.tasks import build_audit_export, render_invoice

    from .test_billing import completed_session

    session = completed_session(trainer, client_user)
    with django_capture_on_commit_callbacks(execute=True):
        drafts = services.invoices_prepare(session=session, actor=staff)
    # Both messages are lost: the work is committed, but no task runs.
    monkeypatch.setattr(render_invoice, "delay", lambda *a: None)
    monkeypatch.setattr(build_audit_export, "delay", lambda *a: None)
    with django_capture_on_commit_callbacks(execute=True):
        invoice = services.invoice_issue(invoice=drafts[0], actor=staff)
        job = services.audit_export_request(session_ids=[session.pk], actor=staff)
    assert not Invoice.objects.get(pk=invoice.pk).pdf
    assert AuditExportJob.objects.get(pk=job.pk).status == "pending"
    monkeypatch.undo()
    later = timezone.now() + timedelta(minutes=15)
    with django_capture_on_commit_callbacks(execute=True):
        counts = services.billing_sweep(now=later)
    assert counts["invoices"] == 1 and counts["exports"] == 1
    assert Invoice.objects.get(pk=invoice.pk).pdf
    assert AuditExportJob.objects.get(pk=job.pk).status == "done"
    with django_capture_on_commit_callbacks(execute=True):
        again = services.billing_sweep(now=later + timedelta(minutes=15))
    assert again == {"invoices": 0, "self_invoices": 0, "exports": 0, "exports_failed": 0}
