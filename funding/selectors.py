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
