"""Invoices: drafts from a completed session, issue (numbering), credit notes, payments.

An issued invoice is a frozen snapshot: its number comes from a counter row locked in the
issuing transaction (no gap, no duplicate: a rolled-back issue also rolls the counter back),
it is never edited nor deleted, and a credit note (its own series) cancels it.
"""

from __future__ import annotations

import logging
import re
from datetime import timedelta
from decimal import ROUND_HALF_UP, Decimal

from django.conf import settings
from django.db import IntegrityError, models, transaction
from django.utils import timezone

from ganapati.errors import DomainError
from ganapati.formats import euros, number_fr
from ganapati.idempotency import form_token_consume
from ganapati.selectors import organisation_get
from ganapati.services import log_action
from sessions.selectors import client_recipients

from .control import pre_invoicing_check
from .models import (
    MAX_PAYMENT,
    BpfReport,
    Invoice,
    InvoiceLine,
    NumberSequence,
    Payment,
    Payout,
    PayoutBatch,
)
from .states import (
    BPF_STATES,
    EXPORT_STATES,
    INVOICE_STATES,
    PAYOUT_STATES,
    TRANSMISSION_STATES,
)

logger = logging.getLogger(__name__)

CENT = Decimal("0.01")
PAYMENT_DAYS = 30
# Attempts at rendering an invoice's PDF before it is left for staff (failed, visible).
INVOICE_MAX_ATTEMPTS = 5
SERIES = {Invoice.Kind.INVOICE: "F", Invoice.Kind.CREDIT_NOTE: "A"}


def _vat(amount: Decimal, organisation) -> tuple[Decimal | None, Decimal]:
    if organisation.vat_exempt:
        return None, Decimal("0.00")
    rate = organisation.vat_rate
    return rate, (amount * rate / 100).quantize(CENT, ROUND_HALF_UP)


def _organisation_ready(organisation) -> None:
    problems = organisation.invoicing_problems()
    if problems:
        raise DomainError(
            "Impossible de facturer : il manque " + ", ".join(problems) + ". Complétez "
            "l'identité de l'organisme dans le back-office."
        )


def _funder_ready(funder) -> None:
    """A funder is invoiced only with what the invoice needs, or staff are told exactly what
    is missing (never an invoice addressed to nobody)."""
    missing = funder.missing_invoicing_fields()
    if missing:
        raise DomainError(
            f"Impossible de facturer {funder.name} : il manque "
            + ", ".join(missing)
            + ". Complétez sa fiche dans « Financeurs » avant de préparer la facture."
        )


def _subrogation_details(session, request) -> dict:
    """What an OPCO checks on an invoice under subrogation, frozen with the draft: the
    employer, each trainee with the hours actually done, the PEC's number and dates."""
    from ganapati.fields import format_minutes
    from sessions.selectors import realised_minutes

    def day(value):
        return {"iso": value.isoformat(), "label": f"{value:%d/%m/%Y}"} if value else None

    realised = realised_minutes(session)
    trainees = []
    for trainee in session.trainees.all():
        minutes = realised.get(trainee.pk, 0)
        trainees.append({"name": f"{trainee.first_name} {trainee.last_name}",
                         "minutes": minutes, "hours_label": format_minutes(minutes)})  # fmt: skip
    valid_from, valid_until = day(request.valid_from), day(request.valid_until)
    return {
        "employer": {"name": session.company.legal_name, "siret": session.company.siret},
        "trainees": trainees,
        "pec": {
            "number": request.file_number,
            "decision": request.get_decision_display(),
            "valid_from": valid_from and valid_from["iso"],
            "valid_from_label": valid_from and valid_from["label"],
            "valid_until": valid_until and valid_until["iso"],
            "valid_until_label": valid_until and valid_until["label"],
        },
    }


def _seller_snapshot(organisation) -> dict:
    """The seller's identity as the invoice states it, frozen with the draft."""
    from django.forms.models import model_to_dict

    data = model_to_dict(organisation, exclude=["id", "logo"])
    return {key: (str(value) if isinstance(value, Decimal) else value)
            for key, value in data.items()
            if isinstance(value, (str, int, bool, Decimal, type(None)))}  # fmt: skip


def seller_of(invoice: Invoice):
    """The organisation as it was when the invoice was drawn up (an unsaved copy)."""
    from ganapati.models import Organisation

    if not invoice.seller:
        return organisation_get()
    fields = {f.name for f in Organisation._meta.concrete_fields}
    return Organisation(**{k: v for k, v in invoice.seller.items() if k in fields})


def _training_label(session, minutes_done: int, minutes_planned: int) -> str:
    from ganapati.fields import format_minutes
    from sessions.selectors import planned_minutes

    count = len(session.trainees.all())
    return (f"Durée {format_minutes(planned_minutes(session))} par stagiaire, {count} "
            f"stagiaire{'s' if count > 1 else ''} ; heures-stagiaires réalisées : "
            f"{format_minutes(minutes_done)} sur {format_minutes(minutes_planned)}")  # fmt: skip


def invoice_plan(session, organisation=None, *, split=None) -> list[dict]:
    """The invoices a completed session calls for, with their lines (see `funding.money`):
    never an invoice of 0 €, lines whose quantity × unit price is their amount. `split`: the
    session's `session_split`, when the caller has it already."""
    from funding.money import session_split

    if split is None:
        split = session_split(session, organisation)
    terms = split.terms
    count = len(session.trainees.all())
    done_label = _training_label(session, terms.realised_minutes, terms.planned_minutes)
    plan = []
    if split.funder > 0:
        plan.append({
            "payer_kind": Invoice.PayerKind.FUNDER,
            "lines": [{"kind": InvoiceLine.Kind.TRAINING, "quantity": 1,
                       "unit": InvoiceLine.Unit.FLAT, "unit_price": split.funder,
                       "label": f"Action de formation « {session.title} » — prise en charge "
                                f"{session.funder.name if session.funder else ''}".strip()[:200],
                       "details": f"{done_label} ; accord de {euros(terms.granted)} HT au prorata "
                                  "des heures réalisées"}],
        })  # fmt: skip
    company_lines = []
    if split.company_training > 0:
        per_trainee = (session.price_basis == "per_trainee" and split.complete
                       and split.funder == 0 and count)  # fmt: skip
        if per_trainee:
            unit = (split.company_training / count).quantize(Decimal("0.01"))
            if unit * count != split.company_training:
                per_trainee = False
        what = "reste à charge" if split.funder > 0 else "prix"
        company_lines.append({
            "kind": InvoiceLine.Kind.TRAINING,
            "quantity": count if per_trainee else 1,
            "unit": InvoiceLine.Unit.TRAINEE if per_trainee else InvoiceLine.Unit.FLAT,
            "unit_price": unit if per_trainee else split.company_training,
            "label": f"Action de formation « {session.title} » — {what}"[:200],
            "details": done_label,
        })  # fmt: skip
    if split.dedit > 0:
        from ganapati.fields import format_minutes

        company_lines.append({
            "kind": InvoiceLine.Kind.DEDIT, "quantity": 1, "unit": InvoiceLine.Unit.FLAT,
            "unit_price": split.dedit,
            "label": "Dédit pour heures non réalisées (article 6 de la convention)",
            "details": f"{number_fr(terms.dedit_rate)} % du prix des "
                       f"{format_minutes(terms.planned_minutes - terms.realised_minutes)} non "
                       f"réalisées ({euros(split.not_done)} HT). Ce dédit n'est pas une dépense de "
                       "formation : il ne peut être imputé sur la participation à la formation "
                       "professionnelle ni pris en charge par un OPCO.",
        })  # fmt: skip
    if company_lines:
        plan.append({"payer_kind": Invoice.PayerKind.COMPANY, "lines": company_lines})
    for part in plan:
        for line in part["lines"]:
            line["amount"] = line["unit_price"] * line["quantity"]
        part["total"] = sum((line["amount"] for line in part["lines"]), Decimal("0.00"))
    return plan


@transaction.atomic
def invoices_prepare(*, session, actor) -> list[Invoice]:
    """Draft invoices for a completed session, following its funding (`invoice_plan`). After a
    credit note, what it cancelled can be invoiced again (the other invoices stay)."""
    from funding.money import validated_request
    from sessions.models import TrainingSession

    session = TrainingSession.objects.select_for_update().get(pk=session.pk)
    if session.status != TrainingSession.Status.COMPLETED:
        raise DomainError("Une session se facture une fois terminée.")
    organisation = organisation_get()
    _organisation_ready(organisation)
    active = set(
        session.invoices.filter(kind=Invoice.Kind.INVOICE)
        .exclude(status=Invoice.Status.CANCELLED)
        .values_list("payer_kind", flat=True)
    )
    plan = [part for part in invoice_plan(session, organisation)
            if part["payer_kind"] not in active]  # fmt: skip
    if not plan:
        raise DomainError("Les factures de cette session sont déjà préparées.")
    days = list(session.days.all())
    common = {"session": session, "service_start": days[0].date, "service_end": days[-1].date,
              "seller": _seller_snapshot(organisation)}  # fmt: skip
    company = session.company
    request = validated_request(session)
    several = len(plan) > 1 or bool(active)
    invoices = []
    invoiced = Decimal("0.00")
    vat_so_far = Decimal("0.00")
    for part in plan:
        amount = part["total"]
        rate, vat = _vat(amount, organisation)
        if rate is not None and part is plan[-1] and len(plan) > 1:
            # The invoices of one session add up to the quote's VAT to the cent: the last one
            # takes the VAT of the whole less what the others carry (one cent at most apart).
            vat = _vat(invoiced + amount, organisation)[1] - vat_so_far
        invoiced += amount
        vat_so_far += vat
        if part["payer_kind"] == Invoice.PayerKind.FUNDER:
            funder = request.funder
            _funder_ready(funder)
            buyer = {"buyer_name": funder.legal_name, "buyer_siret": funder.siret,
                     "buyer_siren": funder.siren, "buyer_address": funder.billing_address,
                     "buyer_email": funder.invoicing_email,
                     "buyer_portal": "" if funder.invoicing_email else funder.invoicing_portal,
                     "buyer_einvoice_address": funder.einvoice_endpoint, "funder": funder,
                     "funder_file_number": request.file_number,
                     "subrogation": _subrogation_details(session, request)}  # fmt: skip
            what = "prise en charge"
        else:
            buyer = {"buyer_name": company.legal_name, "buyer_siret": company.siret,
                     "buyer_siren": company.siren, "buyer_einvoice_address": company.siren,
                     "buyer_address": f"{company.address}, {company.postal_code} {company.city}",
                     "buyer_email": next(iter(client_recipients(session)), "")}  # fmt: skip
            what = "reste à charge" if several else "prix"
        invoice = Invoice.objects.create(
            payer_kind=part["payer_kind"],
            description=f"Action de formation « {session.title} » ({session.reference}), {what}",
            total_excl_tax=amount,
            vat_rate=rate,
            vat_amount=vat,
            total_incl_tax=amount + vat,
            **common,
            **buyer,
        )
        InvoiceLine.objects.bulk_create(
            InvoiceLine(invoice=invoice, position=index, **line)
            for index, line in enumerate(part["lines"], start=1)
        )
        invoices.append(invoice)
    for invoice in invoices:
        invoice.einvoice_checked = _precheck_einvoice(invoice.pk, organisation)
    log_action(session, "billing.prepared", actor=actor,
               data={"invoices": [str(i.total_incl_tax) for i in invoices]})  # fmt: skip
    return invoices


def _next_number(series: str) -> int:
    """The next number of a series: one UPDATE … RETURNING that locks the counter's row until
    the transaction ends (callers take it last, after every check, so the lock is short)."""
    from django.db import connection

    table = NumberSequence._meta.db_table
    sql = (
        f"UPDATE {table} SET last_number = last_number + 1 "  # noqa: S608
        "WHERE series = %s RETURNING last_number"
    )
    with connection.cursor() as cursor:
        cursor.execute(sql, [series])
        row = cursor.fetchone()
        if row is None:  # the series' first number this year
            try:
                with transaction.atomic():
                    NumberSequence.objects.create(series=series)
            except IntegrityError:
                pass  # another transaction created it at the same moment
            cursor.execute(sql, [series])
            row = cursor.fetchone()
    return row[0]


def _peek_number(series: str) -> int:
    """The number the series would give now, without locking: a provisional number of the same
    shape, for the checks that run before the real number is taken."""
    last = NumberSequence.objects.filter(series=series).values_list("last_number", flat=True)
    return (last.first() or 0) + 1


def _number(series: str, value: int) -> str:
    return f"{series}-{value:06d}"


def _assign_number(invoice: Invoice, *, message: str | None = None) -> str:
    """Issue a draft: its state, its dates (the same day) and a *provisional* number of the
    series; returns the series. The real number is taken by `_take_number` after every check:
    the counter stays locked only for the save and the commit, not for the e-invoicing
    validation (≈ 0.1 s), which otherwise serialised every issue behind it. A credit note has
    no due date (nothing is to be paid on it)."""
    INVOICE_STATES.advance(invoice, Invoice.Status.ISSUED, message=message)
    today = timezone.localdate()
    series = f"{SERIES[invoice.kind]}-{today.year}"
    invoice.number = _number(series, _peek_number(series))
    invoice.issue_date = today
    invoice.due_date = (
        None if invoice.kind == Invoice.Kind.CREDIT_NOTE else today + timedelta(days=PAYMENT_DAYS)
    )
    TRANSMISSION_STATES.advance(invoice, Invoice.Transmission.PENDING)
    return series


def _take_number(invoice: Invoice, series: str) -> None:
    """The invoice's real number, from the locked counter: the last step before saving."""
    invoice.number = _number(series, _next_number(series))


def _check_einvoice(invoice: Invoice, organisation, *, label: str | None = None) -> None:
    """Numbered but not yet committed: the invoice is issued only if its XML passes the XSD,
    the EN 16931 rules and the French rules, as a partner platform would check it. Otherwise
    the transaction (and its number) is rolled back and staff see every broken rule.
    The same bytes (number's digits aside, `einvoice.fingerprint`) that passed when the draft
    was prepared are not checked again: any change of the invoice, its seller, buyer, lines,
    dates (another day) or of the validators' release gives other bytes, checked again."""
    from .einvoice import fingerprint, validate
    from .facturx_xml import facturx_xml

    xml = facturx_xml(invoice, organisation)
    checked = fingerprint(xml, invoice.number)
    if checked == invoice.einvoice_checked:
        return
    failures = validate(xml)
    if failures:
        raise DomainError(
            f"{label or invoice} ne peut pas être émise : la facture électronique ne respecte pas "
            + "; ".join(f"{f.rule} ({f.text[:160]})" for f in failures[:5])
            + ("…" if len(failures) > 5 else ".")
        )
    invoice.einvoice_checked = checked


def _as_issued_today(invoice: Invoice, organisation, *, message: str | None = None) -> str:
    """The draft as its issue today makes it, before its real number: state, dates and
    provisional number (`_assign_number`), the seller's identity now. Returns the series."""
    series = _assign_number(invoice, message=message)
    invoice.seller = _seller_snapshot(organisation)
    return series


def _precheck_einvoice(draft_id: int, organisation) -> str:
    """A draft's XML checked as `invoice_issue` will build it today (`_as_issued_today`): when
    the draft is issued later the same day, unchanged, its issue does not run the checks again
    on the same bytes (≈ 12 ms of an issue). Returns the fingerprint kept, "" for a draft that
    does not pass (its issue checks it and says what is wrong). Only a saving: it never fails
    its caller (a savepoint; errors logged), except a task's time limit."""
    from celery.exceptions import SoftTimeLimitExceeded

    drafts = Invoice.objects.filter(pk=draft_id, status=Invoice.Status.DRAFT)
    try:
        with transaction.atomic():
            trial = drafts.first()  # as the issue reads it (field values and their types)
            if trial is None:
                return ""
            _as_issued_today(trial, organisation)
            _check_einvoice(trial, seller_of(trial))
            drafts.update(einvoice_checked=trial.einvoice_checked)
    except DomainError:
        # Refused: no verdict kept from an earlier check (it held for other bytes anyway).
        drafts.exclude(einvoice_checked="").update(einvoice_checked="")
        return ""
    except SoftTimeLimitExceeded:
        raise
    except Exception:
        logger.exception("invoice draft %s: its e-invoice could not be checked", draft_id)
        return ""
    return trial.einvoice_checked


def drafts_precheck() -> dict[str, int]:
    """Nightly, just after midnight (Europe/Paris): every draft checked again as it would be
    issued today (`_precheck_einvoice`), so that issuing it any day costs no second check of
    the same bytes. Returns how many drafts pass and how many do not (their issue says why)."""
    organisation = organisation_get()
    counts = {"checked": 0, "failing": 0}
    drafts = Invoice.objects.filter(status=Invoice.Status.DRAFT).order_by("pk")
    for pk in drafts.values_list("pk", flat=True):
        counts["checked" if _precheck_einvoice(pk, organisation) else "failing"] += 1
    return counts


@transaction.atomic
def invoice_issue(*, invoice: Invoice, actor) -> Invoice:
    from sessions.models import TrainingSession

    invoice = Invoice.objects.select_for_update().get(pk=invoice.pk)
    draft = str(invoice)  # its name in refusals: the provisional number is nobody's yet
    organisation = organisation_get()
    series = _as_issued_today(
        invoice, organisation,
        message=f"{invoice} est déjà émise (« {{current}} ») : elle ne peut plus changer.",
    )  # fmt: skip
    _organisation_ready(organisation)
    if invoice.funder_id:
        _funder_ready(invoice.funder)
    # The session with what the check and the plan read many times, read once.
    invoice.session = (
        TrainingSession.objects.select_related("funder")
        .prefetch_related("trainees", "days")
        .get(pk=invoice.session_id)
    )
    checks = pre_invoicing_check(invoice.session, organisation)
    blocking = [c for c in checks if c.blocking and not c.ok]
    if blocking:
        raise DomainError(
            f"{draft} ne peut pas être émise : le contrôle avant facturation trouve "
            + " ; ".join(c.text for c in blocking)
            + "."
        )
    _check_einvoice(invoice, seller_of(invoice), label=draft)
    _take_number(invoice, series)
    invoice.queued_at = timezone.now()  # its PDF is queued below: one UPDATE for both
    invoice.save()
    log_action(invoice.session, "billing.issued", actor=actor, data={"number": invoice.number})
    _queue_render(invoice, saved=True)
    return invoice


def credit_form_scope(invoice: Invoice) -> str:
    """The credit-note form of this invoice (see `ganapati.idempotency`)."""
    return f"billing.credit:{invoice.pk}"


@transaction.atomic
def credit_note_issue(*, invoice: Invoice, actor, reason: str,
                      form_token: str | None = None) -> Invoice:  # fmt: skip
    """Cancel an issued invoice by a credit note of the same amounts (its own series).
    From a form, `form_token` makes a second submission fail instead of acting twice."""
    if form_token is not None:
        form_token_consume(token=form_token, scope=credit_form_scope(invoice), user=actor)
    if not reason.strip():
        raise DomainError("Indiquez le motif de l'avoir.")
    invoice = Invoice.objects.select_for_update().get(pk=invoice.pk)
    refusal = "Seule une facture émise peut être annulée par un avoir."
    if invoice.kind != Invoice.Kind.INVOICE:
        raise DomainError(refusal)
    INVOICE_STATES.advance(invoice, Invoice.Status.CANCELLED, message=refusal)
    credit = Invoice(
        kind=Invoice.Kind.CREDIT_NOTE,
        credited_invoice=invoice,
        **{
            field: getattr(invoice, field)
            for field in (
                "session",
                "payer_kind",
                "funder",
                "buyer_name",
                "buyer_address",
                "buyer_siret",
                "buyer_siren",
                "buyer_einvoice_address",
                "buyer_email",
                "buyer_portal",
                "funder_file_number",
                "subrogation",
                "seller",
                "total_excl_tax",
                "vat_rate",
                "vat_amount",
                "total_incl_tax",
                "service_start",
                "service_end",
            )
        },  # fmt: skip
        description=f"Avoir sur la facture {invoice.number} : {reason.strip()}"[:300],
    )
    # Rare: the number is taken at once (its lines need the saved row).
    _take_number(credit, _assign_number(credit))
    credit.save()
    InvoiceLine.objects.bulk_create(
        InvoiceLine(invoice=credit, **{f: getattr(line, f) for f in (
            "position", "kind", "label", "details", "quantity", "unit", "unit_price", "amount")})
        for line in invoice.lines.all()
    )  # fmt: skip
    _check_einvoice(credit, seller_of(credit))
    invoice.save(update_fields=["status"])
    payout_recompute(session=invoice.session, actor=actor)
    log_action(
        invoice.session,
        "billing.credited",
        actor=actor,
        data={"invoice": invoice.number, "credit_note": credit.number, "reason": reason},
    )
    _queue_render(credit)
    return credit


def _queue_render(invoice: Invoice, *, saved: bool = False) -> None:
    """Queue the PDF's rendering; `saved`: the caller stored queued_at with its own save."""
    from .tasks import render_invoice

    if not saved:
        Invoice.objects.filter(pk=invoice.pk).update(queued_at=timezone.now())
    render_invoice.delay(invoice.pk)  # after the commit (TransactionAwareTask)


def invoice_certificates(invoice: Invoice) -> list:
    """The certificates of completion that travel with an invoice under subrogation: the
    current ready version for each trainee. Raises if one is not ready (the invoice waits for
    its proofs; the render is tried again and staff see why)."""
    from documents.models import Document
    from documents.selectors import current_documents

    if invoice.payer_kind != Invoice.PayerKind.FUNDER or invoice.kind != Invoice.Kind.INVOICE:
        return []
    certificates = {d.subject_id: d for d in current_documents(invoice.session)
                    if d.kind == "certificat"}  # fmt: skip
    waiting = [
        f"{trainee.first_name} {trainee.last_name}"
        for trainee in invoice.session.trainees.all()
        if trainee.pk not in certificates
        or certificates[trainee.pk].status != Document.Status.READY
    ]
    if waiting:
        raise DomainError(
            "La facture part avec les certificats de réalisation : celui de "
            + ", ".join(waiting)
            + " n'est pas prêt (en cours ou en échec de génération)."
        )
    return list(certificates.values())


def invoice_render(*, invoice_id: int) -> str:
    """The PDF/A-3 with its factur-x.xml, made once from the frozen snapshot, then sent to
    the payer (by e-mail with the certificates, or left for staff to deposit on the funder's
    portal: the invoice says which)."""
    import hashlib
    import zlib

    from django.core.files.base import ContentFile
    from facturx import generate_from_binary

    from documents.pdf import html_to_pdf, render_html
    from ganapati import legal

    from .einvoice import assert_valid, pdf_set_producer, producer
    from .facturx_xml import facturx_xml, invoice_lines, payment_terms

    invoice = Invoice.objects.select_related("session", "credited_invoice").get(pk=invoice_id)
    if invoice.pdf:
        return "skipped-done"
    organisation = seller_of(invoice)
    certificates = invoice_certificates(invoice)
    xml = facturx_xml(invoice, organisation)
    assert_valid(xml)
    html = render_html(
        "billing/invoice.html",
        {"invoice": invoice, "organisation": organisation, "legal": legal,
         "lines": invoice_lines(invoice), "payment_terms": payment_terms(invoice)},
    )  # fmt: skip
    pdf = html_to_pdf(html)
    data = generate_from_binary(
        pdf, xml, flavor="factur-x", level="en16931", check_xsd=True, lang="fr-FR",
        pdf_metadata={"author": organisation.legal_name, "keywords": "Factur-X, facture",
                      "title": f"{invoice.get_kind_display()} {invoice.number}",
                      "subject": f"{invoice.get_kind_display()} {invoice.number} — "
                                 f"{organisation.legal_name}"},
    )  # fmt: skip
    data = pdf_set_producer(data, producer())
    with transaction.atomic():
        invoice = Invoice.objects.select_for_update().get(pk=invoice_id)
        if invoice.pdf:
            return "skipped-done"
        invoice.pdf.save(f"{invoice.number}.pdf", ContentFile(data), save=False)
        invoice.sha256 = hashlib.sha256(data).hexdigest()
        invoice.pdf_size, invoice.crc32 = len(data), zlib.crc32(data)
        from . import emails

        if emails.invoice_to_payer(invoice, certificates=certificates) is not None:
            TRANSMISSION_STATES.advance(invoice, Invoice.Transmission.EMAILED)
            invoice.transmitted_at = timezone.now()
        else:
            TRANSMISSION_STATES.advance(invoice, Invoice.Transmission.TO_DEPOSIT)
        invoice.save(update_fields=["pdf", "sha256", "pdf_size", "crc32", "transmission",
                                    "transmitted_at"])  # fmt: skip
        log_action(
            invoice.session, "billing.transmission", actor=None,
            data={"number": invoice.number, "transmission": invoice.transmission},
        )  # fmt: skip
    return "rendered"


def payment_form_scope(invoice: Invoice) -> str:
    """The payment form of this invoice (see `ganapati.idempotency`)."""
    return f"billing.payment:{invoice.pk}"


def _check_payment_amount(amount: Decimal) -> None:
    if not isinstance(amount, Decimal) or not amount.is_finite():
        raise DomainError("Le montant du paiement est illisible.")
    if amount <= 0:
        raise DomainError("Le montant d'un paiement est positif.")
    if amount > MAX_PAYMENT:
        raise DomainError("Un paiement ne peut dépasser 9 999 999,99 € : vérifiez le montant.")
    if amount != amount.quantize(CENT):
        raise DomainError("Un montant se saisit au centime près (deux décimales au plus).")


@transaction.atomic
def invoice_mark_deposited(*, invoice: Invoice, actor) -> Invoice:
    """Staff deposited the PDF on the funder's portal (or handed it over): recorded, dated."""
    invoice = Invoice.objects.select_for_update().get(pk=invoice.pk)
    TRANSMISSION_STATES.advance(
        invoice, Invoice.Transmission.DEPOSITED,
        message=f"{invoice} n'est pas à déposer (transmission : « {{current}} »).",
    )  # fmt: skip
    invoice.transmitted_at = timezone.now()
    invoice.save(update_fields=["transmission", "transmitted_at"])
    log_action(invoice.session, "billing.deposited", actor=actor, data={"number": invoice.number})
    return invoice


@transaction.atomic
def payment_record(*, invoice: Invoice, actor, amount: Decimal, paid_on, payer: str,
                   bank_reference: str = "", form_token: str | None = None) -> Payment:  # fmt: skip
    """Staff record a payment; the invoice is paid when its balance reaches zero (an
    overpayment leaves a negative balance, shown to staff). From a form, `form_token` makes
    a second submission of the same form fail instead of paying twice."""
    if form_token is not None:
        form_token_consume(token=form_token, scope=payment_form_scope(invoice), user=actor)
    _check_payment_amount(amount)
    invoice = Invoice.objects.select_for_update().get(pk=invoice.pk)
    if invoice.kind != Invoice.Kind.INVOICE or invoice.status not in (
        Invoice.Status.ISSUED, Invoice.Status.PAID,
    ):  # fmt: skip
        raise DomainError("Un paiement s'enregistre sur une facture émise.")
    payment = Payment.objects.create(
        invoice=invoice, amount=amount, paid_on=paid_on, payer=payer,
        bank_reference=bank_reference, recorded_by=actor,
    )  # fmt: skip
    log_action(invoice.session, "billing.payment", actor=actor,
               data={"invoice": invoice.number, "amount": str(amount)})  # fmt: skip
    if invoice.balance <= 0 and invoice.status != Invoice.Status.PAID:
        INVOICE_STATES.advance(invoice, Invoice.Status.PAID)
        invoice.save(update_fields=["status"])
        _session_paid_if_complete(invoice.session, actor)
    return payment


def session_fully_paid(session) -> bool:
    """Every invoice of the session that is not cancelled is paid (a draft or an issued
    invoice blocks), there is at least one, and nothing a credit note reopened is left to
    invoice."""
    rows = set(
        session.invoices.filter(kind=Invoice.Kind.INVOICE)
        .exclude(status=Invoice.Status.CANCELLED)
        .values_list("payer_kind", "status")
    )
    if not rows or {status for _, status in rows} != {Invoice.Status.PAID}:
        return False
    # What a credit note cancelled and is not invoiced again is still due.
    planned = {part["payer_kind"] for part in invoice_plan(session)}
    return planned <= {payer for payer, _ in rows}


def _session_paid_if_complete(session, actor) -> None:
    if not session_fully_paid(session):
        return
    if Payout.objects.filter(session=session).exists():
        payout_recompute(session=session, actor=actor)
        return
    from . import emails

    log_action(session, "billing.session_paid", actor=actor)
    payout = payout_prepare(session=session)
    emails.session_paid(session, payout)


def invoices_send_overdue_reminders(*, today=None) -> int:
    """Daily (Celery beat): the payer is reminded at due date + 7 and + 30 days."""
    from . import emails

    today = today or timezone.localdate()
    count = 0
    for days in (7, 30):
        overdue = Invoice.objects.filter(
            kind=Invoice.Kind.INVOICE,
            status=Invoice.Status.ISSUED,
            due_date=today - timedelta(days=days),
        ).select_related("session")
        for invoice in overdue:
            with transaction.atomic():
                if emails.overdue_reminder(invoice, days=days) is not None:
                    count += 1
    return count


# --- Trainer payouts ----------------------------------------------------------------------------


def commission_rate_for(trainer, organisation) -> Decimal:
    profile = getattr(trainer, "trainer_profile", None)
    if profile is not None and profile.commission_rate is not None:
        return profile.commission_rate
    return organisation.commission_rate


def trainer_share(amount: Decimal, rate: Decimal) -> tuple[Decimal, Decimal]:
    """(commission, trainer's share) of an amount, the commission rounded half-up once."""
    commission = (amount * rate / 100).quantize(CENT, ROUND_HALF_UP)
    return commission, amount - commission


def collected_for(session) -> Decimal:
    """What the session brought in, excluding tax: its paid invoices (an overpayment is the
    payer's money, not the trainer's; VAT is the State's)."""
    paid = session.invoices.filter(kind=Invoice.Kind.INVOICE, status=Invoice.Status.PAID)
    return sum((invoice.total_excl_tax for invoice in paid), Decimal("0.00"))


@transaction.atomic
def payout_prepare(*, session) -> Payout:
    """Once every invoice of the session is paid: the trainer's share is ready to be paid."""
    from sessions.models import TrainingSession

    session = TrainingSession.objects.select_for_update().get(pk=session.pk)
    existing = Payout.objects.filter(session=session).first()
    if existing is not None:
        return existing
    organisation = organisation_get()
    collected = collected_for(session)
    rate = commission_rate_for(session.trainer, organisation)
    commission, amount = trainer_share(collected, rate)
    payout = Payout.objects.create(
        session=session, trainer=session.trainer, collected=collected, commission_rate=rate,
        commission=commission, amount=amount,
    )  # fmt: skip
    log_action(session, "billing.payout_ready", actor=None, data={"amount": str(amount)})
    payout_self_bill_number(payout=payout)
    return payout


@transaction.atomic
def payout_recompute(*, session, actor) -> Payout | None:
    """After a credit note, or when every invoice is paid again: the payout follows what was
    collected. Not yet batched: suspended while an invoice is unpaid, then recomputed (the
    trainer's invoice for the old amount no longer applies). Already batched or paid: staff
    are told a regularisation is due (audit log), nothing is changed behind the bank's back."""
    from sessions.models import TrainingSession

    session = TrainingSession.objects.select_for_update().get(pk=session.pk)
    payout = Payout.objects.select_for_update().filter(session=session).first()
    if payout is None:
        return None
    if payout.status not in (Payout.Status.READY, Payout.Status.ON_HOLD):
        log_action(session, "billing.payout_regularisation_due", actor=actor,
                   data={"payout": payout.pk, "paid_out": str(payout.amount),
                         "collected_now": str(collected_for(session))})  # fmt: skip
        return payout
    if not session_fully_paid(session):
        if payout.status == Payout.Status.READY:
            PAYOUT_STATES.advance(payout, Payout.Status.ON_HOLD)
            payout.save(update_fields=["status"])
            log_action(session, "billing.payout_on_hold", actor=actor,
                       data={"payout": payout.pk})  # fmt: skip
        return payout
    collected = collected_for(session)
    commission, amount = trainer_share(collected, payout.commission_rate)
    changed = amount != payout.amount
    payout.collected, payout.commission, payout.amount = collected, commission, amount
    fields = ["collected", "commission", "amount"]
    if changed:
        payout.trainer_invoice, payout.trainer_invoice_name = "", ""
        payout.trainer_invoice_number, payout.self_invoice_number = "", ""
        fields += ["trainer_invoice", "trainer_invoice_name", "trainer_invoice_number",
                   "self_invoice_number"]  # fmt: skip
    if payout.status == Payout.Status.ON_HOLD:
        PAYOUT_STATES.advance(payout, Payout.Status.READY)
        fields.append("status")
    payout.save(update_fields=fields)
    log_action(session, "billing.payout_recomputed", actor=actor,
               data={"payout": payout.pk, "amount": str(amount)})  # fmt: skip
    if changed:
        payout_self_bill_number(payout=payout)
    return payout


@transaction.atomic
def payout_invoice_upload(*, payout: Payout, actor, upload, amount: Decimal,
                          number: str = "") -> Payout:  # fmt: skip
    """The trainer's own invoice to the organisation (they work as a subcontractor); the
    amount it states must equal the payout."""
    from ganapati.uploads import check_pdf

    payout = Payout.objects.select_for_update().get(pk=payout.pk)
    if payout.trainer_id != actor.pk:
        raise DomainError("Ce versement n'est pas le vôtre.")
    if amount != payout.amount:
        raise DomainError(
            f"Le montant de votre facture ({euros(amount)}) doit être égal à votre part "
            f"({euros(payout.amount)}) : corrigez votre facture."
        )
    PAYOUT_STATES.check(
        payout, Payout.Status.BATCHED,
        message="Ce versement est « {current} » : la facture ne peut plus changer.",
    )  # fmt: skip
    if payout.self_invoice_number:
        # The self-billed invoice is an issued invoice: it is never replaced (nor deleted).
        raise DomainError(
            "Sous mandat d'autofacturation, votre facture est établie par la plateforme "
            f"(n° {payout.self_invoice_number}) : il n'y a rien à déposer."
        )
    number = number.strip()
    if not number or len(number) > 35:
        raise DomainError(
            "Indiquez le numéro de votre facture (35 caractères au plus) : il accompagne le "
            "virement."
        )
    checked = check_pdf(upload, folder="factures-formateurs")
    replaced = _stored_file_facts(payout.trainer_invoice, payout.trainer_invoice_name)
    payout.trainer_invoice.save(checked.content.name.split("/")[-1], checked.content, save=False)
    payout.trainer_invoice_name = checked.original_name
    payout.trainer_invoice_number = number
    payout.save(update_fields=["trainer_invoice", "trainer_invoice_name", "trainer_invoice_number"])
    data = {"sha256": checked.sha256, "name": payout.trainer_invoice.name,
            "original_name": checked.original_name}  # fmt: skip
    if replaced is not None:
        # The log keeps the replaced file's name and hash, so the history stays provable; the
        # file itself goes once the replacement is committed (a rollback keeps it referenced).
        data["replaced"] = replaced
        storage, old_name = payout.trainer_invoice.storage, replaced["name"]
        transaction.on_commit(lambda: storage.delete(old_name), robust=True)
    log_action(payout.session, "billing.trainer_invoice", actor=actor, data=data)
    return payout


def _stored_file_facts(field_file, original_name: str) -> dict | None:
    """Name, original name and SHA-256 of a stored file (None when there is no file; the hash
    is empty when the file is missing from the storage)."""
    import hashlib

    if not field_file:
        return None
    sha = hashlib.sha256()
    try:
        with field_file.storage.open(field_file.name, "rb") as handle:
            while chunk := handle.read(64 * 1024):
                sha.update(chunk)
        digest = sha.hexdigest()
    except OSError:
        digest = ""
    return {"name": field_file.name, "original_name": original_name, "sha256": digest}


@transaction.atomic
def payout_batch_create(*, payout_ids: list[int], actor, execution_date=None) -> PayoutBatch:
    """A SEPA credit transfer file (pain.001.001.03, built and validated by `sepaxml`) from the
    organisation's account to each trainer's. Only ready payouts with the trainer's invoice
    and bank details: a payout is never paid before the funds came in, nor twice."""
    from django.core.files.base import ContentFile
    from sepaxml import SepaTransfer

    payouts = list(
        Payout.objects.select_for_update(of=("self",))
        .select_related("trainer__trainer_profile", "session")
        .filter(pk__in=payout_ids)
        .order_by("pk")
    )
    if not payouts:
        raise DomainError("Sélectionnez au moins un versement.")
    problems = []
    for payout in payouts:
        profile = getattr(payout.trainer, "trainer_profile", None)
        if not PAYOUT_STATES.can(payout.status, Payout.Status.BATCHED):
            problems.append(f"{payout} : déjà {payout.get_status_display().lower()}")
        elif not payout.trainer_invoice:
            problems.append(f"{payout} : facture du formateur manquante")
        elif profile is None or not profile.iban or not profile.bic:
            problems.append(f"{payout} : IBAN/BIC du formateur manquants")
    if problems:
        raise DomainError("Lot impossible : " + " ; ".join(problems) + ".")
    organisation = organisation_get()
    execution_date = execution_date or timezone.localdate() + timedelta(days=1)
    sepa = SepaTransfer(
        {"name": organisation.legal_name, "IBAN": organisation.iban, "BIC": organisation.bic,
         "batch": True, "currency": "EUR"},
        clean=True,
    )  # fmt: skip
    for payout in payouts:
        profile = payout.trainer.trainer_profile
        # The trainer's bank shows them which invoice and which session this pays; the
        # EndToEndId comes back in the bank's statements, so reconciliation finds the payout.
        sepa.add_payment({
            "name": profile.trade_name or payout.trainer.get_full_name(),
            "IBAN": profile.iban, "BIC": profile.bic,
            "amount": int((payout_amount_due(payout) * 100).to_integral_value()),
            "execution_date": execution_date,
            "endtoend_id": payout.reference,
            "description": f"Facture {payout.invoice_number} - Session {payout.session.reference}",
        })  # fmt: skip
    xml = sepa.export(validate=True)
    total = sum((payout_amount_due(p) for p in payouts), Decimal("0"))
    batch = PayoutBatch(created_by=actor, total=total)
    batch.sepa_file.save(f"virements-{timezone.localtime():%Y%m%d-%H%M%S}.xml",
                         ContentFile(xml), save=False)  # fmt: skip
    batch.save()
    for payout in payouts:
        PAYOUT_STATES.advance(payout, Payout.Status.BATCHED)
        payout.batch = batch
        payout.save(update_fields=["status", "batch"])
    for payout in payouts:
        log_action(payout.session, "billing.payout_batched", actor=actor, data={"batch": batch.pk})
    return batch


@transaction.atomic
def payout_batch_mark_sent(*, batch: PayoutBatch, actor) -> int:
    from . import emails

    batch = PayoutBatch.objects.select_for_update().get(pk=batch.pk)
    if batch.sent_at:
        raise DomainError("Ce lot est déjà marqué comme envoyé.")
    batch.sent_at = timezone.now()
    batch.save(update_fields=["sent_at"])
    payouts = list(batch.payouts.select_related("session", "trainer"))
    for payout in payouts:
        PAYOUT_STATES.advance(payout, Payout.Status.PAID)
        payout.paid_at = batch.sent_at
        payout.save(update_fields=["status", "paid_at"])
        log_action(payout.session, "billing.payout_paid", actor=actor, data={"batch": batch.pk})
        emails.payout_paid(payout)
    return len(payouts)


# --- Audit exports -------------------------------------------------------------------------------


EXPORT_STUCK_AFTER = timedelta(minutes=10)
EXPORT_MAX_ATTEMPTS = 3


def _queue_export(job_id: int) -> None:
    from .tasks import build_audit_export

    build_audit_export.delay(job_id)  # after the commit (TransactionAwareTask)


@transaction.atomic
def audit_export_request(*, session_ids: list[int], actor):
    from .models import AuditExportJob

    if not session_ids:
        raise DomainError("Sélectionnez au moins une session.")
    job = AuditExportJob.objects.create(requested_by=actor, session_ids=sorted(session_ids))
    log_action(job, "billing.export_requested", actor=actor, data={"sessions": len(session_ids)})
    _queue_export(job.pk)
    return job


@transaction.atomic
def audit_export_retry(*, job, actor):
    """Staff: build a failed export again."""
    from .models import AuditExportJob

    job = AuditExportJob.objects.select_for_update().get(pk=job.pk)
    if job.status != AuditExportJob.Status.FAILED:  # running → pending is the sweeper's only
        raise DomainError(
            "Seul un export en échec peut être relancé (celui-ci est "
            f"« {job.get_status_display()} »)."
        )
    EXPORT_STATES.advance(job, AuditExportJob.Status.PENDING)
    job.attempts = 0
    job.error = ""
    job.queued_at = timezone.now()
    job.save(update_fields=["status", "attempts", "error", "queued_at"])
    log_action(job, "billing.export_retried", actor=actor)
    _queue_export(job.pk)
    return job


def audit_export_build(*, job_id: int) -> str:
    """Write the ZIP to storage chunk by chunk, updating the progress, then email the link.
    Idempotent: only a pending export is built (a redelivered task finds it running or done)."""
    import tempfile

    from django.core.files import File
    from django.core.files.storage import default_storage
    from django.urls import reverse

    from ganapati.services import absolute_url, mail_queue
    from sessions.models import TrainingSession

    from .exports import AuditExport
    from .models import AuditExportJob

    with transaction.atomic():
        job = AuditExportJob.objects.select_for_update().get(pk=job_id)
        if job.status != AuditExportJob.Status.PENDING:
            return f"skipped-{job.status}"
        EXPORT_STATES.advance(job, AuditExportJob.Status.RUNNING)
        job.done = 0
        job.attempts += 1
        job.started_at = timezone.now()
        job.save(update_fields=["status", "done", "attempts", "started_at"])
    sessions_qs = (
        TrainingSession.objects.filter(pk__in=job.session_ids)
        .select_related("funding_request")
        .prefetch_related("trainees")
        .order_by("pk")
        .iterator(chunk_size=50)
    )
    export = AuditExport(sessions_qs, user=job.requested_by)
    export.on_session_done = lambda count: AuditExportJob.objects.filter(pk=job_id).update(
        done=count
    )
    try:
        # A temporary file on disk, then the storage API (local disk or S3 alike).
        with tempfile.TemporaryFile() as handle:
            for chunk in export.render():
                handle.write(chunk)
            handle.seek(0)
            name = default_storage.save(f"exports/audit-{job_id}.zip", File(handle))
    except Exception as exc:
        with transaction.atomic():
            job = AuditExportJob.objects.select_for_update().get(pk=job_id)
            if job.status == AuditExportJob.Status.RUNNING:
                EXPORT_STATES.advance(job, AuditExportJob.Status.FAILED)
                job.error = f"{type(exc).__name__}: {exc}"[:2000]
                job.save(update_fields=["status", "error"])
        raise
    with transaction.atomic():
        job = AuditExportJob.objects.select_for_update().get(pk=job_id)
        if job.status != AuditExportJob.Status.RUNNING:
            default_storage.delete(name)
            return f"skipped-{job.status}"
        EXPORT_STATES.advance(job, AuditExportJob.Status.DONE)
        job.file.name = name
        job.finished_at = timezone.now()
        job.save()
        mail_queue(
            key=f"audit-export:{job.pk}",
            template="billing_audit_export",
            to=[job.requested_by.email],
            context={"job": job, "url": absolute_url(reverse("audit_export_download",
                                                             args=[job.pk]))},
        )  # fmt: skip
    return "done"


def billing_sweep(*, now=None) -> dict[str, int]:
    """Periodic: the pending work of billing whose task was lost — issued invoices without
    their PDF, self-billed invoices without theirs, exports pending or cut off while running —
    is queued again (each task is idempotent); what failed too often is left for staff."""
    from .models import AuditExportJob
    from .tasks import render_invoice, render_self_invoice

    now = now or timezone.now()
    stale = now - EXPORT_STUCK_AFTER
    counts = {"invoices": 0, "self_invoices": 0, "exports": 0, "exports_failed": 0}
    invoices = Invoice.objects.filter(
        pdf="",
        status__in=[Invoice.Status.ISSUED, Invoice.Status.PAID, Invoice.Status.CANCELLED],
        render_attempts__lt=INVOICE_MAX_ATTEMPTS,
    ).filter(models.Q(queued_at__isnull=True) | models.Q(queued_at__lt=stale))
    for invoice_id in invoices.values_list("pk", flat=True)[:500]:
        Invoice.objects.filter(pk=invoice_id).update(queued_at=now)
        render_invoice.delay(invoice_id)
        counts["invoices"] += 1
    payouts = Payout.objects.filter(
        trainer_invoice="", created_at__lt=stale,
        self_invoice_attempts__lt=INVOICE_MAX_ATTEMPTS,
    ).exclude(self_invoice_number="")  # fmt: skip
    for payout_id in payouts.values_list("pk", flat=True)[:500]:
        render_self_invoice.delay(payout_id)
        counts["self_invoices"] += 1
    for job in AuditExportJob.objects.filter(
        models.Q(status=AuditExportJob.Status.PENDING, queued_at__lt=stale)
        | models.Q(status=AuditExportJob.Status.RUNNING,
                   started_at__lt=now - timedelta(seconds=settings.CELERY_TASK_TIME_LIMIT + 60))
    )[:100]:  # fmt: skip
        with transaction.atomic():
            job = AuditExportJob.objects.select_for_update().get(pk=job.pk)
            if job.status == AuditExportJob.Status.RUNNING:
                target = (
                    AuditExportJob.Status.FAILED
                    if job.attempts >= EXPORT_MAX_ATTEMPTS
                    else AuditExportJob.Status.PENDING
                )
                EXPORT_STATES.advance(job, target)
                if target == AuditExportJob.Status.FAILED:
                    job.error = "Construction interrompue à chaque tentative : relancez-la."
                    job.save(update_fields=["status", "error"])
                    counts["exports_failed"] += 1
                    continue
            job.queued_at = now
            job.save(update_fields=["status", "queued_at"])
            _queue_export(job.pk)
            counts["exports"] += 1
    return counts


# --- Bank statement import -----------------------------------------------------------------------

BANK_MAX_BYTES = 5 * 1024 * 1024
BANK_MAX_ROWS = 20_000
BANK_IMPORT_SCOPE = "billing.bank_import"
# A bank amount: digits, an optional sign, at most two decimals ("2 000,00", "-50.00").
_BANK_AMOUNT = re.compile(r"[+-]?\d+(?:[.,]\d{1,2})?", re.ASCII)
_BANK_SPACES = str.maketrans("", "", " \u00a0\u202f")
# Our invoice numbers ("F-2026-000042"), wherever the bank put them in the label.
INVOICE_NUMBER = re.compile(
    rf"(?<![A-Z0-9]){SERIES[Invoice.Kind.INVOICE]}-\d{{4}}-\d{{6,}}(?!\d)", re.ASCII
)


def _shown(text: str, limit: int = 40) -> str:
    """User text quoted in a message, bounded."""
    return text if len(text) <= limit else text[:limit] + "…"


def bank_statement_lines(data: bytes) -> list[str]:
    """The lines of an uploaded statement (UTF-8, at most 5 MB), or a French DomainError."""
    import io

    if len(data) > BANK_MAX_BYTES:
        raise DomainError("Le relevé dépasse 5 Mo : exportez une période plus courte.")
    try:
        text = data.decode("utf-8-sig")
    except UnicodeDecodeError as exc:
        raise DomainError(
            f"Le fichier doit être un CSV en UTF-8 (caractère illisible à l'octet {exc.start}) : "
            "enregistrez-le au format « CSV UTF-8 » puis importez-le de nouveau."
        ) from exc
    return list(io.StringIO(text, newline=""))


def bank_statement_parse(lines) -> tuple[list[dict], list[str]]:
    """Read a bank statement CSV (date;montant;libellé[;payeur], ";" or ","), proposing for each
    credit the issued invoice whose number appears in the label, or else the only open invoice
    of that exact balance. Returns (proposals, French errors for rows that were skipped).

    Linear in lines + invoices: the open invoices are indexed once by number and by balance,
    and each label is searched with one regular expression. A file that is not a readable
    CSV raises DomainError (nothing to propose)."""
    import csv
    from collections import defaultdict
    from datetime import datetime

    from django.db.models import Sum
    from django.db.models.functions import Coalesce

    proposals, errors = [], []
    sample = "".join(lines[:5]) if isinstance(lines, list) else ""
    delimiter = ";" if sample.count(";") >= sample.count(",") else ","
    open_invoices = Invoice.objects.filter(
        kind=Invoice.Kind.INVOICE, status=Invoice.Status.ISSUED
    ).annotate(paid=Coalesce(Sum("payments__amount"), Decimal("0")))
    by_number: dict[str, Invoice] = {}
    by_balance: dict[Decimal, list[Invoice]] = defaultdict(list)
    for inv in open_invoices:
        inv.open_balance = inv.total_incl_tax - inv.paid
        by_number[inv.number] = inv
        by_balance[inv.open_balance].append(inv)
    reader = csv.reader(lines, delimiter=delimiter)
    try:
        for index, row in enumerate(reader, start=1):
            if index > BANK_MAX_ROWS:
                raise DomainError(
                    f"Le relevé compte plus de {BANK_MAX_ROWS} lignes : importez-le en plusieurs "
                    "fois (une période plus courte)."
                )
            if not row or index == 1 and not re.match(r"\d", row[0].strip()):
                continue  # empty line or header
            if len(row) < 3:
                errors.append(f"Ligne {index} : 3 colonnes attendues (date ; montant ; libellé).")
                continue
            raw_date, raw_amount, label = row[0].strip(), row[1].strip(), row[2].strip()
            payer = row[3].strip() if len(row) > 3 else ""
            try:
                day = datetime.strptime(
                    raw_date, "%d/%m/%Y" if "/" in raw_date else "%Y-%m-%d"
                ).date()
            except ValueError:
                errors.append(f"Ligne {index} : date illisible « {_shown(raw_date)} ».")
                continue
            compact = raw_amount.translate(_BANK_SPACES)
            if not _BANK_AMOUNT.fullmatch(compact):
                errors.append(f"Ligne {index} : montant illisible « {_shown(raw_amount)} ».")
                continue
            amount = Decimal(compact.replace(",", "."))
            if amount <= 0:
                continue  # a debit: not a payment received
            if amount > MAX_PAYMENT:
                errors.append(
                    f"Ligne {index} : montant hors limites « {_shown(raw_amount)} » (un paiement "
                    "ne dépasse pas 9 999 999,99 €)."
                )
                continue
            match = next(
                (by_number[n] for n in INVOICE_NUMBER.findall(label.upper()) if n in by_number),
                None,
            )
            if match is None:
                same = by_balance.get(amount, ())
                match = same[0] if len(same) == 1 else None
            proposals.append({"line": index, "date": day, "amount": amount,
                              "label": label[:140], "payer": (payer or label)[:200],
                              "invoice": match})  # fmt: skip
    except csv.Error as exc:
        # Typically a field over the csv module's limit (131 072 characters) or a NUL byte.
        raise DomainError(
            f"Ligne {reader.line_num} : ce fichier n'est pas un relevé CSV lisible (champ "
            "démesuré ou caractère interdit). Exportez de nouveau le relevé depuis la banque."
        ) from exc
    return proposals, errors


def _bank_row_checked(row) -> tuple[Invoice, Decimal, object]:
    """The invoice (locked, still open), amount and date of a confirmed row, checked again."""
    from datetime import date

    try:
        amount = Decimal(str(row["amount"]))
        paid_on = date.fromisoformat(str(row["date"]))
        invoice_id = int(row["invoice"])
    except (KeyError, TypeError, ValueError, ArithmeticError) as exc:
        raise DomainError("données illisibles : importez de nouveau le relevé.") from exc
    _check_payment_amount(amount)
    invoice = Invoice.objects.select_for_update().filter(pk=invoice_id).first()
    if invoice is None or invoice.kind != Invoice.Kind.INVOICE:
        raise DomainError("facture introuvable.")
    if invoice.status != Invoice.Status.ISSUED:
        raise DomainError(
            f"{invoice} n'est plus à payer ({invoice.get_status_display().lower()} entre-temps) : "
            "rien n'est enregistré pour cette ligne."
        )
    return invoice, amount, paid_on


@transaction.atomic
def bank_statement_confirm(*, rows: list[dict], lines: set[int], actor,
                           form_token: str) -> tuple[int, list[str]]:  # fmt: skip
    """Record the payments of the rows staff ticked (by line number). The confirmation is
    used once (`form_token`); each row is checked again here (invoice still open, amount
    positive and bounded) and recorded in its own savepoint: a refused row is reported and
    the others are recorded. Returns (payments recorded, French errors)."""
    form_token_consume(token=form_token, scope=BANK_IMPORT_SCOPE, user=actor)
    done, errors = 0, []
    for row in rows:
        try:
            line = int(row["line"])
        except (KeyError, TypeError, ValueError):
            continue
        if line not in lines or not row.get("invoice"):
            continue
        try:
            with transaction.atomic():
                invoice, amount, paid_on = _bank_row_checked(row)
                payment_record(
                    invoice=invoice, actor=actor, amount=amount, paid_on=paid_on,
                    payer=str(row.get("payer", ""))[:200],
                    bank_reference=str(row.get("label", ""))[:140],
                )  # fmt: skip
        except DomainError as exc:
            errors.append(f"Ligne {line} : {exc.message}")
        else:
            done += 1
    return done, errors


@transaction.atomic
def trainer_self_billing_accept(*, trainer, accept: bool) -> None:
    """The trainer gives (or withdraws) the self-billing mandate, once, in their profile."""
    from ganapati.models import TrainerProfile

    profile, _ = TrainerProfile.objects.select_for_update().get_or_create(user=trainer)
    missing = profile.missing_self_billing_fields
    if accept and missing:
        raise DomainError(
            "Pour que l'organisme établisse vos factures, complétez d'abord votre profil : "
            + ", ".join(missing)
            + "."
        )
    profile.self_billing_accepted_at = timezone.now() if accept else None
    profile.save(update_fields=["self_billing_accepted_at"])
    log_action(profile, "trainer.self_billing_" + ("accepted" if accept else "withdrawn"),
               actor=trainer)  # fmt: skip


def payout_self_bill_number(*, payout: Payout) -> None:
    """Under the mandate, the trainer's invoice gets its number (series "AF") in the payout's
    transaction; the PDF is rendered after commit (never while holding the locks)."""
    profile = getattr(payout.trainer, "trainer_profile", None)
    if payout.trainer_invoice or payout.self_invoice_number or profile is None:
        return
    if not profile.self_billing_accepted_at:
        return
    if profile.missing_self_billing_fields:
        # The trainer emptied a field after giving the mandate: they upload their invoice.
        log_action(payout.session, "billing.self_bill_skipped", actor=None,
                   data={"missing": profile.missing_self_billing_fields})  # fmt: skip
        return
    series = f"AF-{timezone.localdate().year}"
    payout.self_invoice_number = f"{series}-{_next_number(series):06d}"
    payout.save(update_fields=["self_invoice_number"])
    from .tasks import render_self_invoice

    transaction.on_commit(lambda: render_self_invoice.delay(payout.pk), robust=True)


def self_bill_totals(payout: Payout, profile) -> tuple[Decimal, Decimal | None, Decimal, Decimal]:
    """(excl. tax, VAT rate or None, VAT, incl. tax) of the invoice drawn up in the trainer's
    name: the share excluding tax, plus VAT only for a trainer liable to it."""
    from ganapati.models.accounts import TrainerVatRegime

    if profile.vat_regime == TrainerVatRegime.VAT and profile.vat_rate is not None:
        vat = (payout.amount * profile.vat_rate / 100).quantize(CENT, ROUND_HALF_UP)
        return payout.amount, profile.vat_rate, vat, payout.amount + vat
    return payout.amount, None, Decimal("0.00"), payout.amount


def payout_amount_due(payout: Payout) -> Decimal:
    """What the SEPA transfer pays: the self-billed invoice's total, or the share (a trainer's
    own invoice is checked to state exactly the share)."""
    profile = getattr(payout.trainer, "trainer_profile", None)
    if payout.self_invoice_number and profile is not None:
        return self_bill_totals(payout, profile)[3]
    return payout.amount


def _trainer_vat_mention(profile) -> str:
    from ganapati import legal
    from ganapati.models.accounts import TrainerVatRegime

    if profile.vat_regime == TrainerVatRegime.FRANCHISE:
        return legal.VAT_FRANCHISE_MENTION
    if profile.vat_regime == TrainerVatRegime.TRAINING_EXEMPT:
        return legal.TRAINER_TRAINING_EXEMPTION.format(nda=profile.nda)
    return f"TVA au taux de {format(profile.vat_rate.normalize(), 'f').replace('.', ',')} %"


def self_billing_mandate_reference(profile) -> str:
    """A stable reference of the trainer's mandate: their id and the day they accepted it."""
    return (
        f"MAF-{profile.user_id:05d}-{timezone.localtime(profile.self_billing_accepted_at):%Y%m%d}"
    )


def payout_self_bill_render(*, payout_id: int) -> str:
    """The self-billed invoice's PDF (PDF/A-3b), for the payout's exact amount (idempotent).

    A plain PDF, not Factur-X: most trainers are under the VAT franchise and have no VAT
    identifier, which an exempt Factur-X line requires (BR-E-02); micro-enterprises issue
    e-invoices from September 2027, through the partner platform (see the README)."""
    import hashlib

    from django.core.files.base import ContentFile

    from documents.pdf import html_to_pdf, render_html
    from ganapati import legal

    payout = Payout.objects.select_related("session", "trainer__trainer_profile").get(pk=payout_id)
    if payout.trainer_invoice or not payout.self_invoice_number:
        return "skipped"
    profile = payout.trainer.trainer_profile
    organisation = organisation_get()
    seller = profile.trade_name or payout.trainer.get_full_name()
    excl_tax, vat_rate, vat, incl_tax = self_bill_totals(payout, profile)
    days = list(payout.session.days.all())
    accepted = profile.self_billing_accepted_at
    html = render_html("billing/self_invoice.html", {
        "payout": payout, "profile": profile, "organisation": organisation,
        "number": payout.self_invoice_number, "issue_date": timezone.localdate(),
        "seller": seller, "legal": legal, "vat_mention": _trainer_vat_mention(profile),
        "excl_tax": excl_tax, "vat_rate": vat_rate, "vat": vat, "incl_tax": incl_tax,
        "first_day": days[0].date if days else None, "last_day": days[-1].date if days else None,
        "mention": legal.SELF_BILLING_MENTION.format(buyer=organisation.legal_name, seller=seller),
        "mandate": legal.SELF_BILLING_MANDATE_REF.format(
            reference=self_billing_mandate_reference(profile),
            date=f"{timezone.localtime(accepted):%d/%m/%Y}" if accepted else "—",
        ),
    })  # fmt: skip
    data = html_to_pdf(html)
    with transaction.atomic():
        payout = Payout.objects.select_for_update().get(pk=payout_id)
        if payout.trainer_invoice:
            return "skipped"
        number = payout.self_invoice_number
        payout.trainer_invoice.save(f"{number}.pdf", ContentFile(data), save=False)
        payout.trainer_invoice_name = f"{number}.pdf (autofacturation)"
        payout.save(update_fields=["trainer_invoice", "trainer_invoice_name"])
        log_action(payout.session, "billing.self_billed", actor=None,
                   data={"number": number, "sha256": hashlib.sha256(data).hexdigest()})  # fmt: skip
    return "rendered"


# --- BPF (bilan pédagogique et financier) -----------------------------------------------------


@transaction.atomic
def bpf_compute(*, year: int, actor) -> BpfReport:
    """Compute (again) the draft BPF of the financial year closing in `year`. A locked year is
    never recomputed: its later changes are only flagged (`bpf_check_changes`)."""
    from . import bpf

    if not 2000 <= year <= 2100:
        raise DomainError("Indiquez l'année de clôture de l'exercice (ex. 2025).")
    result = bpf.compute(year)
    figures = bpf.as_json(result)
    report, _ = BpfReport.objects.select_for_update().get_or_create(
        year=year,
        defaults={"period_start": result.start, "period_end": result.end,
                  "form_version": result.version},
    )  # fmt: skip
    if report.status == BpfReport.Status.LOCKED:
        raise DomainError(f"Le BPF {year} est verrouillé : ses chiffres ne sont plus recalculés.")
    report.period_start, report.period_end = result.start, result.end
    report.form_version = result.version
    report.figures = figures
    report.sha256 = bpf.figures_hash(figures)
    report.computed_at = timezone.now()
    report.save()
    log_action(report, "bpf.computed", actor=actor, data={"sha256": report.sha256})
    return report


@transaction.atomic
def bpf_lock(*, report: BpfReport, actor) -> BpfReport:
    """Freeze the BPF once filed: its figures and their SHA-256 no longer change."""
    report = BpfReport.objects.select_for_update().get(pk=report.pk)
    if not report.figures:
        raise DomainError("Calculez le BPF avant de le verrouiller.")
    BPF_STATES.advance(report, BpfReport.Status.LOCKED)
    report.locked_at = timezone.now()
    report.locked_by = actor
    report.save()
    log_action(report, "bpf.locked", actor=actor, data={"sha256": report.sha256})
    return report


@transaction.atomic
def bpf_check_changes(*, report: BpfReport) -> BpfReport:
    """For a locked year: compute the figures again from today's data and flag the boxes that
    would change (an invoice, a credit note or an attendance of that year changed since)."""
    from . import bpf

    report = BpfReport.objects.select_for_update().get(pk=report.pk)
    if report.status != BpfReport.Status.LOCKED:
        raise DomainError("Seul un BPF verrouillé est comparé à ses chiffres figés.")
    current = bpf.as_json(bpf.compute(report.year))
    changes = bpf.differences(report.figures, current)
    if changes and changes != report.changes:
        log_action(report, "bpf.changed_after_lock", data={"changes": changes})
    report.changes = changes
    report.changed_after_lock = bool(changes)
    report.changes_checked_at = timezone.now()
    report.save(update_fields=["changes", "changed_after_lock", "changes_checked_at"])
    return report
