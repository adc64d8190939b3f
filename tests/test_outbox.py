import smtplib
from datetime import timedelta

import pytest
from django.core.files.base import ContentFile
from django.core.files.storage import default_storage
from django.db import transaction
from django.utils import timezone

from ganapati import services
from ganapati.models import AuditEvent, OutgoingEmail

from .conftest import login


def queue(user, key="event:1", **kwargs):
    return services.mail_queue(
        key=key, template="password_changed", to=[user.email], context={"user": user}, **kwargs
    )


def test_an_email_is_written_to_the_outbox_and_sent_after_commit(
    trainer, organisation, mailoutbox, django_capture_on_commit_callbacks
):
    with django_capture_on_commit_callbacks(execute=True):
        email = queue(trainer)
        assert mailoutbox == []  # nothing leaves before the transaction commits
    email.refresh_from_db()
    assert email.status == OutgoingEmail.Status.SENT
    assert email.sent_at is not None
    assert len(mailoutbox) == 1
    message = mailoutbox[0]
    assert message.subject == "Votre mot de passe Organisme Test a été modifié"
    assert "Bonjour Julien" in message.body
    # Rendered as text: no HTML escaping in the plain body, French apostrophes intact.
    assert "l'organisme de formation" in message.body
    assert message.alternatives[0].mimetype == "text/html"
    assert organisation.nda_mention in message.body


def test_no_email_leaves_when_the_transaction_is_rolled_back(trainer, mailoutbox):
    with pytest.raises(RuntimeError), transaction.atomic():
        queue(trainer)
        raise RuntimeError("la modification échoue")
    assert OutgoingEmail.objects.count() == 0
    assert mailoutbox == []


def test_the_same_business_event_queued_twice_sends_one_email(
    trainer, mailoutbox, django_capture_on_commit_callbacks
):
    with django_capture_on_commit_callbacks(execute=True):
        first = queue(trainer, key="session-validated:7")
        second = queue(trainer, key="session-validated:7")
    assert first.pk == second.pk
    assert len(mailoutbox) == 1


def test_delivering_the_same_email_twice_sends_it_once(trainer, mailoutbox):
    email = queue(trainer)
    assert services.outbox_deliver(email_id=email.pk) == "sent"
    assert services.outbox_deliver(email_id=email.pk) == "skipped-sent"
    assert len(mailoutbox) == 1
    email.refresh_from_db()
    assert email.attempts == 1


def test_a_transient_error_keeps_the_email_queued_for_a_retry(trainer, mailoutbox, monkeypatch):
    email = queue(trainer)

    def refuse(*args, **kwargs):
        raise smtplib.SMTPServerDisconnected("connexion perdue")

    monkeypatch.setattr("django.core.mail.EmailMultiAlternatives.send", refuse)
    with pytest.raises(services.TransientMailError):
        services.outbox_deliver(email_id=email.pk)
    email.refresh_from_db()
    assert email.status == OutgoingEmail.Status.QUEUED
    assert email.attempts == 1
    assert "connexion perdue" in email.last_error
    assert email.next_attempt_at > timezone.now()

    monkeypatch.undo()
    assert services.outbox_deliver(email_id=email.pk) == "sent"
    email.refresh_from_db()
    assert (email.status, email.attempts, email.last_error) == ("sent", 2, "")
    assert len(mailoutbox) == 1


def test_the_celery_task_retries_a_transient_error_with_backoff(trainer, monkeypatch):
    from celery.exceptions import Retry

    from ganapati.celery import app
    from ganapati.tasks import outbox_send

    email = queue(trainer)
    monkeypatch.setattr(
        "django.core.mail.EmailMultiAlternatives.send",
        lambda *a, **k: (_ for _ in ()).throw(smtplib.SMTPConnectError(421, "occupé")),
    )
    app.conf.task_always_eager = False  # as in a worker: retry is scheduled, not run inline
    retries = []
    monkeypatch.setattr(
        outbox_send, "retry", lambda exc, countdown: retries.append(countdown) or Retry()
    )
    with pytest.raises(Retry):
        outbox_send.run(email.pk)
    assert 60 <= retries[0] <= 75 + 60


def test_a_permanent_error_marks_the_email_failed_without_retry(trainer, monkeypatch):
    email = queue(trainer)

    def refuse(*args, **kwargs):
        raise smtplib.SMTPRecipientsRefused({trainer.email: (550, b"inconnu")})

    monkeypatch.setattr("django.core.mail.EmailMultiAlternatives.send", refuse)
    assert services.outbox_deliver(email_id=email.pk) == "failed"
    email.refresh_from_db()
    assert email.status == OutgoingEmail.Status.FAILED
    assert "SMTPRecipientsRefused" in email.last_error


def test_after_the_last_attempt_a_transient_error_becomes_a_failure(trainer, monkeypatch, settings):
    settings.OUTBOX_MAX_ATTEMPTS = 2
    email = queue(trainer)
    monkeypatch.setattr(
        "django.core.mail.EmailMultiAlternatives.send",
        lambda *a, **k: (_ for _ in ()).throw(TimeoutError("délai dépassé")),
    )
    with pytest.raises(services.TransientMailError):
        services.outbox_deliver(email_id=email.pk)
    assert services.outbox_deliver(email_id=email.pk) == "failed"
    email.refresh_from_db()
    assert (email.status, email.attempts) == ("failed", 2)


def test_attachments_are_read_from_storage_by_reference(trainer, mailoutbox):
    name = default_storage.save("documents/devis.pdf", ContentFile(b"%PDF-1.7 contenu"))
    email = queue(
        trainer,
        attachments=[
            {
                "name": name,
                "filename": "Devis S-1.pdf",
                "mimetype": "application/pdf",
                "kind": "document.devis",
            }
        ],
    )
    services.outbox_deliver(email_id=email.pk)
    assert mailoutbox[0].attachments == [("Devis S-1.pdf", b"%PDF-1.7 contenu", "application/pdf")]


def test_a_missing_attachment_fails_the_email_visibly(trainer, mailoutbox):
    email = queue(
        trainer,
        attachments=[
            {
                "name": "absent.pdf",
                "filename": "x.pdf",
                "mimetype": "application/pdf",
                "kind": "document.devis",
            }
        ],
    )
    assert services.outbox_deliver(email_id=email.pk) == "failed"
    email.refresh_from_db()
    assert email.status == "failed" and email.last_error
    assert mailoutbox == []


def test_the_sweeper_requeues_lost_emails_and_flags_interrupted_ones(
    trainer, mailoutbox, django_capture_on_commit_callbacks
):
    long_ago = timezone.now() - timedelta(hours=1)
    lost = queue(trainer, key="lost")
    OutgoingEmail.objects.filter(pk=lost.pk).update(next_attempt_at=long_ago)
    interrupted = queue(trainer, key="interrupted")
    OutgoingEmail.objects.filter(pk=interrupted.pk).update(
        status="sending", sending_started_at=long_ago, attempts=1
    )
    fresh = queue(trainer, key="fresh")

    with django_capture_on_commit_callbacks(execute=True):
        result = services.outbox_sweep()

    assert result == {"requeued": 1, "interrupted": 1}
    assert OutgoingEmail.objects.get(pk=lost.pk).status == "sent"
    assert OutgoingEmail.objects.get(pk=interrupted.pk).status == "failed"
    assert OutgoingEmail.objects.get(pk=fresh.pk).status == "queued"
    assert [m.to for m in mailoutbox] == [[trainer.email]]


def test_staff_see_the_outbox_and_resend_a_failed_email_from_the_admin(
    client, staff, trainer, mailoutbox, django_capture_on_commit_callbacks
):
    email = queue(trainer)
    OutgoingEmail.objects.filter(pk=email.pk).update(status="failed", last_error="boom")
    login(client, staff)
    listing = client.get("/admin/ganapati/outgoingemail/?status__exact=failed")
    assert listing.status_code == 200
    assert email.subject in listing.content.decode()
    assert client.get(f"/admin/ganapati/outgoingemail/{email.pk}/change/").status_code == 200

    with django_capture_on_commit_callbacks(execute=True):
        response = client.post(
            "/admin/ganapati/outgoingemail/",
            {"action": "resend", "_selected_action": [email.pk]},
            follow=True,
        )
    assert "1 e-mail(s) remis en file d&#x27;envoi." in response.content.decode()
    email.refresh_from_db()
    assert email.status == "sent"
    assert len(mailoutbox) == 1
    assert AuditEvent.objects.filter(action="email.resent", actor=staff).exists()


def test_a_trainer_cannot_see_the_outbox(client, trainer):
    response = login(client, trainer).get("/admin/ganapati/outgoingemail/", follow=True)
    assert response.status_code == 403
