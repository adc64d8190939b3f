"""The IDCC → OPCO table written by the team from public facts."""

import csv
import unicodedata
from pathlib import Path

AGREEMENTS_FILE = Path(__file__).resolve().parent / "data_files" / "conventions.csv"
# The Ministry of Labour's IDCC → OPCO table of 19 July 2019 (330 agreements, Licence Ouverte):
# the base under today's rows (conventions.csv) and the France Compétences import, which win.
MINISTRY_2019_FILE = Path(__file__).resolve().parent / "data_files" / "idcc_opco_2019.csv"

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


def load_agreements(agreement_model, funder_model) -> int:
    """The IDCC → OPCO table written by the team from public facts (idempotent)."""
    opcos = {f.code: f for f in funder_model.objects.filter(kind="opco")}
    count = 0
    with AGREEMENTS_FILE.open(encoding="utf-8") as handle:
        for row in csv.DictReader(handle, delimiter=";"):
            agreement_model.objects.update_or_create(
                idcc=row["idcc"].strip().lstrip("0") or "0",
                defaults={"title": row["titre"].strip(), "opco": opcos[row["opco"].strip()],
                          "source": "repo"},
            )  # fmt: skip
            count += 1
    return count


def merge_ministry_2019(agreement_model, funder_model) -> int:
    """Add the 2019 table's agreements that the table does not know yet (idempotent).

    Rows already present (today's table, a France Compétences import) keep their OPCO: the 2019
    table is older. They only gain the official title when they had none.
    """
    opcos = {f.code: f for f in funder_model.objects.filter(kind="opco")}
    known = {a.idcc: a for a in agreement_model.objects.all()}
    added = 0
    with MINISTRY_2019_FILE.open(encoding="utf-8") as handle:
        for row in csv.DictReader(handle, delimiter=";"):
            idcc = row["idcc"].strip().lstrip("0") or "0"
            title = " ".join(row["intitule"].split())
            current = known.get(idcc)
            if current is not None:
                if not current.title:
                    current.title = title[:250]
                    current.save(update_fields=["title"])
                continue
            code = opco_code(row["opco"])
            if code not in opcos:
                raise ValueError(f"IDCC {idcc} : OPCO inconnu {row['opco']!r}")
            agreement_model.objects.create(
                idcc=idcc, title=title[:250], opco=opcos[code], source="ministere_2019"
            )
            added += 1
    return added
