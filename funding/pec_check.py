"""PEC auto-check: read what an OPCO agreement states and set it beside the session's values.

OPCOs write their agreements in different layouts ("Libellé : valeur" lists, tables whose cells
come out one per line, letters in prose), so each fact is looked for with a few label spellings,
on the text pypdf extracts, folded (no accents, lower case) for the labels but with the values
read from the original text. A fact not found stays None: staff see "non trouvé", never a guess.
Staff decide; this only points at what differs.
"""

from __future__ import annotations

import io
import re
from dataclasses import asdict, dataclass, field
from datetime import date
from decimal import Decimal, InvalidOperation

from ganapati.formats import euros
from ganapati.search import normalize

MAX_PAGES = 10  # agreements are one to three pages; annexes after that are not read
MAX_CHARS = 100_000

_AMOUNT = r"(\d{1,3}(?:[  \u202f.]\d{3})*(?:[,.]\d{1,2})?|\d+(?:[,.]\d{1,2})?)\s*(?:€|eur|euros)"
_DATE = r"(\d{1,2})[/.-](\d{1,2})[/.-](\d{4})"


@dataclass
class PecFacts:
    file_number: str | None = None
    amount: Decimal | None = None
    minutes: int | None = None
    date_from: date | None = None
    date_to: date | None = None
    company_name: str | None = None
    siret: str | None = None
    trainees: list[str] = field(default_factory=list)
    subrogation: bool | None = None
    opco_name: str | None = None

    def to_json(self) -> dict:
        data = asdict(self)
        data["amount"] = str(self.amount) if self.amount is not None else None
        for key in ("date_from", "date_to"):
            data[key] = data[key].isoformat() if data[key] else None
        return data

    @classmethod
    def from_json(cls, data: dict) -> PecFacts:
        data = dict(data)
        if data.get("amount") is not None:
            data["amount"] = Decimal(data["amount"])
        for key in ("date_from", "date_to"):
            if data.get(key):
                data[key] = date.fromisoformat(data[key])
        return cls(**{k: v for k, v in data.items() if k in cls.__dataclass_fields__})


def pdf_text(data: bytes) -> str:
    """The text of the first pages, as pypdf lays it out ("" if it has none: a scan)."""
    from pypdf import PdfReader

    reader = PdfReader(io.BytesIO(data))
    parts = []
    for page in reader.pages[:MAX_PAGES]:
        parts.append(page.extract_text() or "")
        if sum(map(len, parts)) > MAX_CHARS:
            break
    return "\n".join(parts)[:MAX_CHARS]


def _after(labels: list[str], text: str, value: str, *, span: int = 80) -> re.Match | None:
    """The first `value` pattern that follows one of `labels` within `span` characters (across a
    line break too: table cells come out one per line)."""
    for label in labels:
        pattern = rf"{label}\s*(?:[:\-–]|\bn[°o]\b|\(.*?\))?[^\S\n]*\n?.{{0,{span}}}?{value}"
        match = re.search(pattern, text, flags=re.IGNORECASE | re.DOTALL)
        if match:
            return match
    return None


def _decimal(raw: str) -> Decimal | None:
    raw = re.sub(r"[  \u202f]", "", raw)
    if re.search(r"\.\d{3}(?:,|$)", raw):  # 1.785,00: dot as thousands separator
        raw = raw.replace(".", "")
    try:
        return Decimal(raw.replace(",", ".")).quantize(Decimal("0.01"))
    except InvalidOperation:
        return None


def _date(match: re.Match, start: int) -> date | None:
    day, month, year = (int(match.group(start + i)) for i in range(3))
    try:
        return date(year, month, day)
    except ValueError:
        return None


def extract(text: str, *, trainee_names: list[str] | None = None) -> PecFacts:
    """What the agreement says. `trainee_names`: the session's trainees, looked for in the text
    (an agreement lists people in too many ways to read names without knowing whom to expect)."""
    facts = PecFacts()
    flat = " ".join(text.split())
    folded = normalize(text)  # same length rules as flat: whitespace collapsed, accents removed

    match = _after(
        [r"n(?:°|o|umero)\s*de\s*dossier", r"dossier\s*n(?:°|o)",
         r"numero\s*de\s*prise\s*en\s*charge", r"reference\s*(?:du\s*)?dossier",
         r"n(?:°|o)\s*d'accord", r"n(?:°|o)\s*de\s*pec"],
        folded, r"((?=[a-z/_\-]*\d)[a-z0-9][a-z0-9/_\-]{3,40})", span=20,
    )  # fmt: skip
    if match:
        start = match.start(1)
        facts.file_number = flat[start : start + len(match.group(1))].upper()

    match = _after(
        [r"montant\s*(?:total\s*)?(?:accorde|pris\s*en\s*charge|de\s*la\s*prise\s*en\s*charge|"
         r"de\s*l'engagement|engage|finance)", r"prise\s*en\s*charge\s*accordee",
         r"engagement\s*financier", r"cout\s*pedagogique\s*pris\s*en\s*charge"],  # fmt: skip
        folded, _AMOUNT, span=60,
    )  # fmt: skip
    if match:
        facts.amount = _decimal(match.group(1))

    match = _after(
        [r"duree\s*(?:accordee|prise\s*en\s*charge|de\s*la\s*formation|totale)?",
         r"nombre\s*d'heures(?:\s*accordees|\s*prises\s*en\s*charge)?", r"volume\s*horaire"],
        folded, r"(\d{1,4})(?:[,.](\d{1,2}))?\s*(?:heures?|h)(?:\s*(\d{2})\b)?", span=40,
    )  # fmt: skip
    if match:
        hours = int(match.group(1))
        if match.group(2):  # 10,5 h
            decimals = match.group(2)
            extra = round(int(decimals) * 60 / (10 ** len(decimals)))
        else:
            extra = int(match.group(3) or 0)
        facts.minutes = hours * 60 + extra

    match = re.search(rf"\bdu\s*{_DATE}\s*au\s*{_DATE}", folded) or re.search(
        rf"periode[^0-9]{{0,30}}{_DATE}\s*(?:au|-|a)\s*{_DATE}", folded
    )
    if match:
        facts.date_from, facts.date_to = _date(match, 1), _date(match, 4)
    else:
        start = _after([r"date\s*de\s*debut", r"debut\s*de\s*(?:la\s*)?formation"], folded, _DATE)
        end = _after([r"date\s*de\s*fin", r"fin\s*de\s*(?:la\s*)?formation"], folded, _DATE)
        facts.date_from = _date(start, 1) if start else None
        facts.date_to = _date(end, 1) if end else None

    match = re.search(r"siret\s*(?:[:\-–]|n(?:°|o))?\s*((?:\d[\s\u202f]?){14})", folded)
    if match:
        facts.siret = re.sub(r"\D", "", match.group(1))

    facts.company_name = _company_name(text)

    if re.search(r"sans\s*subrogation|pas\s*de\s*subrogation|subrogation\s*(?:de\s*paiement\s*)?"
                 r"[:\-–]?\s*non\b|rembours\w*\s*(?:a|à)\s*l'entreprise|verse\w*\s*a\s*"
                 r"l'entreprise", folded):  # fmt: skip
        facts.subrogation = False
    elif re.search(
        r"subrogation|paiement\s*direct\s*(?:a|de)\s*l'organisme|regle\w*\s*directement"
        r"\s*(?:a\s*)?l'organisme|verse\w*\s*directement\s*a\s*l'organisme",
        folded,
    ):
        facts.subrogation = True

    for name in trainee_names or []:
        words = normalize(name).split()
        if words and all(re.search(rf"\b{re.escape(w)}\b", folded) for w in words):
            facts.trainees.append(name)

    from .data import opco_code

    for word in re.findall(r"\b(opco\s*[\w']+|afdas|akto|ocapiat|constructys|uniformation|"
                           r"l'opcommerce|opcommerce|atlas)\b", folded):  # fmt: skip
        if opco_code(word):
            facts.opco_name = opco_code(word)
            break
    return facts


_COMPANY_LABEL = re.compile(
    r"^\s*(?:raison\s+sociale|entreprise(?:\s+adh[ée]rente)?|employeur|adh[ée]rent|"
    r"b[ée]n[ée]ficiaire\s+de\s+l'accord)\b(?:\s*[:\-–]\s*|\s+)?(.*)$",
    re.IGNORECASE,
)


def _company_name(text: str) -> str | None:
    """The value after "Raison sociale :" (or on the next line, in a table)."""
    lines = [" ".join(line.split()) for line in text.splitlines()]
    for i, line in enumerate(lines):
        match = _COMPANY_LABEL.match(line)
        if not match:
            continue
        value = (match.group(1) or "").strip()
        if not value:
            value = next((nxt for nxt in lines[i + 1 : i + 3] if nxt), "")
        value = re.split(r"\s+(?:SIRET|N°|n°)\b", value)[0].strip(" .;,")
        if value:
            return value[:120]
    return None


# --- Comparison with the session -------------------------------------------------------------


def _compact(value: str) -> str:
    return re.sub(r"[\s\-/_.]", "", normalize(value))


@dataclass
class Check:
    label: str
    found: str
    expected: str
    status: str  # "ok", "mismatch", "missing"

    @property
    def ok(self) -> bool:
        return self.status == "ok"


def _fmt_minutes(value: int | None) -> str:
    if value is None:
        return "non trouvé"
    hours, rest = divmod(value, 60)
    return f"{hours} h {rest:02d}" if rest else f"{hours} h"


def _fmt_date(value: date | None) -> str:
    return value.strftime("%d/%m/%Y") if value else "non trouvée"


def compare(
    facts: PecFacts, *, session, request, expected_total: Decimal, idcc_opco=None
) -> list[Check]:
    """Each fact beside what the session (and the client's declaration) says."""
    checks: list[Check] = []

    def add(label, found, expected, same):
        status = "missing" if found is None else ("ok" if same else "mismatch")
        checks.append(Check(label, found if found is not None else "non trouvé", expected, status))

    if request is not None and request.file_number:
        same = facts.file_number is not None and _compact(facts.file_number) == _compact(
            request.file_number
        )
        add("N° de dossier", facts.file_number, request.file_number, same)
    else:
        add("N° de dossier", facts.file_number, "—", True)
    add("Montant accordé HT", euros(facts.amount) if facts.amount is not None else None,
        f"{euros(expected_total)} (prix de la session)"
        + (f", {euros(request.amount_granted)} déclarés" if request is not None else ""),
        facts.amount is not None and (
            facts.amount == expected_total
            or (request is not None and facts.amount == request.amount_granted)
        ))  # fmt: skip
    add(
        "Durée",
        _fmt_minutes(facts.minutes) if facts.minutes is not None else None,
        _fmt_minutes(session.duration_minutes),
        facts.minutes == session.duration_minutes,
    )
    days = [d.date for d in session.days.all()]
    first, last = (min(days), max(days)) if days else (None, None)
    found_dates = (f"du {_fmt_date(facts.date_from)} au {_fmt_date(facts.date_to)}"
                   if facts.date_from or facts.date_to else None)  # fmt: skip
    add("Dates", found_dates, f"du {_fmt_date(first)} au {_fmt_date(last)}",
        bool(first) and facts.date_from is not None and facts.date_to is not None
        and facts.date_from <= first and facts.date_to >= last)  # fmt: skip
    company = session.company
    add("Entreprise", facts.company_name, company.legal_name if company else "—",
        company is not None and facts.company_name is not None
        and normalize(company.legal_name) in normalize(facts.company_name))  # fmt: skip
    add("SIRET", facts.siret, company.siret if company else "—",
        company is not None and facts.siret == company.siret)  # fmt: skip
    names = [f"{t.first_name} {t.last_name}" for t in session.trainees.all()]
    missing = [n for n in names if n not in facts.trainees]
    checks.append(Check(
        "Stagiaires", ", ".join(facts.trainees) or "aucun nom trouvé", ", ".join(names) or "—",
        "ok" if not missing else ("missing" if not facts.trainees else "mismatch"),
    ))  # fmt: skip
    wanted = session.funding_mode == "opco_subrogation"
    found_sub = None if facts.subrogation is None else ("oui" if facts.subrogation else "non")
    expected_sub = "oui (session « avec subrogation »)" if wanted else "non"
    add("Subrogation de paiement", found_sub, expected_sub, facts.subrogation == wanted)
    if idcc_opco is not None:
        chosen = session.funder
        checks.append(Check(
            "OPCO de la convention collective",
            f"IDCC {company.idcc} → {idcc_opco.name}" if company else "—",
            chosen.name if chosen else "—",
            "ok" if chosen is not None and chosen.pk == idcc_opco.pk else "mismatch",
        ))  # fmt: skip
    return checks
