"""Reads of funding data."""

from __future__ import annotations

from django.db.models import QuerySet

from ganapati.search import search_fields

from .models import CollectiveAgreement


def normalize_idcc(value: str) -> str | None:
    digits = "".join(ch for ch in value if ch.isdigit())
    if not digits or len(digits) > 4 or len(digits) != len(value.strip()):
        return None
    return digits.lstrip("0") or "0"


def agreements_search(query: str) -> QuerySet[CollectiveAgreement]:
    """By IDCC number (with or without leading zeros) or by words of the agreement's title."""
    query = query.strip()
    agreements = CollectiveAgreement.objects.select_related("opco")
    if not query:
        return agreements.none()
    idcc = normalize_idcc(query)
    if idcc is not None:
        return agreements.filter(idcc=idcc)
    # Words of the title, accents and case ignored: "metallurgie" finds "Métallurgie".
    return search_fields(agreements, ["title"], query)[:20]


def pec_review(funding) -> dict:
    """What the staff review page shows beside the PDF: each fact the auto-check read next to the
    session's value, the OPCO of the company's collective agreement, and the values to prefill."""
    from ganapati.selectors import organisation_get_or_none
    from sessions.pricing import session_amounts

    from .pec_check import PecFacts, compare, extract, pdf_text

    upload = funding.uploads.first()
    if upload is None:
        return {}
    session = funding.session
    if upload.facts is not None:
        facts, has_text = PecFacts.from_json(upload.facts), upload.facts.get("has_text", True)
    else:  # the task has not run yet: read it now (not stored: the task owns the write)
        try:
            with upload.file.open("rb") as handle:
                text = pdf_text(handle.read())
        except Exception:  # noqa: BLE001 - unreadable: staff read it themselves
            text = ""
        names = [f"{t.first_name} {t.last_name}" for t in session.trainees.all()]
        facts, has_text = extract(text, trainee_names=names), bool(text.strip())
    company = session.company
    agreement = None
    if company is not None and company.idcc:
        idcc = normalize_idcc(company.idcc)
        agreement = (
            CollectiveAgreement.objects.select_related("opco").filter(idcc=idcc).first()
            if idcc
            else None
        )
    total = session_amounts(session, organisation_get_or_none()).total_excl_tax
    checks = compare(
        facts, session=session, request=funding, expected_total=total,
        idcc_opco=agreement.opco if agreement else None,
    )  # fmt: skip
    prefill = {
        "file_number": facts.file_number or funding.file_number,
        "amount_granted": facts.amount if facts.amount is not None else funding.amount_granted,
        "minutes_granted": facts.minutes if facts.minutes is not None else funding.minutes_granted,
        "subrogation": facts.subrogation if facts.subrogation is not None else funding.subrogation,
        "valid_from": facts.date_from or funding.valid_from,
        "valid_until": facts.date_to or funding.valid_until,
    }
    return {
        "upload": upload, "facts": facts, "has_text": has_text, "checks": checks,
        "mismatches": sum(1 for c in checks if c.status == "mismatch"),
        "agreement": agreement, "prefill": prefill,
    }  # fmt: skip
