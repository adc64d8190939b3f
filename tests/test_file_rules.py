"""One rule for who may see a file: every file kind × every role × every path (the page link,
the direct URL, the audit ZIP, the e-mail attachment) gives the answer of ganapati/files.py,
written out here by hand."""

import io
import zipfile
from decimal import Decimal

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from django.urls import reverse
from django.utils import timezone

from billing import services as billing
from billing.models import AuditExportJob, Invoice, PayoutBatch
from documents.models import Document
from funding.models import PecUpload
from ganapati import files
from ganapati.models import OutgoingEmail, TrainerProfile
from sessions import services as sessions

from .conftest import login
from .test_billing import completed_session
from .test_pec import pdf_bytes

# Who may see what, as the product's rules say (not read from the table).
EXPECTED = {
    "document.devis": {"trainer", "client", "staff"},
    "document.convention": {"trainer", "client", "staff"},
    "document.programme": {"trainer", "client", "staff"},
    "document.emargement": {"trainer", "client", "staff", "funder"},
    "document.certificat": {"trainer", "client", "staff", "funder"},
    # The trainee (no account) receives their own attestation: the addressee it is about.
    "document.attestation": {"trainer", "client", "staff", "addressee"},
    # The organisation's rules and terms: to the session's parties; the rules also to each
    # trainee with their convocation.
    "document.reglement": {"trainer", "client", "staff", "addressee"},
    "document.cgv": {"trainer", "client", "staff"},
    "attendance_scan": {"trainer", "client", "staff", "funder"},
    # Electronic attendance: the signed sheet and its evidence log are proofs like the scan.
    "document.emargement_signe": {"trainer", "client", "staff", "funder"},
    "attendance_evidence": {"trainer", "client", "staff", "funder"},
    "pec": {"trainer", "client", "staff"},
    "invoice.company": {"trainer", "client", "staff"},
    "invoice.funder": {"trainer", "staff", "funder"},
    "payment.company": {"trainer", "client", "staff"},
    "payment.funder": {"trainer", "staff"},
    "trainer_invoice": {"trainer", "staff"},
    "sepa": {"staff"},
    # A trainer's CV and proofs of qualification: that trainer and staff.
    "qualification": {"trainer", "staff"},
    "audit_export": {"staff"},
    "bpf": {"staff"},
    "appointment.invitation": {"addressee"},
}


def test_the_table_says_what_the_rules_say():
    assert {kind: set(who) for kind, who in files.AUDIENCES.items()} == EXPECTED


@pytest.fixture
def world(trainer, client_user, staff, organisation, funders, django_capture_on_commit_callbacks):
    """A session with every kind of file: documents, the PEC, a signed scan, a funder invoice
    and a company invoice (partial PEC under subrogation), both paid, the trainer's invoice,
    a SEPA batch and a staff audit export."""
    TrainerProfile.objects.update_or_create(user=trainer, defaults={
        "iban": "FR1420041010050500013M02606", "bic": "PSSTFRPPLYO", "address": "1 rue",
        "postal_code": "69001", "city": "Lyon"})  # fmt: skip
    with django_capture_on_commit_callbacks(execute=True):
        session = completed_session(trainer, client_user, decision="partial", granted="2000")
        session.funder.contact_email = "factures@opco.example"
        session.funder.save()
        request = session.funding_request
        PecUpload.objects.create(
            request=request, file=SimpleUploadedFile("pec/a.pdf", pdf_bytes()),
            original_name="accord.pdf", sha256="0" * 64, size=10, uploaded_by=client_user,
        )  # fmt: skip
        scan = SimpleUploadedFile("s.pdf", pdf_bytes())
        sessions.attendance_scan_upload(session=session, actor=trainer, upload=scan)
        drafts = billing.invoices_prepare(session=session, actor=staff)
        for draft in drafts:
            invoice = billing.invoice_issue(invoice=draft, actor=staff)
            billing.payment_record(
                invoice=invoice, actor=staff, amount=invoice.total_incl_tax,
                paid_on=timezone.localdate(), payer=invoice.buyer_name,
            )  # fmt: skip
    payout = session.payout
    billing.payout_invoice_upload(payout=payout, actor=trainer,
                                  upload=SimpleUploadedFile("f.pdf", pdf_bytes()),
                                  amount=payout.amount, number="FF-2026-001")  # fmt: skip
    batch = billing.payout_batch_create(payout_ids=[payout.pk], actor=staff)
    with django_capture_on_commit_callbacks(execute=True):
        job = billing.audit_export_request(session_ids=[session.pk], actor=staff)
    assert AuditExportJob.objects.get(pk=job.pk).status == "done"
    assert {i.payer_kind for i in Invoice.objects.filter(session=session)} == {"funder", "company"}
    return session, batch, job


def _urls(session, batch, job) -> dict[str, list[str]]:
    """Every file's direct URL, by kind."""
    urls: dict[str, list[str]] = {}
    for document in Document.objects.for_owner(session).filter(status="ready"):
        urls.setdefault(f"document.{document.kind}", []).append(
            reverse("document_download", args=[document.pk]))  # fmt: skip
    for upload in PecUpload.objects.filter(request__session=session):
        urls.setdefault("pec", []).append(reverse("pec_file", args=[upload.pk]))
    for invoice in Invoice.objects.filter(session=session):
        urls.setdefault(invoice.file_kind, []).append(
            reverse("invoice_download", args=[invoice.pk]))  # fmt: skip
    urls["sepa"] = [reverse("sepa_download", args=[batch.pk])]
    urls["audit_export"] = [reverse("audit_export_download", args=[job.pk])]
    return urls


PERSONAS = ["trainer", "client_user", "staff", "other_trainer", "other_client"]
ROLE = {
    "trainer": "trainer",
    "client_user": "client",
    "staff": "staff",
    "other_trainer": None,
    "other_client": None,
}  # fmt: skip  (others: no right on it)


@pytest.mark.parametrize("persona", PERSONAS)
def test_direct_urls_follow_the_rule(persona, request, client, world):
    session, batch, job = world
    user = request.getfixturevalue(persona)
    login(client, user)
    for kind, urls in _urls(session, batch, job).items():
        allowed = ROLE[persona] in EXPECTED[kind]
        for url in urls:
            status = client.get(url).status_code
            if allowed:
                assert status == 200, (persona, kind, url)
            else:
                assert status in (403, 404), (persona, kind, url, status)
    client.logout()
    for urls in _urls(session, batch, job).values():
        for url in urls:
            assert client.get(url).status_code == 302  # to the login page


KIND_OF_ENTRY = [
    ("/documents/Devis", "document.devis"),
    ("/documents/Convention", "document.convention"),
    ("/documents/Programme", "document.programme"),
    ("/documents/Feuille d'émargement", "document.emargement"),
    ("/documents/Certificat", "document.certificat"),
    ("/documents/Attestation", "document.attestation"),
    ("/pec/", "pec"),
    ("/emargement-signe/", "attendance_scan"),
]


@pytest.mark.parametrize("persona", ["trainer", "client_user", "staff"])
def test_the_audit_zip_holds_exactly_what_its_downloader_may_see(persona, request, client,
                                                                  world):  # fmt: skip
    session, _, _ = world
    user = request.getfixturevalue(persona)
    login(client, user)
    response = client.get(reverse("session_audit_export", args=[session.pk]))
    archive = zipfile.ZipFile(io.BytesIO(b"".join(response.streaming_content)))
    names = archive.namelist()
    role = ROLE[persona]
    for fragment, kind in KIND_OF_ENTRY:
        present = any(fragment in name for name in names)
        assert present == (role in EXPECTED[kind]), (persona, kind)
    for invoice in Invoice.objects.filter(session=session):
        present = any(name.endswith(f"/{invoice.number}.pdf") for name in names)
        assert present == (role in EXPECTED[invoice.file_kind]), (persona, invoice.file_kind)
    payments = [n for n in names if n.endswith("paiements.csv")]
    rows = archive.read(payments[0]).decode() if payments else ""
    for invoice in Invoice.objects.filter(session=session):
        kind = invoice.file_kind.replace("invoice.", "payment.")
        assert (invoice.number in rows) == (role in EXPECTED[kind]), (persona, kind)
    manifest = archive.read("manifest.csv").decode()
    for name in names:
        if name != "manifest.csv":
            assert name in manifest


def test_the_clients_reimbursement_pack_follows_the_same_rule(client, world, client_user):
    session, _, _ = world
    login(client, client_user)
    response = client.get(reverse("reimbursement_pack", args=[session.pk]))
    names = zipfile.ZipFile(io.BytesIO(b"".join(response.streaming_content))).namelist()
    funder_invoice = Invoice.objects.get(session=session, payer_kind="funder")
    assert not any(funder_invoice.number in n for n in names)
    assert any("/factures/" in n for n in names)


def test_every_e_mail_attachment_went_to_someone_allowed_to_see_it(world, staff, trainer):
    sent = [e for e in OutgoingEmail.objects.all() if e.attachments]
    assert sent  # the validation pack and the invoices at least
    kinds = set()
    for email in sent:
        for attachment in email.attachments:
            kinds.add(attachment["kind"])
            for address in [*email.to, *email.cc]:
                about = [a.lower() for a in attachment.get("about", [])]
                if "addressee" in EXPECTED[attachment["kind"]] and address.lower() in about:
                    continue  # a file about that very person (their own attestation)
                party = files.party_of_address(address)
                assert party in EXPECTED[attachment["kind"]], (address, attachment["kind"])
    assert {"document.devis", "invoice.funder", "invoice.company", "document.attestation",
            "document.certificat"} <= kinds  # fmt: skip
    attestations = [e for e in sent if e.attachments[0]["kind"] == "document.attestation"]
    assert sorted(e.to[0] for e in attestations) == ["stagiaire0@exemple.fr",
                                                      "stagiaire1@exemple.fr"]  # fmt: skip


def test_a_trainees_attestation_cannot_be_e_mailed_to_another_trainee_or_an_outsider(world):
    from ganapati.services import mail_queue

    session = world[0]
    first = session.trainees.get(email="stagiaire0@exemple.fr")
    document = Document.objects.for_owner(session).for_subject(first).get(kind="attestation")
    attachment = {"name": document.file.name, "filename": "a.pdf", "mimetype": "application/pdf",
                  "kind": "document.attestation", "about": [first.email]}  # fmt: skip
    before = OutgoingEmail.objects.count()
    for to in ["stagiaire1@exemple.fr", "inconnu@exemple.fr"]:
        with pytest.raises(files.AttachmentNotAllowed):
            mail_queue(key=f"leak-{to}", template="session_attestation", to=[to],
                       context={"session": session, "trainee": first},
                       attachments=[attachment])  # fmt: skip
    # Whom it is about is read from the document, not from the caller: code that wrote the
    # other trainee in "about" still cannot send it to them.
    with pytest.raises(files.AttachmentNotAllowed):
        mail_queue(key="leak-lying-about", template="session_attestation",
                   to=["stagiaire1@exemple.fr"], context={"session": session, "trainee": first},
                   attachments=[{**attachment, "about": ["stagiaire1@exemple.fr"]}])  # fmt: skip
    assert OutgoingEmail.objects.count() == before
    # And the trainee it names receives it, whatever "about" says.
    mail_queue(key="own-attestation", template="session_attestation", to=[first.email],
               context={"session": session, "trainee": first},
               attachments=[{**attachment, "about": []}])  # fmt: skip
    assert OutgoingEmail.objects.count() == before + 1


def test_an_attachment_to_someone_outside_its_audience_is_refused_before_anything_is_written(
    world, client_user
):
    from ganapati.services import mail_queue

    invoice = Invoice.objects.get(session=world[0], payer_kind="funder")
    before = OutgoingEmail.objects.count()
    with pytest.raises(files.AttachmentNotAllowed):
        attachment = {"name": invoice.pdf.name, "filename": "f.pdf",
                      "mimetype": "application/pdf", "kind": invoice.file_kind}  # fmt: skip
        mail_queue(key="leak", template="billing_invoice", to=[client_user.email],
                   context={"invoice": invoice, "reference": "x"},
                   attachments=[attachment])  # fmt: skip
    assert OutgoingEmail.objects.count() == before


def test_page_links_show_only_the_files_the_person_may_open(client, world, client_user, trainer):
    session, _, _ = world
    funder_invoice = Invoice.objects.get(session=session, payer_kind="funder")
    company_invoice = Invoice.objects.get(session=session, payer_kind="company")
    login(client, client_user)
    page = client.get(reverse("client_session_detail", args=[session.pk])).content.decode()
    assert reverse("invoice_download", args=[company_invoice.pk]) in page
    assert reverse("invoice_download", args=[funder_invoice.pk]) not in page
    for document in Document.objects.for_owner(session).filter(status="ready"):
        if "client" in EXPECTED[f"document.{document.kind}"]:
            assert reverse("document_download", args=[document.pk]) in page or (
                document.version < Document.objects.for_owner(session).for_subject(
                    document.subject).filter(kind=document.kind).count())  # fmt: skip
    assert PayoutBatch.objects.exists()
    assert Decimal(session.payout.amount) > 0
