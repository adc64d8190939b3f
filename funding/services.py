"""Writes of the funding app."""

from __future__ import annotations

import csv
import unicodedata
from collections import Counter, defaultdict
from collections.abc import Iterable

from django.db import transaction

from ganapati.services import log_action

from .models import CollectiveAgreement, Funder
from .selectors import normalize_idcc

# How France Compétences spells each OPCO, once accents, case, "OPCO" and punctuation are gone.
OPCO_SPELLINGS = {
    "AFDAS": "afdas",
    "ATLAS": "atlas",
    "UNIFORMATION": "uniformation",
    "COHESIONSOCIALE": "uniformation",
    "AKTO": "akto",
    "OCAPIAT": "ocapiat",
    "2I": "opco2i",
    "CONSTRUCTYS": "constructys",
    "MOBILITES": "mobilites",
    "EP": "opcoep",
    "ENTREPRISESDEPROXIMITE": "opcoep",
    "SANTE": "sante",
    "OPCOMMERCE": "opcommerce",
    "LOPCOMMERCE": "opcommerce",
}


def opco_code(name: str) -> str | None:
    text = unicodedata.normalize("NFKD", name).encode("ascii", "ignore").decode().upper()
    text = "".join(ch for ch in text if ch.isalnum())
    if text.startswith("OPCO") and text != "OPCOMMERCE":
        text = text[4:]
    return OPCO_SPELLINGS.get(text)


def agreements_import_france_competences(lines: Iterable[str], *, actor=None) -> dict[str, int]:
    """Import the official SIRET|IDCC|OPCO_PROPRIETAIRE|OPCO_GESTION file, streamed line by line.

    The file lists companies (about 100 MB); we keep, per IDCC, the OPCO named most often as
    owner (OPCO_PROPRIETAIRE, or OPCO_GESTION when empty). Memory grows with the number of
    agreements (a few thousand), not with the number of lines.
    """
    votes: dict[str, Counter] = defaultdict(Counter)
    stats = {"lines": 0, "skipped": 0}
    reader = csv.reader(lines, delimiter="|")
    header = next(reader, None)
    if header is None or [h.strip().upper() for h in header[:4]] != [
        "SIRET", "IDCC", "OPCO_PROPRIETAIRE", "OPCO_GESTION",
    ]:  # fmt: skip
        raise ValueError(
            "Ce fichier n'a pas l'en-tête attendu : SIRET|IDCC|OPCO_PROPRIETAIRE|OPCO_GESTION."
        )
    for row in reader:
        stats["lines"] += 1
        if len(row) < 4:
            stats["skipped"] += 1
            continue
        idcc = normalize_idcc(row[1].strip())
        code = opco_code(row[2] or row[3]) or opco_code(row[3])
        if idcc is None or idcc == "0" or code is None:
            stats["skipped"] += 1
            continue
        votes[idcc][code] += 1

    funders = {f.code: f for f in Funder.objects.filter(kind=Funder.Kind.OPCO)}
    created = updated = 0
    with transaction.atomic():
        for idcc, counter in votes.items():
            code, _ = counter.most_common(1)[0]
            _, was_created = CollectiveAgreement.objects.update_or_create(
                idcc=idcc,
                defaults={
                    "opco": funders[code],
                    "source": CollectiveAgreement.Source.FRANCE_COMPETENCES,
                },
            )
            created += was_created
            updated += not was_created
        stats.update(created=created, updated=updated, agreements=len(votes))
        if actor is not None:
            log_action(actor, "agreements.imported", actor=actor, data=stats)
    return stats
