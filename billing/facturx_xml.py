"""The factur-x.xml (EN 16931 profile) of an issued invoice or credit note.

Built with the `factur-x` library's CII generator from the invoice's own snapshot, so the
XML and the PDF show the same amounts; the library checks the XML against the XSD.
"""

from __future__ import annotations

from decimal import Decimal

from ganapati import legal

EXEMPT = "E"
STANDARD = "S"


def _money(value: Decimal) -> str:
    return f"{value.quantize(Decimal('0.01'))}"


def cii_data(invoice, organisation) -> dict:
    exempt = invoice.vat_rate is None
    category = EXEMPT if exempt else STANDARD
    rate = Decimal("0") if exempt else invoice.vat_rate
    vat_breakdown = {
        "BT-116": _money(invoice.total_excl_tax),
        "BT-117": _money(invoice.vat_amount),
        "BT-118": category,
        "BT-119": f"{rate:.2f}",
    }
    if exempt:
        vat_breakdown["BT-120"] = legal.VAT_EXEMPTION_MENTION
    data = {
        "BT-1": invoice.number,
        "BT-2": invoice.issue_date,
        "BT-3": "381" if invoice.kind == "credit_note" else "380",
        "BT-5": "EUR",
        "BT-24": "urn:cen.eu:en16931:2017",
        "BT-9": invoice.due_date,
        # Date and period of the service (the training's first and last days).
        "BT-72": invoice.service_end,
        "BT-73": invoice.service_start,
        "BT-74": invoice.service_end,
        "BT-20": "Paiement à 30 jours par virement. " + legal.LATE_PAYMENT,
        "BT-81": "30",
        "BT-83": invoice.number,
        "BT-84": organisation.iban,
        "BT-106": _money(invoice.total_excl_tax),
        "BT-109": _money(invoice.total_excl_tax),
        "BT-110": _money(invoice.vat_amount),
        "BT-112": _money(invoice.total_incl_tax),
        "BT-115": _money(invoice.total_incl_tax),
        "BG-4": {
            "name": organisation.legal_name,
            "legal_identifier": organisation.siren,
            "legal_identifier_schemeid": "0002",
            "country_code": "FR",
            "city": organisation.city,
            "postcode": organisation.postal_code,
            "addr_l1": organisation.address,
            **({"vat_identifier": organisation.vat_number} if organisation.vat_number else {}),
        },
        "BG-7": {
            "name": invoice.buyer_name,
            "country_code": "FR",
            "addr_l1": invoice.buyer_address,
            **(
                {"legal_identifier": invoice.buyer_siret[:9], "legal_identifier_schemeid": "0002"}
                if invoice.buyer_siret
                else {}
            ),
        },
        "BG-23": [vat_breakdown],
        "BG-25": [
            {
                "BT-126": "1",
                "BT-153": invoice.description[:200],
                "BT-129": f"{invoice.quantity_hours:.2f}",
                "BT-130": "HUR",
                "BT-146": f"{(invoice.total_excl_tax / invoice.quantity_hours):.4f}"
                if invoice.quantity_hours
                else _money(invoice.total_excl_tax),
                "BT-131": _money(invoice.total_excl_tax),
                "BT-151": category,
                "BT-152": f"{rate:.2f}",
            }
        ],
    }
    if invoice.funder_file_number:
        data["BT-12"] = invoice.funder_file_number
    if invoice.credited_invoice_id:
        data["BG-3"] = [
            {"BT-25": invoice.credited_invoice.number, "BT-26": invoice.credited_invoice.issue_date}
        ]
    return data


def facturx_xml(invoice, organisation) -> bytes:
    from facturx import generate_cii_xml

    return generate_cii_xml(cii_data(invoice, organisation), level="en16931", check_xsd=True,
                            check_schematron=False)  # fmt: skip
