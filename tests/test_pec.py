"""The PEC: upload safety, staff review, outcomes, the green light, running, reminders."""

import datetime as dt
import io
from decimal import Decimal

import pytest
from django.core import mail
from django.core.files.uploadedfile import SimpleUploadedFile
from django.urls import reverse
from django.utils import timezone
from pypdf import PdfWriter

from documents.models import Document
from funding import services as funding
from funding.models import ClientCommitment, FundingRequest, PecUpload
from ganapati.errors import DomainError
from sessions import services as sessions
from sessions.models import Attendance
from tests import clock

from .conftest import login, post_form
from .factories import TrainingSessionFactory, assessed, attach_client


def pdf_bytes(*, encrypt=False, javascript=False) -> bytes:
    writer = PdfWriter()
    writer.add_blank_page(width=595, height=842)
    if javascript:
        from pypdf.generic import DictionaryObject, NameObject, TextStringObject

        action = DictionaryObject({
            NameObject("/S"): NameObject("/JavaScript"),
            NameObject("/JS"): TextStringObject("app.alert('bonjour');"),
        })  # fmt: skip
        writer._root_object[NameObject("/OpenAction")] = writer._add_object(action)
    if encrypt:
        writer.encrypt("secret")
    out = io.BytesIO()
    writer.write(out)
    return out.getvalue()


def upload(content: bytes, name="accord.pdf", content_type="application/pdf"):
    return SimpleUploadedFile(name, content, content_type=content_type)


@pytest.fixture
def validated(trainer, client_user, organisation, django_capture_on_commit_callbacks):
    session = attach_client(TrainingSessionFactory(trainer=trainer), client_user)
    with django_capture_on_commit_callbacks(execute=True):
        sessions.session_validate(session=session, actor=trainer)
    session.refresh_from_db()
    return session


def post_pec(client, session, *, content=None, name="accord.pdf", **fields):
    data = {
        "decision": "total", "file_number": "OPCO-2026-42", "amount_granted": "2800",
        "minutes_granted": "14 h", "subrogation": "on",
        "file": upload(pdf_bytes() if content is None else content, name),
        **fields,
    }  # fmt: skip
    return post_form(client, reverse("client_funding", args=[session.pk]), data, follow=True)


# --- Upload safety -------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("content", "name", "message"),
    [
        (b"<html><script>alert(1)</script></html>", "accord.pdf", "n&#x27;est pas un PDF"),
        (b"\x89PNG\r\n\x1a\n" + b"0" * 100, "accord.pdf", "n&#x27;est pas un PDF"),
        (b"", "accord.pdf", "est vide"),
        ("encrypted", "accord.pdf", "protégé par un mot de passe"),
        ("javascript", "accord.pdf", "contient du code"),
        ("truncated", "accord.pdf", "incomplet ou endommagé"),
        ("huge", "accord.pdf", "dépasse 10 Mo"),
    ],
)
def test_bad_uploads_are_refused_with_a_clear_message(
    client, validated, client_user, content, name, message
):
    if content == "encrypted":
        content = pdf_bytes(encrypt=True)
    elif content == "javascript":
        content = pdf_bytes(javascript=True)
    elif content == "truncated":
        content = pdf_bytes()[:300]
    elif content == "huge":
        content = pdf_bytes()[:-10] + b"0" * (10 * 1024 * 1024) + b"\n%%EOF\n"
    login(client, client_user)
    response = post_pec(client, validated, content=content, name=name)
    assert response.status_code == 200
    assert message in response.content.decode()
    assert not FundingRequest.objects.exists() and not PecUpload.objects.exists()


def test_a_path_traversal_name_is_kept_for_display_only(client, validated, client_user):
    login(client, client_user)
    post_pec(client, validated, name="../../../etc/accord.pdf")
    stored = PecUpload.objects.get()
    assert stored.original_name == "accord.pdf"
    assert ".." not in stored.file.name and stored.file.name.startswith("pec/")
    assert len(stored.file.name.split("/")[-1]) == 36  # random hex name + .pdf


def test_a_client_cannot_upload_to_another_companys_session(client, validated, other_client):
    login(client, other_client)
    response = post_pec(client, validated)
    assert response.status_code == 404
    assert not FundingRequest.objects.exists()


def test_amounts_above_the_price_are_refused(client, validated, client_user):
    login(client, client_user)
    response = post_pec(client, validated, amount_granted="5000")
    assert "dépasse le prix de la session" in response.content.decode()


# --- Review and outcomes -------------------------------------------------------------------------


def staff_validates(client, staff, request, capture):
    login(client, staff)
    with capture(execute=True):
        return client.post(
            reverse("admin:funding_fundingrequest_validate", args=[request.pk]), follow=True
        )


def test_total_pec_validated_by_staff_gives_the_green_light(
    client, validated, client_user, staff, trainer, django_capture_on_commit_callbacks
):
    login(client, client_user)
    post_pec(client, validated)
    request = FundingRequest.objects.get()
    assert request.status == "uploaded" and request.amount_granted == Decimal("2800")
    login(client, staff)
    listing = client.get("/admin/funding/fundingrequest/", follow=True).content.decode()
    assert validated.reference in listing  # "to review" is the default filter
    page = client.get(reverse("admin:funding_fundingrequest_change", args=[request.pk]))
    assert reverse("pec_file", args=[PecUpload.objects.get().pk]) in page.content.decode()
    mail.outbox.clear()
    staff_validates(client, staff, request, django_capture_on_commit_callbacks)
    validated.refresh_from_db()
    assert validated.status == "funded"
    subjects = {m.to[0]: m.subject for m in mail.outbox}
    assert "vous pouvez démarrer" in subjects[trainer.email]
    assert "le financement est en place" in subjects[client_user.email]
    request.refresh_from_db()
    assert request.reviewed_by == staff and request.reviewed_at


def test_partial_pec_needs_the_clients_acceptance_and_regenerates_the_agreement(
    client, validated, client_user, staff, django_capture_on_commit_callbacks
):
    login(client, client_user)
    post_pec(client, validated, decision="partial", amount_granted="2000")
    staff_validates(client, staff, FundingRequest.objects.get(), django_capture_on_commit_callbacks)
    validated.refresh_from_db()
    assert validated.status == "validated"  # not yet: the remainder must be accepted
    agreement = Document.objects.for_owner(validated).get(kind="convention", version=2)
    assert agreement.status == "ready"
    from .test_documents import pdf_text

    with agreement.file.open("rb") as handle:
        text = pdf_text(handle.read()).replace("\u202f", " ")
    assert "2 000,00 €" in text and "800,00 €" in text
    login(client, client_user)
    page = client.get(reverse("client_funding", args=[validated.pk])).content.decode()
    assert "800,00 €" in page.replace("\u202f", " ")
    with django_capture_on_commit_callbacks(execute=True):
        client.post(reverse("client_commit", args=[validated.pk]), {"accept": "1"},
                    REMOTE_ADDR="203.0.113.7")  # fmt: skip
    commitment = ClientCommitment.objects.get()
    assert (commitment.kind, commitment.amount, commitment.accepted_ip) == (
        "remainder",
        Decimal("800.00"),
        "203.0.113.7",
    )
    assert commitment.accepted_by == client_user
    validated.refresh_from_db()
    assert validated.status == "funded"


def test_refused_pec_lets_the_client_pay_or_cancel(
    client, validated, client_user, staff, trainer, django_capture_on_commit_callbacks
):
    login(client, client_user)
    post_pec(client, validated, decision="refused", amount_granted="")
    mail.outbox.clear()
    staff_validates(client, staff, FundingRequest.objects.get(), django_capture_on_commit_callbacks)
    refused_mail = next(m for m in mail.outbox if m.to == [client_user.email])
    assert "refusée" in refused_mail.subject and trainer.email in refused_mail.cc
    login(client, client_user)
    with django_capture_on_commit_callbacks(execute=True):
        client.post(reverse("client_cancel", args=[validated.pk]), {"reason": "Trop cher"})
    validated.refresh_from_db()
    assert validated.status == "cancelled"
    assert any(m.to == [trainer.email] and "annulée" in m.subject for m in mail.outbox)


def test_staff_rejection_asks_the_client_to_upload_again(
    client, validated, client_user, staff, django_capture_on_commit_callbacks
):
    login(client, client_user)
    post_pec(client, validated)
    request = FundingRequest.objects.get()
    login(client, staff)
    page = client.post(reverse("admin:funding_fundingrequest_reject", args=[request.pk]),
                       {"reason": ""}, follow=True)  # fmt: skip
    assert "Indiquez le motif du refus" in page.content.decode()
    with django_capture_on_commit_callbacks(execute=True):
        client.post(reverse("admin:funding_fundingrequest_reject", args=[request.pk]),
                    {"reason": "PDF d'une autre session"})  # fmt: skip
    request.refresh_from_db()
    assert request.status == "rejected"
    assert "PDF d'une autre session" in mail.outbox[-1].body
    login(client, client_user)
    post_pec(client, validated)
    request.refresh_from_db()
    assert request.status == "uploaded" and request.uploads.count() == 2


def test_a_trainer_cannot_validate_a_pec(client, validated, client_user, trainer):
    login(client, client_user)
    post_pec(client, validated)
    request = FundingRequest.objects.get()
    login(client, trainer)
    response = client.post(
        reverse("admin:funding_fundingrequest_validate", args=[request.pk]), follow=True
    )
    assert response.status_code == 403
    request.refresh_from_db()
    assert request.status == "uploaded"


def test_a_session_that_the_company_pays_starts_after_its_commitment(
    client, trainer, client_user, organisation, django_capture_on_commit_callbacks
):
    session = attach_client(TrainingSessionFactory(trainer=trainer), client_user)
    session.funding_mode, session.funder = "company", None
    session.save()
    with django_capture_on_commit_callbacks(execute=True):
        sessions.session_validate(session=session, actor=trainer)
    login(client, client_user)
    page = client.get(reverse("client_funding", args=[session.pk])).content.decode()
    assert "Engagement de paiement" in page
    client.post(reverse("client_commit", args=[session.pk]), {})  # box not ticked
    session.refresh_from_db()
    assert session.status == "validated"
    client.post(reverse("client_commit", args=[session.pk]), {"accept": "1"})
    session.refresh_from_db()
    assert session.status == "funded"
    assert ClientCommitment.objects.get().kind == "self_pay"


# --- Running the session ----------------------------------------------------------------------


def test_the_start_is_refused_before_funding(client, validated, trainer):
    clock.after(validated)
    login(client, trainer)
    page = client.post(reverse("session_start", args=[validated.pk]), follow=True)
    assert "ne peut démarrer qu&#x27;après le feu vert" in page.content.decode()
    validated.refresh_from_db()
    assert validated.status == "validated"


def test_attendance_and_completion_give_certificates_with_the_attended_hours(
    client, validated, trainer, django_capture_on_commit_callbacks
):
    clock.after(validated)
    sessions.session_fund(session=validated, actor=None)
    login(client, trainer)
    with django_capture_on_commit_callbacks(execute=True):
        client.post(reverse("session_start", args=[validated.pk]))
    assert Document.objects.for_owner(validated).get(kind="emargement").status == "ready"
    absent, present = list(validated.trainees.all())
    day = validated.days.first()
    # Completion before attendance is refused.
    page = client.post(reverse("session_complete", args=[validated.pk]), follow=True)
    assert "n&#x27;est pas close" in page.content.decode()
    for d in validated.days.all():
        for h in ("am", "pm"):
            there = [str(t.pk) for t in (absent, present)
                     if not (t == absent and d == day and h == "am")]  # fmt: skip
            client.post(reverse("session_attendance", args=[validated.pk]),
                        {"half_day": f"{d.pk}-{h}", "present": there})  # fmt: skip
    assert Attendance.objects.filter(session=validated, present=False).count() == 1
    data = {f"acquired-{t.pk}": "yes" for t in (absent, present)}
    data[f"result-{absent.pk}"] = "Objectifs atteints."
    # Each objective of each trainee, assessed by the trainer (issue 15: none by default).
    data.update({f"obj-{t}-{i}": r for (t, i), r in assessed(validated).items()})
    with django_capture_on_commit_callbacks(execute=True):
        client.post(reverse("session_complete", args=[validated.pk]), data)
    validated.refresh_from_db()
    assert validated.status == "completed"
    page = client.get(reverse("session_detail", args=[validated.pk])).content.decode()
    assert "session terminée" in page and "feu vert : financement accordé" in page
    assert "Annuler la session" not in page  # a completed session cannot be cancelled
    from .test_documents import pdf_text

    certificate = Document.objects.for_owner(validated).for_subject(absent).get(kind="certificat")
    with certificate.file.open("rb") as handle:
        assert "10 h 30" in pdf_text(handle.read())  # 14 h minus a 3 h 30 morning
    attestation = Document.objects.for_owner(validated).for_subject(absent).get(kind="attestation")
    with attestation.file.open("rb") as handle:
        text = pdf_text(handle.read())
    assert "10 h 30 sur 14 h" in text and "Objectifs atteints." in text


# --- Reminders -----------------------------------------------------------------------------------


def test_reminders_follow_the_calendar_and_are_never_sent_twice_a_day(
    validated, client_user, trainer, staff, django_capture_on_commit_callbacks
):
    validated_on = timezone.localtime(validated.validated_at).date()
    mail.outbox.clear()
    with django_capture_on_commit_callbacks(execute=True):
        assert funding.funding_send_reminders(today=validated_on + dt.timedelta(days=3))["pec"] == 0
        for _ in range(2):
            counts = funding.funding_send_reminders(today=validated_on + dt.timedelta(days=7))
    assert counts["pec"] == 1
    reminders = [m for m in mail.outbox if "rappel" in m.subject]
    assert len(reminders) == 1 and set(reminders[0].to) == {client_user.email, trainer.email}
    with django_capture_on_commit_callbacks(execute=True):
        assert (
            funding.funding_send_reminders(today=validated_on + dt.timedelta(days=10))["pec"] == 0
        )
        assert (
            funding.funding_send_reminders(today=validated_on + dt.timedelta(days=14))["pec"] == 1
        )


def test_the_start_approaching_without_funding_warns_everyone(
    validated, staff, django_capture_on_commit_callbacks
):
    first = validated.days.order_by("date").first().date
    mail.outbox.clear()
    with django_capture_on_commit_callbacks(execute=True):
        funding.funding_send_reminders(today=first - dt.timedelta(days=3))
    warning = next(m for m in mail.outbox if "commence bientôt" in m.subject)
    assert staff.email in warning.to


def test_staff_hear_of_pecs_waiting_more_than_two_days(
    client, validated, client_user, staff, django_capture_on_commit_callbacks
):
    login(client, client_user)
    post_pec(client, validated)
    FundingRequest.objects.update(uploaded_at=timezone.now() - dt.timedelta(days=3))
    mail.outbox.clear()
    with django_capture_on_commit_callbacks(execute=True):
        funding.funding_send_reminders()
        funding.funding_send_reminders()
    digests = [m for m in mail.outbox if m.to == [staff.email] and "vérifier" in m.subject]
    assert len(digests) == 1 and validated.reference in digests[0].body


def test_a_validated_pec_cannot_be_validated_twice(validated, staff, client_user):
    from django.db import transaction

    with transaction.atomic():
        request = funding.funding_request_upload(
            session=validated, actor=client_user, upload=upload(pdf_bytes()),
            values={"decision": "total", "amount_granted": Decimal("2800"),
                    "minutes_granted": 840},
        )  # fmt: skip
    funding.funding_request_validate(request=request, actor=staff)
    with pytest.raises(DomainError, match="rien à valider"):
        funding.funding_request_validate(request=request, actor=staff)


def test_the_new_pages_refuse_other_roles_and_other_tenants(
    client, validated, client_user, other_client, trainer, other_trainer
):
    clock.after(validated)
    login(client, client_user)
    post_pec(client, validated)
    upload = PecUpload.objects.get()
    login(client, other_trainer)
    for name in ["session_attendance", "session_complete"]:
        assert client.get(reverse(name, args=[validated.pk])).status_code == 404, name
    assert client.post(reverse("session_start", args=[validated.pk])).status_code == 404
    assert client.get(reverse("pec_file", args=[upload.pk])).status_code == 404
    login(client, other_client)
    assert client.get(reverse("client_funding", args=[validated.pk])).status_code == 404
    assert client.get(reverse("pec_file", args=[upload.pk])).status_code == 404
    assert (
        client.post(reverse("client_commit", args=[validated.pk]), {"accept": "1"}).status_code
        == 404
    )
    login(client, trainer)
    assert client.get(reverse("client_funding", args=[validated.pk])).status_code == 403
    response = client.get(reverse("pec_file", args=[upload.pk]))
    assert response.status_code == 200 and response["X-Frame-Options"] == "SAMEORIGIN"
    client.logout()
    assert client.get(reverse("pec_file", args=[upload.pk])).status_code == 302


def test_signed_attendance_sheets_are_uploaded_with_the_same_safety(
    client, validated, trainer, django_capture_on_commit_callbacks
):
    clock.after(validated)
    sessions.session_fund(session=validated, actor=None)
    login(client, trainer)
    client.post(reverse("session_start", args=[validated.pk]))
    url = reverse("session_attendance", args=[validated.pk])
    page = client.post(url, {"scan": upload(b"<html></html>", "scan.pdf")}, follow=True)
    assert "n&#x27;est pas un PDF" in page.content.decode()
    page = client.post(url, {"scan": upload(pdf_bytes(), "jour1.pdf")}, follow=True)
    assert "Feuille signée déposée." in page.content.decode()
    assert validated.attendance_scans.get().original_name == "jour1.pdf"
