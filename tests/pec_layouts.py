"""OPCO agreements (PEC) as the tests need them, in the layouts OPCOs use: a "label : value" list,
a table, and a letter in prose. Rendered to PDF by WeasyPrint, so the text is real PDF text."""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import date
from decimal import Decimal


@dataclass
class Pec:
    opco: str = "OPCO ATLAS"
    file_number: str = "ATL-2027-004512"
    amount: Decimal = Decimal("2800.00")
    hours: str = "14 heures"
    date_from: date = date(2027, 2, 15)
    date_to: date = date(2027, 2, 16)
    company: str = "Acme Formation SAS"
    siret: str = "732 829 320 00074"
    trainees: list[str] = field(default_factory=lambda: ["Alice Martin", "Bruno Petit"])
    subrogation: bool = True


def _euros(amount: Decimal) -> str:
    whole, cents = f"{amount:,.2f}".split(".")
    return f"{whole.replace(',', ' ')},{cents} €"


def _d(value: date) -> str:
    return value.strftime("%d/%m/%Y")


def html_list(p: Pec) -> str:
    sub = ("Subrogation de paiement : oui (règlement direct à l'organisme de formation)"
           if p.subrogation else "Subrogation de paiement : non")  # fmt: skip
    trainees = "".join(f"<li>{name}</li>" for name in p.trainees)
    return f"""<h1>{p.opco}</h1><h2>Accord de prise en charge</h2>
<p>N° de dossier : {p.file_number}</p>
<p>Raison sociale : {p.company}</p><p>SIRET : {p.siret}</p>
<p>Action : Manager une équipe</p>
<p>Période : du {_d(p.date_from)} au {_d(p.date_to)}</p>
<p>Durée accordée : {p.hours}</p>
<p>Montant accordé : {_euros(p.amount)} HT</p>
<p>Stagiaires :</p><ul>{trainees}</ul><p>{sub}</p>"""


def html_table(p: Pec) -> str:
    rows = [
        ("Numéro de dossier", p.file_number), ("Entreprise", p.company), ("SIRET", p.siret),
        ("Date de début", _d(p.date_from)), ("Date de fin", _d(p.date_to)),
        ("Nombre d'heures", p.hours), ("Montant pris en charge", _euros(p.amount)),
        ("Bénéficiaires", ", ".join(p.trainees)),
        ("Subrogation", "Oui" if p.subrogation else "Non"),
    ]  # fmt: skip
    body = "".join(f"<tr><th>{k}</th><td>{v}</td></tr>" for k, v in rows)
    return f"""<h1>{p.opco} — Notification de prise en charge</h1>
<table border="1">{body}</table>"""


def html_letter(p: Pec) -> str:
    names = " et ".join(p.trainees)
    payment = ("Le règlement sera versé directement à l'organisme de formation (subrogation)."
               if p.subrogation else
               "Les frais seront remboursés à l'entreprise sur présentation de la facture "
               "acquittée, sans subrogation.")  # fmt: skip
    return f"""<p>{p.opco}<br>Paris, le 20/01/2027</p>
<p>Employeur : {p.company}<br>SIRET n° {p.siret}</p>
<p>Objet : dossier n° {p.file_number}</p>
<p>Madame, Monsieur, nous avons le plaisir de vous informer que votre demande pour la formation
de {names}, qui se déroulera du {_d(p.date_from)} au {_d(p.date_to)} pour une durée totale de
{p.hours}, a reçu un avis favorable. Le montant de la prise en charge s'élève à
{_euros(p.amount)} HT.</p><p>{payment}</p>"""


LAYOUTS = {"liste": html_list, "tableau": html_table, "lettre": html_letter}


def pec_pdf(pec: Pec, layout: str = "liste") -> bytes:
    from weasyprint import HTML

    html = f"<html lang='fr'><meta charset='utf-8'><body>{LAYOUTS[layout](pec)}</body></html>"
    return HTML(string=html).write_pdf()
