"""The factur-x.xml (EN 16931 profile) of an issued invoice or credit note.

Built with the `factur-x` library's CII generator from the invoice's own snapshot, so the XML
and the PDF show the same amounts, dates and mentions; `billing.einvoice.validate` checks it
against the XSD, the EN 16931 schematron and the French rules (BR-FR-*).

The XML iterates over the invoice's own lines (`billing.models.InvoiceLine`: training, and a
separate "dédit" line; quantity × unit price = amount, checked by the database). The totals
and the VAT breakdown are computed from the lines and must equal the invoice's frozen totals.
"""

from __future__ import annotations

from collections import defaultdict
from dataclasses import dataclass
from decimal import ROUND_HALF_UP, Decimal

from ganapati import legal

EXEMPT = "E"
STANDARD = "S"
HOURS = "HUR"  # UN/ECE rec. 20: hour
FLAT = "C62"  # UN/ECE rec. 20: one (a flat-rate "forfait")
TRAINEE = "IE"  # UN/ECE rec. 20: person
# Electronic address and identifier schemes (ISO 6523 / EAS code lists).
SCHEME_SIREN = "0002"
SCHEME_SIRET = "0009"
SCHEME_EINVOICE_DIRECTORY = "0225"
CENT = Decimal("0.01")


@dataclass(frozen=True)
class InvoiceLine:
    number: str
    name: str  # BT-153
    quantity: Decimal  # BT-129, in `unit`
    net_amount: Decimal  # BT-131, excluding tax
    vat_category: str  # BT-151
    vat_rate: Decimal  # BT-152
    description: str = ""  # BT-154
    unit: str = FLAT  # BT-130
    unit_price: Decimal | None = None  # BT-146: quantity × unit price = net amount
    kind: str = "training"

    @property
    def net_price(self) -> Decimal:  # BT-146
        if self.unit_price is not None:
            return self.unit_price
        if not self.quantity:
            return self.net_amount
        return (self.net_amount / self.quantity).quantize(Decimal("0.0001"), ROUND_HALF_UP)

    @property
    def unit_label(self) -> str:
        return {FLAT: "forfait", TRAINEE: "stagiaire", HOURS: "heure"}.get(self.unit, "")


def invoice_lines(invoice) -> list[InvoiceLine]:
    """The invoice's own lines, in order (one flat line for a draft from before lines)."""
    exempt = invoice.vat_rate is None
    period = f"Du {invoice.service_start:%d/%m/%Y} au {invoice.service_end:%d/%m/%Y}"
    common = {"vat_category": EXEMPT if exempt else STANDARD,
              "vat_rate": Decimal("0") if exempt else invoice.vat_rate}  # fmt: skip
    lines = [
        InvoiceLine(
            number=str(line.position),
            name=line.label,
            quantity=Decimal(line.quantity),
            net_amount=line.amount,
            unit=line.unit,
            unit_price=line.unit_price,
            kind=line.kind,
            description=f"{period}. {line.details}".strip()[:1000],
            **common,
        )  # fmt: skip
        for line in invoice.lines.all()
    ]
    if lines:
        return lines
    return [InvoiceLine(number="1", name=invoice.description[:200], quantity=Decimal(1),
                        net_amount=invoice.total_excl_tax, unit_price=invoice.total_excl_tax,
                        description=period, **common)]  # fmt: skip


def vat_regime_label(invoice) -> str:
    """The VAT regime of an invoice, for the accountant's export."""
    if invoice.vat_rate is None:
        return f"exonéré ({legal.VAT_EXEMPTION_CODE})"
    return f"TVA {invoice.vat_rate:.2f} %"


def _money(value: Decimal) -> str:
    return f"{value.quantize(CENT)}"


def vat_breakdown(lines: list[InvoiceLine]) -> list[dict]:
    """One group per VAT category and rate (BG-23), its tax rounded once per group."""
    groups: dict[tuple[str, Decimal], Decimal] = defaultdict(Decimal)
    for line in lines:
        groups[(line.vat_category, line.vat_rate)] += line.net_amount
    breakdown = []
    for (category, rate), base in sorted(groups.items()):
        tax = (base * rate / 100).quantize(CENT, ROUND_HALF_UP)
        group = {"BT-116": _money(base), "BT-117": _money(tax), "BT-118": category,
                 "BT-119": f"{rate:.2f}"}  # fmt: skip
        if category == EXEMPT:
            group["BT-120"] = legal.VAT_EXEMPTION_MENTION
            group["BT-121"] = legal.VAT_EXEMPTION_CODE
        breakdown.append(group)
    return breakdown


def notes(invoice) -> list[dict]:
    """The invoice notes (BG-1): the mentions the French rules require (BR-FR-05), the
    treatment of the invoice (BAR: between two French businesses), and under subrogation what
    the OPCO looks for."""
    result = [
        {"BT-21": "PMD", "BT-22": legal.LATE_PENALTIES},
        {"BT-21": "PMT", "BT-22": legal.RECOVERY_INDEMNITY},
        {"BT-21": "AAB", "BT-22": legal.NO_DISCOUNT},
        {"BT-21": "BAR", "BT-22": "B2B"},
    ]
    if invoice.subrogation:
        result.append({"BT-21": "AAI", "BT-22": subrogation_text(invoice.subrogation)})
    return result


def subrogation_text(details: dict) -> str:
    """One paragraph with what an OPCO checks: subrogation, employer, trainees and hours, PEC."""
    parts = [legal.SUBROGATION_INVOICE + "."]
    employer = details.get("employer") or {}
    if employer:
        parts.append(f"Employeur : {employer.get('name')} (SIRET {employer.get('siret')}).")
    trainees = details.get("trainees") or []
    if trainees:
        parts.append(
            "Stagiaires et heures réalisées : "
            + ", ".join(f"{t['name']} ({t['hours_label']})" for t in trainees)
            + "."
        )
    pec = details.get("pec") or {}
    if pec.get("number"):
        period = ""
        if pec.get("valid_from") and pec.get("valid_until"):
            period = f" valable du {pec['valid_from_label']} au {pec['valid_until_label']}"
        parts.append(f"Accord de prise en charge n° {pec['number']}{period}.")
    return " ".join(parts)


def payment_terms(invoice) -> str:
    """BT-20, printed identically on the PDF."""
    if invoice.kind == "credit_note":
        credited = invoice.credited_invoice
        return legal.CREDIT_NOTE_TERMS.format(
            number=credited.number, date=f"{credited.issue_date:%d/%m/%Y}"
        )
    days = (invoice.due_date - invoice.issue_date).days
    return legal.PAYMENT_TERMS.format(days=days, due_date=f"{invoice.due_date:%d/%m/%Y}")


def _seller(organisation) -> dict:
    address, scheme = organisation.einvoice_endpoint
    legal_info = [organisation.legal_form]
    if organisation.share_capital:
        legal_info.append(f"au capital de {organisation.share_capital}")
    if organisation.rcs:
        legal_info.append(f"— {organisation.rcs}")
    legal_info.append(f"— {organisation.nda_mention}")
    party = {
        "name": organisation.legal_name,
        "identifiers": {SCHEME_SIRET: organisation.siret},
        "legal_identifier": organisation.siren,
        "legal_identifier_schemeid": SCHEME_SIREN,
        "legal_info": " ".join(legal_info),
        "country_code": "FR",
        "city": organisation.city,
        "postcode": organisation.postal_code,
        "addr_l1": organisation.address,
        "einvoicing_addr": address,
        "einvoicing_addr_schemeid": scheme,
    }
    if organisation.vat_number:
        party["vat_identifier"] = organisation.vat_number
    return party


def _buyer(invoice) -> dict:
    party = {"name": invoice.buyer_name, "country_code": "FR", "addr_l1": invoice.buyer_address}
    if invoice.buyer_siren:
        party.update(legal_identifier=invoice.buyer_siren,
                     legal_identifier_schemeid=SCHEME_SIREN,
                     einvoicing_addr=invoice.buyer_einvoice_address or invoice.buyer_siren,
                     einvoicing_addr_schemeid=SCHEME_EINVOICE_DIRECTORY)  # fmt: skip
    if invoice.buyer_siret:
        party["identifiers"] = {SCHEME_SIRET: invoice.buyer_siret}
    return party


def cii_data(invoice, organisation) -> dict:
    lines = invoice_lines(invoice)
    breakdown = vat_breakdown(lines)
    net_total = sum((line.net_amount for line in lines), Decimal("0"))
    vat_total = sum((Decimal(group["BT-117"]) for group in breakdown), Decimal("0"))
    if len(breakdown) == 1 and abs(invoice.vat_amount - vat_total) <= CENT:
        # A session split between two payers carries the quote's VAT to the cent: the last
        # invoice's tax may differ by one cent from its own rounding (BR-CO-17 allows ±1).
        vat_total = invoice.vat_amount
        breakdown[0]["BT-117"] = _money(vat_total)
    if (net_total, vat_total) != (invoice.total_excl_tax, invoice.vat_amount):
        raise ValueError(
            f"Les lignes de {invoice} ({net_total} HT, {vat_total} TVA) ne font pas ses totaux "
            f"({invoice.total_excl_tax} HT, {invoice.vat_amount} TVA)."
        )
    total = net_total + vat_total
    credit_note = invoice.kind == "credit_note"
    data = {
        "BT-1": invoice.number,
        "BT-2": invoice.issue_date,
        "BT-3": "381" if credit_note else "380",
        "BT-5": "EUR",
        # The billing framework (cadre de facturation): an invoice for services.
        "BT-23": legal.OPERATION_FRAMEWORK,
        "BT-24": "urn:cen.eu:en16931:2017",
        "BG-1": notes(invoice),
        # Date and period of the service (the training's first and last days).
        "BT-72": invoice.service_end,
        "BT-73": invoice.service_start,
        "BT-74": invoice.service_end,
        "BT-20": payment_terms(invoice),
        "BT-83": invoice.number,
        "BT-106": _money(net_total),
        "BT-109": _money(net_total),
        "BT-110": _money(vat_total),
        "BT-112": _money(total),
        "BT-115": _money(total),
        "BG-4": _seller(organisation),
        "BG-7": _buyer(invoice),
        "BG-23": breakdown,
        "BG-25": [
            {
                "BT-126": line.number,
                "BT-153": line.name,
                "BT-154": line.description,
                "BT-129": f"{line.quantity:.2f}",
                "BT-130": line.unit,
                "BT-146": f"{line.net_price:.4f}",
                "BT-131": _money(line.net_amount),
                "BT-151": line.vat_category,
                "BT-152": f"{line.vat_rate:.2f}",
            }
            for line in lines
        ],
    }
    if not credit_note:
        data.update({"BT-9": invoice.due_date, "BT-81": "30", "BT-84": organisation.iban})
    if invoice.funder_file_number:
        data["BT-12"] = invoice.funder_file_number
    if invoice.credited_invoice_id:
        data["BG-3"] = [
            {"BT-25": invoice.credited_invoice.number, "BT-26": invoice.credited_invoice.issue_date}
        ]
    return data


def facturx_xml(invoice, organisation) -> bytes:
    """The XML, not yet checked: every caller validates it with `billing.einvoice.validate`
    (XSD, EN 16931 and BR-FR), whose XSD is compiled once per process. The library's own XSD
    check (`check_xsd=True`) compiled the XSD again on every call (≈ 2.5 ms) for the same
    verdict."""
    from facturx import generate_cii_xml

    return generate_cii_xml(cii_data(invoice, organisation), level="en16931", check_xsd=False,
                            check_schematron=False)  # fmt: skip
