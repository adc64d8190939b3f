"""The IDCC → OPCO table written by the team from public facts."""

import csv
from pathlib import Path

AGREEMENTS_FILE = Path(__file__).resolve().parent / "data_files" / "conventions.csv"


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
