"""Lost work is recovered by the sweepers, with a real Celery worker on Redis and PostgreSQL:
a task message dropped, and a whole worker killed in the middle of a rendering."""

import datetime as dt
from datetime import timedelta

import pytest
from django.db import transaction
from django.utils import timezone

from billing.models import AuditExportJob, Invoice
from documents.models import Document

from .factories import TrainingSessionFactory, attach_client
from .workers import (
    new_queue,
    require_services,
    start_worker,
    stop,
    tasks_sent_to,
    wait_for,
)

pytestmark = [pytest.mark.services, pytest.mark.django_db(transaction=True)]


def _worker_env(tmp_path):
    return {
        "MEDIA_ROOT": str(tmp_path / "media"),
        "EMAIL_BACKEND": "django.core.mail.backends.filebased.EmailBackend",
        "EMAIL_FILE_PATH": str(tmp_path / "mail"),
    }


def test_lost_messages_for_a_document_an_invoice_pdf_and_an_export_are_recovered(
    trainer, client_user, staff, organisation, funders, tmp_path, monkeypatch,
    django_capture_on_commit_callbacks,
):  # fmt: skip
    broker = require_services()
    from billing import services as billing
    from billing.tasks import build_audit_export, render_invoice
    from documents.services import document_request, documents_sweep
    from documents.tasks import render

    from .test_billing import completed_session

    session = completed_session(trainer, client_user)  # rendered in-process, as set-up
    with django_capture_on_commit_callbacks(execute=True):
        draft = billing.invoices_prepare(session=session, actor=staff)[0]
    # Three messages are lost on their way to the broker.
    for task in (render, render_invoice, build_audit_export):
        monkeypatch.setattr(task, "delay", lambda *a: None)
    with transaction.atomic():
        document = document_request(owner=session, kind="programme", source="test.lost")
    invoice = billing.invoice_issue(invoice=draft, actor=staff)
    job = billing.audit_export_request(session_ids=[session.pk], actor=staff)
    monkeypatch.undo()
    assert Document.objects.get(pk=document.pk).status == "pending"
    assert not Invoice.objects.get(pk=invoice.pk).pdf

    queue = new_queue()
    worker = start_worker(queue, _worker_env(tmp_path))
    try:
        with tasks_sent_to(queue, broker):
            later = timezone.now() + timedelta(minutes=15)
            assert documents_sweep(now=later)["requeued"] == 1
            counts = billing.billing_sweep(now=later)
            assert counts["invoices"] == 1 and counts["exports"] == 1
            wait_for(lambda: Document.objects.get(pk=document.pk).status == "ready",
                     timeout=90, what="document rendu par le worker")  # fmt: skip
            wait_for(lambda: bool(Invoice.objects.get(pk=invoice.pk).pdf),
                     timeout=90, what="PDF de la facture")  # fmt: skip
            wait_for(lambda: AuditExportJob.objects.get(pk=job.pk).status == "done",
                     timeout=90, what="export d'audit")  # fmt: skip
    finally:
        output = stop(worker)
        print(output[-5000:])  # shown by pytest when the test fails
    assert "Traceback" not in output, output
    assert (tmp_path / "media" / Invoice.objects.get(pk=invoice.pk).pdf.name).exists()


def test_a_worker_killed_mid_rendering_leaves_a_document_the_sweeper_renders_once(
    trainer, client_user, organisation, funders, tmp_path
):
    broker = require_services()
    from documents.services import documents_sweep

    start = timezone.localdate() + dt.timedelta(days=30)
    days = [start + dt.timedelta(days=i) for i in range(5)]
    session = attach_client(
        TrainingSessionFactory(trainer=trainer, trainees_max=100, days=days),
        client_user,
        trainees=80,
    )  # fmt: skip  (a sheet of 80 trainees × 10 half-days takes seconds to render)
    queue = new_queue()
    worker = start_worker(queue, _worker_env(tmp_path))
    from documents.services import document_request

    try:
        with tasks_sent_to(queue, broker):
            with transaction.atomic():
                document = document_request(owner=session, kind="emargement", source="t.kill")
            # The worker claims it (attempts = 1)... and the whole worker is killed.
            wait_for(lambda: Document.objects.get(pk=document.pk).attempts == 1, timeout=60,
                     interval=0.02, what="le worker prend le document")  # fmt: skip
    finally:
        stop(worker, kill=True)
    document.refresh_from_db()
    assert document.status == "pending", "le rendu s'est terminé avant l'arrêt : test à revoir"

    second = start_worker(queue, _worker_env(tmp_path))
    try:
        with tasks_sent_to(queue, broker):
            # Before the stuck delay, the sweeper leaves it (it may still be rendering)...
            assert documents_sweep()["requeued"] == 0
            # ...after it, it queues it again.
            assert documents_sweep(now=timezone.now() + timedelta(minutes=15))["requeued"] == 1
            wait_for(lambda: Document.objects.get(pk=document.pk).status == "ready",
                     timeout=120, what="document rendu après l'arrêt")  # fmt: skip
    finally:
        output = stop(second)
        print(output[-5000:])  # shown by pytest when the test fails
    # Redis redelivers the first message later (visibility timeout): nothing happens twice.
    from documents.tasks import render

    assert render.apply(args=[document.pk]).get() == "skipped-ready"
    assert documents_sweep(now=timezone.now() + timedelta(hours=1)) == {"requeued": 0, "failed": 0}
    document.refresh_from_db()
    assert document.status == "ready" and document.attempts == 2
    assert Document.objects.filter(source="t.kill").count() == 1
    stored = list((tmp_path / "media" / "documents").rglob(f"*-emargement-{document.pk}*.pdf"))
    assert len(stored) == 1, stored
    assert "Traceback" not in output, output
