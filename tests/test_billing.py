"""Invoices: who is invoiced, numbering, Factur-X, credit notes, payments."""

import io
import subprocess
import threading
import time
import zipfile
from decimal import Decimal

import pytest
from django.core import mail
from django.db import connection, transaction
from django.test import override_settings
from django.urls import reverse
from django.utils import timezone
from django.utils.html import escape
from pypdf import PdfReader

from billing import services
from billing.models import Invoice, NumberSequence
from funding.models import FundingRequest
from ganapati.errors import DomainError
from sessions import services as sessions
from tests import clock

from .conftest import form_token_in, login, require
from .factories import TrainingSessionFactory, assessed, attach_client, invoicing_funder
from .test_documents import pdf_text


def completed_session(trainer, client_user, *, decision="total", granted="2800", subrogation=True,
                      absent_half_days=0, staff=None, trainees=2):  # fmt: skip
    session = attach_client(TrainingSessionFactory(trainer=trainer), client_user, trainees)
    invoicing_funder(session.funder)
    if not subrogation:
        session.funding_mode = "opco_direct"
        session.save()
    sessions.session_validate(session=session, actor=trainer)
    session.refresh_from_db()
    FundingRequest.objects.create(
        session=session, funder=session.funder, status="validated", decision=decision,
        amount_granted=Decimal(granted), minutes_granted=840, subrogation=subrogation,
        uploaded_at=timezone.now(), file_number="OPCOEP-42",
    )  # fmt: skip
    sessions.session_fund(session=session, actor=None)
    clock.after(session)
    sessions.session_start(session=session, actor=trainer)
    halves = [(t.pk, d.pk, h) for t in session.trainees.all() for d in session.days.all()
              for h in ("am", "pm")]  # fmt: skip
    sessions.attendance_record(session=session, actor=trainer,
                               present=set(halves[absent_half_days:]))  # fmt: skip
    results = {t.pk: (True, "") for t in session.trainees.all()}
    sessions.session_complete(session=session, actor=trainer, results=results,
                              assessments=assessed(session))  # fmt: skip
    render_certificates(session)
    return session


def render_certificates(session):
    """The certificates of completion a worker renders after the session's end (the invoice to
    the OPCO travels with them); the attestations are not needed here."""
    from documents.models import Document
    from documents.services import document_render

    for document in Document.objects.for_owner(session).filter(kind="certificat"):
        document_render(document_id=document.pk)


def test_a_total_pec_with_subrogation_invoices_the_funder_only(trainer, client_user, organisation):
    session = completed_session(trainer, client_user)
    (invoice,) = services.invoices_prepare(session=session, actor=trainer)
    assert invoice.payer_kind == "funder" and invoice.buyer_name.startswith("OPCO EP")
    assert invoice.total_incl_tax == Decimal("2800.00") and invoice.number is None
    assert invoice.funder_file_number == "OPCOEP-42"


def test_a_partial_pec_splits_between_the_funder_and_the_company(trainer, client_user,
                                                                  organisation):  # fmt: skip
    session = completed_session(trainer, client_user, decision="partial", granted="2000")
    funder, company = services.invoices_prepare(session=session, actor=trainer)
    assert (funder.total_excl_tax, company.total_excl_tax) == (Decimal("2000"), Decimal("800"))
    assert company.buyer_siret == client_user.company.siret


def test_an_absence_reduces_the_funders_share_and_the_company_owes_only_the_dedit(
    trainer, client_user, organisation
):
    # 2 trainees × 4 half-days of 3 h 30: one absent half-day is 1/8 of the trainee-minutes.
    session = completed_session(trainer, client_user, absent_half_days=1)
    funder, company = services.invoices_prepare(session=session, actor=trainer)
    assert funder.total_excl_tax == Decimal("2450.00")  # total PEC 2 800 × 7/8
    # Nothing of the training is left to the company (total PEC); the hours not done (350 €)
    # cost it the convention's dédit: 30 % of 350 € = 105 €, on a line of its own.
    (line,) = company.lines.all()
    assert (line.kind, line.quantity, line.unit_price, line.amount) == (
        "dedit",
        1,
        Decimal("105.00"),
        Decimal("105.00"),
    )
    assert "ne peut être imputé" in line.details and "OPCO" in line.details
    assert company.total_excl_tax == Decimal("105.00")


def test_without_subrogation_the_company_pays_everything(trainer, client_user, organisation):
    session = completed_session(trainer, client_user, subrogation=False)
    (invoice,) = services.invoices_prepare(session=session, actor=trainer)
    assert invoice.payer_kind == "company" and invoice.total_incl_tax == Decimal("2800.00")


def test_vat_is_computed_once_and_rounded_half_up(trainer, client_user, organisation):
    organisation.vat_exempt, organisation.vat_rate = False, Decimal("20.00")
    organisation.save()
    session = completed_session(trainer, client_user, subrogation=False)
    session.price_excl_tax = Decimal("1000.03")
    services_amount = services._vat(Decimal("1000.03"), organisation)
    assert services_amount == (Decimal("20.00"), Decimal("200.01"))  # 200.006 → 200.01


def test_issuing_numbers_continuously_renders_factur_x_and_emails_the_payer(
    trainer, client_user, organisation, django_capture_on_commit_callbacks
):
    session = completed_session(trainer, client_user, subrogation=False)
    (invoice,) = services.invoices_prepare(session=session, actor=trainer)
    mail.outbox.clear()
    with django_capture_on_commit_callbacks(execute=True):
        invoice = services.invoice_issue(invoice=invoice, actor=trainer)
    year = timezone.localdate().year
    assert invoice.number == f"F-{year}-000001"
    invoice.refresh_from_db()
    data = invoice.pdf.open("rb").read()
    text = pdf_text(data).replace("\u202f", " ")
    for mention in [invoice.number, "2 800,00 €", "Exonération de TVA – article 261-4-4° a du CGI",
                    "40 €", organisation.iban, client_user.company.siret, organisation.siret,
                    "14 h", "Échéance".lower()]:  # fmt: skip
        assert mention.lower() in text.lower(), mention
    # Factur-X: the embedded XML validates against the schema and carries the same amounts.
    from facturx import get_facturx_xml_from_pdf, xml_check_xsd

    filename, xml = get_facturx_xml_from_pdf(io.BytesIO(data), check_xsd=False)
    assert filename == "factur-x.xml"
    xml_check_xsd(xml, flavor="factur-x", level="en16931")
    assert b"<ram:GrandTotalAmount>2800.00</ram:GrandTotalAmount>" in xml
    assert f"<ram:ID>{invoice.number}</ram:ID>".encode() in xml
    assert PdfReader(io.BytesIO(data)).metadata is not None
    (sent,) = [m for m in mail.outbox if m.attachments]
    assert sent.to == [client_user.email] and sent.attachments[0][0] == f"{invoice.number}.pdf"
    with pytest.raises(DomainError, match="déjà émise"):
        services.invoice_issue(invoice=invoice, actor=trainer)


def test_a_credit_note_cancels_an_invoice_in_its_own_series(
    trainer, client_user, organisation, django_capture_on_commit_callbacks
):
    session = completed_session(trainer, client_user, subrogation=False)
    (invoice,) = services.invoices_prepare(session=session, actor=trainer)
    with django_capture_on_commit_callbacks(execute=True):
        invoice = services.invoice_issue(invoice=invoice, actor=trainer)
        with pytest.raises(DomainError, match="motif"):
            services.credit_note_issue(invoice=invoice, actor=trainer, reason=" ")
        credit = services.credit_note_issue(invoice=invoice, actor=trainer, reason="Erreur")
    invoice.refresh_from_db()
    assert invoice.status == "cancelled"
    assert credit.number == f"A-{timezone.localdate().year}-000001"
    assert credit.credited_invoice == invoice and credit.total_incl_tax == invoice.total_incl_tax
    credit.refresh_from_db()
    from facturx import get_facturx_xml_from_pdf

    _, xml = get_facturx_xml_from_pdf(io.BytesIO(credit.pdf.open("rb").read()), check_xsd=True)
    assert b"<ram:TypeCode>381</ram:TypeCode>" in xml and invoice.number.encode() in xml


def test_partial_and_over_payments_and_the_trainer_told_when_all_is_paid(
    trainer, client_user, staff, organisation, django_capture_on_commit_callbacks
):
    session = completed_session(trainer, client_user, decision="partial", granted="2000")
    funder_inv, company_inv = services.invoices_prepare(session=session, actor=trainer)
    with django_capture_on_commit_callbacks(execute=True):
        funder_inv = services.invoice_issue(invoice=funder_inv, actor=staff)
        company_inv = services.invoice_issue(invoice=company_inv, actor=staff)
    mail.outbox.clear()
    today = timezone.localdate()
    with django_capture_on_commit_callbacks(execute=True):
        services.payment_record(invoice=company_inv, actor=staff, amount=Decimal("300"),
                                paid_on=today, payer="Boulangerie")  # fmt: skip
        company_inv.refresh_from_db()
        assert company_inv.status == "issued" and company_inv.balance == Decimal("500.00")
        services.payment_record(invoice=company_inv, actor=staff, amount=Decimal("600"),
                                paid_on=today, payer="Boulangerie")  # fmt: skip
        company_inv.refresh_from_db()
        assert company_inv.status == "paid" and company_inv.balance == Decimal("-100.00")
        assert not mail.outbox  # the funder has not paid yet
        services.payment_record(
            invoice=funder_inv, actor=staff, amount=Decimal("2000"), paid_on=today,
            payer="OPCO EP", bank_reference=funder_inv.number,
        )  # fmt: skip
    (paid,) = mail.outbox
    assert paid.to == [trainer.email] and session.reference in paid.subject


@pytest.mark.services
@pytest.mark.django_db(transaction=True)
def test_numbers_have_no_gap_and_no_duplicate_under_concurrent_issues(
    trainer, client_user, organisation, funders
):
    require(connection.vendor == "postgresql", "PostgreSQL requis (DATABASE_URL)")
    drafts = []
    for _ in range(12):
        session = attach_client(TrainingSessionFactory(trainer=trainer), client_user)
        drafts.append(Invoice.objects.create(
            session=session, payer_kind="company", buyer_name="X", buyer_address="Y",
            description="Formation", total_excl_tax=Decimal("10"),
            vat_amount=Decimal("0"), total_incl_tax=Decimal("10"),
            service_start=timezone.localdate(), service_end=timezone.localdate(),
        ))  # fmt: skip
    barrier = threading.Barrier(6)
    errors = []

    def issue(chunk):
        from django.db import connections

        try:
            barrier.wait()
            for invoice in chunk:
                with transaction.atomic():
                    series = services._assign_number(invoice)  # provisional number
                    time.sleep(0.02)  # the checks run here, concurrently, before the lock
                    services._take_number(invoice, series)
                    invoice.save()
                    if invoice.pk % 5 == 0:
                        # A failed issue rolls its number back with it: no gap.
                        raise RuntimeError("échec simulé")
        except RuntimeError:
            pass
        except Exception as exc:  # pragma: no cover - reported below
            errors.append(exc)
        finally:
            connections.close_all()

    threads = [threading.Thread(target=issue, args=(drafts[i::6],)) for i in range(6)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    assert errors == []
    numbers = sorted(Invoice.objects.exclude(number=None).values_list("number", flat=True))
    sequence = [int(n.rsplit("-", 1)[1]) for n in numbers]
    assert sequence == list(range(1, len(numbers) + 1))  # continuous, no duplicate
    assert NumberSequence.objects.get().last_number == len(numbers)


def test_invoice_downloads_follow_the_rights(client, trainer, client_user, other_client,
                                             other_trainer, organisation,
                                             django_capture_on_commit_callbacks):  # fmt: skip
    session = completed_session(trainer, client_user, decision="partial", granted="2000")
    funder_inv, company_inv = services.invoices_prepare(session=session, actor=trainer)
    with django_capture_on_commit_callbacks(execute=True):
        services.invoice_issue(invoice=funder_inv, actor=trainer)
        services.invoice_issue(invoice=company_inv, actor=trainer)
    login(client, client_user)
    assert client.get(reverse("invoice_download", args=[company_inv.pk])).status_code == 200
    assert client.get(reverse("invoice_download", args=[funder_inv.pk])).status_code == 404
    page = client.get(reverse("client_session_detail", args=[session.pk])).content.decode()
    assert "Factures" in page
    for user in (other_client, other_trainer):
        assert (
            login(client, user).get(reverse("invoice_download", args=[company_inv.pk])).status_code
            == 404
        )
    assert (
        login(client, trainer).get(reverse("invoice_download", args=[funder_inv.pk])).status_code
        == 200
    )


def test_staff_prepare_issue_pay_credit_and_export_from_the_admin(
    client, trainer, client_user, staff, organisation, django_capture_on_commit_callbacks
):
    session = completed_session(trainer, client_user, subrogation=False)
    login(client, staff)
    client.post("/admin/training_sessions/trainingsession/",
                {"action": "prepare_invoices", "_selected_action": [session.pk]})  # fmt: skip
    invoice = Invoice.objects.get(session=session)
    with django_capture_on_commit_callbacks(execute=True):
        client.post("/admin/billing/invoice/",
                    {"action": "issue", "_selected_action": [invoice.pk]})  # fmt: skip
    invoice.refresh_from_db()
    assert invoice.status == "issued" and invoice.pdf
    page = client.get(reverse("admin:billing_invoice_change", args=[invoice.pk])).content.decode()
    assert "Enregistrer un paiement" in page
    bad = client.post(reverse("admin:billing_invoice_payment", args=[invoice.pk]),
                      {"amount": "abc", "paid_on": "2026-12-01", "payer": "B"})  # fmt: skip
    assert bad.status_code == 200 and "Saisissez un nombre" in bad.content.decode()
    client.post(reverse("admin:billing_invoice_payment", args=[invoice.pk]),
                {"amount": "2 800,00", "paid_on": "2026-12-01", "payer": "Boulangerie",
                 "bank_reference": invoice.number, "form_token": form_token_in(bad)})  # fmt: skip
    invoice.refresh_from_db()
    assert invoice.status == "paid"
    export = client.post("/admin/billing/invoice/",
                         {"action": "export_csv", "_selected_action": [invoice.pk]})  # fmt: skip
    body = export.content.decode("utf-8-sig")
    assert invoice.number in body and "2800,00" in body
    overdue = client.get("/admin/billing/invoice/?echeance=overdue")
    assert overdue.status_code == 200
    with django_capture_on_commit_callbacks(execute=True):
        form = client.get(reverse("admin:billing_invoice_credit", args=[invoice.pk]))
        client.post(reverse("admin:billing_invoice_credit", args=[invoice.pk]),
                    {"reason": "Erreur de client", "form_token": form_token_in(form)})  # fmt: skip
    invoice.refresh_from_db()
    assert invoice.status == "cancelled"
    login(client, trainer)
    assert client.get("/admin/billing/invoice/", follow=True).status_code == 403


def test_overdue_invoices_are_reminded_at_seven_and_thirty_days_once(
    trainer, client_user, organisation, django_capture_on_commit_callbacks
):
    import datetime as dt

    session = completed_session(trainer, client_user, subrogation=False)
    (invoice,) = services.invoices_prepare(session=session, actor=trainer)
    with django_capture_on_commit_callbacks(execute=True):
        invoice = services.invoice_issue(invoice=invoice, actor=trainer)
    mail.outbox.clear()
    with django_capture_on_commit_callbacks(execute=True):
        for offset in (6, 7, 7, 8, 30):
            services.invoices_send_overdue_reminders(
                today=invoice.due_date + dt.timedelta(days=offset)
            )
    subjects = [m.subject for m in mail.outbox]
    assert subjects == [
        f"Rappel : facture {invoice.number} échue depuis 7 jours",
        f"Rappel : facture {invoice.number} échue depuis 30 jours",
    ]


def paid_session(trainer, client_user, staff, capture):
    from ganapati.models import TrainerProfile

    TrainerProfile.objects.update_or_create(
        user=trainer, defaults={"iban": "FR1420041010050500013M02606", "bic": "PSSTFRPPLYO",
                                "address": "1 rue", "postal_code": "69001", "city": "Lyon"},
    )  # fmt: skip
    with capture(execute=True):
        session = completed_session(trainer, client_user, subrogation=False)
    (invoice,) = services.invoices_prepare(session=session, actor=staff)
    with capture(execute=True):
        invoice = services.invoice_issue(invoice=invoice, actor=staff)
        services.payment_record(invoice=invoice, actor=staff, amount=Decimal("2800"),
                                paid_on=timezone.localdate(), payer="Boulangerie")  # fmt: skip
    return session


def test_the_trainer_is_paid_their_share_by_sepa_once_funds_and_invoice_are_in(
    client, trainer, client_user, staff, organisation, django_capture_on_commit_callbacks
):
    from billing.models import Payout, PayoutBatch
    from tests.test_pec import pdf_bytes, upload

    session = paid_session(trainer, client_user, staff, django_capture_on_commit_callbacks)
    payout = Payout.objects.get(session=session)
    # 2 800 € collected, 15 % commission.
    assert (payout.collected, payout.commission, payout.amount) == (
        Decimal("2800.00"),
        Decimal("420.00"),
        Decimal("2380.00"),
    )
    login(client, trainer)
    page = client.get(reverse("session_detail", args=[session.pk])).content.decode()
    assert "2\u202f380,00 €" in page
    with pytest.raises(DomainError, match="facture du formateur manquante"):
        services.payout_batch_create(payout_ids=[payout.pk], actor=staff)
    url = reverse("payout_invoice_upload", args=[session.pk])
    wrong = {"file": upload(pdf_bytes(), "f.pdf"), "amount": "2 800"}
    page = client.post(url, wrong, follow=True)
    assert "doit être égal à votre part" in page.content.decode()
    client.post(url, {"file": upload(pdf_bytes(), "facture-JM-12.pdf"), "amount": "2 380,00",
                      "number": "JM-2026-12"})  # fmt: skip
    payout.refresh_from_db()
    assert payout.trainer_invoice_name == "facture-JM-12.pdf"
    login(client, staff)
    client.post("/admin/billing/payout/", {"action": "make_batch", "_selected_action": [payout.pk]})
    batch = PayoutBatch.objects.get()
    xml = batch.sepa_file.open("rb").read()
    assert b"pain.001.001.03" in xml and b"FR1420041010050500013M02606" in xml
    assert b'<InstdAmt Ccy="EUR">2380.00</InstdAmt>' in xml
    # The payout's reference and what it pays travel with the transfer.
    assert f"<EndToEndId>{payout.reference}</EndToEndId>".encode() in xml
    assert f"Facture JM-2026-12 - Session {session.reference}".encode() in xml
    assert client.get(reverse("sepa_download", args=[batch.pk])).status_code == 200
    with pytest.raises(DomainError, match="déjà"):
        services.payout_batch_create(payout_ids=[payout.pk], actor=staff)  # never twice
    mail.outbox.clear()
    with django_capture_on_commit_callbacks(execute=True):
        client.post("/admin/billing/payoutbatch/",
                    {"action": "mark_sent", "_selected_action": [batch.pk]})  # fmt: skip
    payout.refresh_from_db()
    assert payout.status == "paid" and payout.paid_at
    (sent,) = mail.outbox
    assert sent.to == [trainer.email] and session.reference in sent.subject
    login(client, trainer)
    assert client.get(reverse("sepa_download", args=[batch.pk]), follow=True).status_code == 403


def test_no_payout_exists_before_the_session_is_paid(trainer, client_user, organisation):
    from billing.models import Payout

    session = completed_session(trainer, client_user, subrogation=False)
    (invoice,) = services.invoices_prepare(session=session, actor=trainer)
    services.invoice_issue(invoice=invoice, actor=trainer)
    assert not Payout.objects.exists()
    with pytest.raises(DomainError, match="au moins un versement"):
        services.payout_batch_create(payout_ids=[], actor=trainer)


def test_a_per_trainer_commission_rate_overrides_the_organisations(trainer, organisation):
    from ganapati.models import TrainerProfile

    TrainerProfile.objects.create(user=trainer, commission_rate=Decimal("10.00"))
    trainer.refresh_from_db()
    assert services.commission_rate_for(trainer, organisation) == Decimal("10.00")
    assert services.trainer_share(Decimal("1000.05"), Decimal("10.00")) == (
        Decimal("100.01"), Decimal("900.04"),
    )  # fmt: skip


def zip_of(response):
    import zipfile

    return zipfile.ZipFile(io.BytesIO(b"".join(response.streaming_content)))


def test_the_audit_zip_holds_every_piece_with_a_manifest_of_hashes(
    client, trainer, client_user, staff, other_trainer, other_client, organisation,
    django_capture_on_commit_callbacks,
):  # fmt: skip
    import csv as csv_module
    import hashlib

    session = paid_session(trainer, client_user, staff, django_capture_on_commit_callbacks)
    login(client, trainer)
    archive = zip_of(client.get(reverse("session_audit_export", args=[session.pk])))
    names = archive.namelist()
    ref = session.reference
    for expected in [f"{ref}/documents/Devis {ref} v1.pdf", f"{ref}/paiements.csv",
                     "manifest.csv"]:  # fmt: skip
        assert expected in names, names
    assert any(n.startswith(f"{ref}/factures/F-") for n in names)
    assert sum("Certificat de réalisation" in n for n in names) == 2
    assert all(i.compress_type == 0 for i in archive.infolist())  # stored, not compressed
    rows = list(
        csv_module.reader(io.StringIO(archive.read("manifest.csv").decode()), delimiter=";")
    )
    assert rows[0][:2] == ["fichier", "sha256"]
    for path, sha, reference, trainees, size in rows[1:]:
        content = archive.read(path)
        assert hashlib.sha256(content).hexdigest() == sha, path
        assert len(content) == int(size)
        assert reference == ref and "14" in trainees
    for user in (other_trainer, other_client):
        assert (
            login(client, user).get(reverse("session_audit_export", args=[session.pk])).status_code
            == 404
        )


def test_the_audit_zip_streams_files_with_their_kept_crc_and_completes_older_rows(
    client, trainer, client_user, staff, organisation, django_capture_on_commit_callbacks, tmp_path
):
    """Issue 17: size and CRC-32 are kept when a file is written, so the export reads each
    file once; rows written before get them at their first export, with the same archive."""
    import hashlib
    import zlib

    from django.core.files.storage import default_storage
    from django.core.files.uploadedfile import SimpleUploadedFile

    from documents.models import Document
    from sessions.models import AttendanceScan

    from .test_pec import pdf_bytes

    session = paid_session(trainer, client_user, staff, django_capture_on_commit_callbacks)
    sessions.attendance_scan_upload(
        session=session, actor=trainer,
        upload=SimpleUploadedFile("feuille.pdf", pdf_bytes(), content_type="application/pdf"),
    )  # fmt: skip
    documents = Document.objects.for_owner(session).filter(status="ready")
    invoice = Invoice.objects.get(session=session)
    scan = AttendanceScan.objects.get(session=session)
    rows = [(d, d.file.name, "size") for d in documents] + [
        (invoice, invoice.pdf.name, "pdf_size"), (scan, scan.file.name, "size")
    ]  # fmt: skip
    for row, name, size_field in rows:
        content = default_storage.open(name, "rb").read()
        assert (row.crc32, getattr(row, size_field)) == (zlib.crc32(content), len(content))

    def export():
        login(client, trainer)
        response = client.get(reverse("session_audit_export", args=[session.pk]))
        data = b"".join(response.streaming_content)
        archive = zipfile.ZipFile(io.BytesIO(data))
        assert archive.testzip() is None  # every member's CRC-32 checked by the reader
        # And by another implementation than Python's: Info-ZIP's unzip (ZIP64, UTF-8 names).
        path = tmp_path / "audit.zip"
        path.write_bytes(data)
        checked = subprocess.run(["unzip", "-tq", str(path)], capture_output=True, text=True)
        assert checked.returncode == 0 and "No errors detected" in checked.stdout, checked
        return {name: archive.read(name) for name in archive.namelist()}

    kept = export()
    ref = session.reference
    assert kept[f"{ref}/emargement-signe/Émargement signé {scan.pk}.pdf"] == pdf_bytes()
    assert kept[f"{ref}/factures/{invoice.number}.pdf"].startswith(b"%PDF-")
    for line in kept["manifest.csv"].decode().splitlines()[1:]:
        path, sha, *_ = line.split(";")
        assert hashlib.sha256(kept[path]).hexdigest() == sha, path
    # Rows written before the CRC-32 was kept: the same archive, and their figures filled in.
    documents.update(crc32=None)
    Invoice.objects.filter(pk=invoice.pk).update(crc32=None, pdf_size=None)
    AttendanceScan.objects.filter(pk=scan.pk).update(crc32=None)
    assert export() == kept
    for row, name, size_field in rows:
        row.refresh_from_db()
        content = default_storage.open(name, "rb").read()
        assert (row.crc32, getattr(row, size_field)) == (zlib.crc32(content), len(content))


def test_a_file_changed_in_storage_fails_the_export_instead_of_a_wrong_archive(
    trainer, client_user, staff, organisation, django_capture_on_commit_callbacks
):
    from django.core.files.storage import default_storage

    from billing.exports import AuditExport
    from billing.zipstream import ZipIntegrityError
    from documents.models import Document
    from sessions.models import TrainingSession

    session = paid_session(trainer, client_user, staff, django_capture_on_commit_callbacks)
    certificate = Document.objects.for_owner(session).filter(kind="certificat").first()
    with default_storage.open(certificate.file.name, "wb") as handle:
        handle.write(b"%PDF-1.7 another file\n%%EOF\n")
    sessions_ = TrainingSession.objects.filter(pk=session.pk)
    with pytest.raises(ZipIntegrityError, match="Certificat"):
        b"".join(AuditExport(sessions_, user=staff).render())


def test_the_reimbursement_pack_has_the_paid_invoice_certificates_and_sheets(
    client, trainer, client_user, staff, organisation, django_capture_on_commit_callbacks
):
    session = paid_session(trainer, client_user, staff, django_capture_on_commit_callbacks)
    login(client, client_user)
    page = client.get(reverse("client_session_detail", args=[session.pk])).content.decode()
    assert "Dossier de remboursement" in page
    names = zip_of(client.get(reverse("reimbursement_pack", args=[session.pk]))).namelist()
    assert any("/factures/" in n for n in names)
    assert any("Certificat de réalisation" in n for n in names)
    assert any("Feuille d'émargement" in n for n in names)
    assert not any("Devis" in n or "Convention" in n for n in names)


def test_staff_export_many_sessions_through_a_worker_and_get_the_link_by_email(
    client, trainer, client_user, staff, organisation, django_capture_on_commit_callbacks
):
    from billing.models import AuditExportJob

    session = paid_session(trainer, client_user, staff, django_capture_on_commit_callbacks)
    with django_capture_on_commit_callbacks(execute=True):
        other = completed_session(trainer, client_user)
    login(client, staff)
    mail.outbox.clear()
    with django_capture_on_commit_callbacks(execute=True):
        client.post(
            "/admin/training_sessions/trainingsession/",
            {"action": "audit_export", "_selected_action": [session.pk, other.pk]},
        )
    job = AuditExportJob.objects.get()
    assert job.status == "done" and job.progress == "2/2"
    (sent,) = mail.outbox
    link = reverse("audit_export_download", args=[job.pk])
    assert link in sent.body
    response = client.get(link)
    import zipfile

    names = zipfile.ZipFile(io.BytesIO(b"".join(response.streaming_content))).namelist()
    assert any(n.startswith(session.reference) for n in names)
    assert any(n.startswith(other.reference) for n in names)
    assert response["Cache-Control"] == "private, no-store"
    assert response["Content-Disposition"] == f'attachment; filename="audit-{job.pk}.zip"'

    # Behind nginx (DOWNLOAD_ACCEL_PREFIX): the web worker only names the file; nginx sends it.
    with override_settings(DOWNLOAD_ACCEL_PREFIX="/_media/"):
        response = client.get(link)
    assert response.status_code == 200 and response.content == b""
    assert response["X-Accel-Redirect"] == f"/_media/exports/audit-{job.pk}.zip"
    assert response["Content-Disposition"] == f'attachment; filename="audit-{job.pk}.zip"'
    login(client, trainer)
    assert client.get(link, follow=True).status_code == 403
    with override_settings(DOWNLOAD_ACCEL_PREFIX="/_media/"):
        assert "X-Accel-Redirect" not in client.get(link)


def test_a_bank_statement_is_matched_to_invoices_and_confirmed_row_by_row(
    client, trainer, client_user, staff, organisation, django_capture_on_commit_callbacks
):
    from django.core.files.uploadedfile import SimpleUploadedFile

    from billing.models import Payment

    with django_capture_on_commit_callbacks(execute=True):
        session = completed_session(trainer, client_user, decision="partial", granted="2000")
    funder_inv, company_inv = services.invoices_prepare(session=session, actor=staff)
    with django_capture_on_commit_callbacks(execute=True):
        funder_inv = services.invoice_issue(invoice=funder_inv, actor=staff)
        company_inv = services.invoice_issue(invoice=company_inv, actor=staff)
    statement = (
        "date;montant;libellé;payeur\n"
        f"02/12/2026;2 000,00;VIR OPCO EP REF {funder_inv.number};OPCO EP\n"
        "03/12/2026;800,00;VIREMENT BOULANGERIE DUPONT;Boulangerie\n"
        "04/12/2026;-50,00;FRAIS BANCAIRES\n"
        "pas une date;10;X\n"
        "05/12/2026;abc;Y\n"
    )
    login(client, staff)
    page = client.post(
        reverse("admin:billing_bank_import"),
        {"file": SimpleUploadedFile("releve.csv", statement.encode(), "text/csv")},
    ).content.decode()
    assert funder_inv.number in page and company_inv.number in page
    assert "Ligne 5 : date illisible" in page and "Ligne 6 : montant illisible" in page
    import html
    import re

    rows = html.unescape(re.search(r'name="rows" value="([^"]+)"', page).group(1))
    # Only the OPCO's line is confirmed: the other stays for a manual check.
    with django_capture_on_commit_callbacks(execute=True):
        client.post(reverse("admin:billing_bank_import"),
                    {"confirm": "1", "rows": rows, "line": ["2"]})  # fmt: skip
    funder_inv.refresh_from_db()
    company_inv.refresh_from_db()
    assert funder_inv.status == "paid" and company_inv.status == "issued"
    assert Payment.objects.get().bank_reference.endswith(funder_inv.number)
    login(client, trainer)
    assert client.get(reverse("admin:billing_bank_import"), follow=True).status_code == 403


def test_the_dashboard_shows_the_trainers_share_before_and_after_payment(
    client, trainer, client_user, staff, organisation, django_capture_on_commit_callbacks
):
    estimate = attach_client(TrainingSessionFactory(trainer=trainer, title="Estimée"), client_user)
    paid = paid_session(trainer, client_user, staff, django_capture_on_commit_callbacks)
    page = login(client, trainer).get(reverse("trainer_home")).content.decode()
    assert page.count("2\u202f380,00 € (estimation)") == 1  # the unpaid one
    assert page.count("Votre part") == 2
    assert estimate.title in page and escape(paid.title) in page


def test_under_the_self_billing_mandate_the_platform_draws_up_the_trainers_invoice(
    client, trainer, client_user, staff, organisation, django_capture_on_commit_callbacks
):
    from billing.models import Payout
    from ganapati.models import TrainerProfile

    login(client, trainer)
    page = client.get(reverse("trainer_profile")).content.decode()
    assert "Mandat d'autofacturation" in page
    page = client.post(reverse("trainer_self_billing"), {"accept": "1"}, follow=True)
    assert escape("complétez d'abord votre profil : SIRET") in page.content.decode()
    TrainerProfile.objects.update_or_create(user=trainer, defaults={
        "siret": "12345678200010", "address": "8 rue des Lilas", "postal_code": "69003",
        "city": "Lyon", "vat_regime": "franchise", "iban": "FR1420041010050500013M02606",
        "bic": "PSSTFRPPLYO"})  # fmt: skip
    client.post(reverse("trainer_self_billing"), {"accept": "1"})
    session = paid_session(trainer, client_user, staff, django_capture_on_commit_callbacks)
    payout = Payout.objects.get(session=session)
    assert payout.trainer_invoice_name.startswith(f"AF-{timezone.localdate().year}-000001")
    text = pdf_text(payout.trainer_invoice.open("rb").read()).replace("\u202f", " ")
    assert "2 380,00 €" in text and "Autofacturation" in text and "293 B" in text
    assert "SIRET 12345678200010 — SIREN 123456782" in text
    assert "mandat d'autofacturation MAF-" in text.replace("\n", " ")
    # Ready for the SEPA batch without any upload.
    batch = services.payout_batch_create(payout_ids=[payout.pk], actor=staff)
    assert batch.total == Decimal("2380.00")


def test_a_funder_without_billing_address_is_asked_for_before_invoicing(
    trainer, client_user, organisation
):
    session = completed_session(trainer, client_user)
    session.funder.billing_address = ""
    session.funder.save()
    with pytest.raises(DomainError, match="adresse de facturation"):
        services.invoices_prepare(session=session, actor=trainer)
    assert not Invoice.objects.exists()
