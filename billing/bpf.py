"""The BPF (bilan pédagogique et financier, cerfa 10443), computed from the platform's data.

Pure reads: a handful of bulk queries for a whole financial year, whatever its size; no write
(the `BpfReport` row and its lock are `billing/services.py`'s). The form's wording lives in
`FORM_LINES` only, with the two versions of the form (10443*16 up to the 2022 financial year,
10443*17 from 2023) chosen by the year.

Rules (notice 50199#15):
- revenue (C) by invoice issue date; each training line of an issued invoice or credit note
  goes to exactly one form line by payer and scheme (`revenue_line`); credit notes are
  deducted; a dédit is not training revenue (listed, not counted); amounts rounded to the euro
  per line, totals are the sums of the rounded lines (so the form adds up);
- charges (D): the trainers' payouts, as training fees (account 6226);
- trainers (E): the platform's trainers are independent, under subcontracting: external; a
  half-day counts for its trainer when at least one trainee signed it;
- trainees (F): signed half-days only (the rule of `sessions.selectors.realised_minutes`),
  each counted in the financial year of its date, so a session across two years counts its
  hours in each; a trainee is counted in each year where they followed hours.
"""

from __future__ import annotations

import datetime as dt
import hashlib
import json
from collections import defaultdict
from dataclasses import dataclass, field
from decimal import ROUND_HALF_UP, Decimal

from ganapati.models import Funder, Organisation
from sessions.models import (
    Attendance,
    BpfObjective,
    Format,
    RncpLevel,
    SessionDay,
    Trainee,
    TraineeStatus,
    TrainingSession,
)

from .models import Invoice, InvoiceLine, Payout

FORM_16, FORM_17 = "10443*16", "10443*17"
FIRST_YEAR_OF_17 = 2023

EUR, COUNT, HOURS, YES_NO = "eur", "count", "hours", "yes_no"

# (code, label, kind): kind "eur" (C, D), "people" (headcount + hours), "trainers" (E).
FORM_LINES: list[tuple[str, str, str]] = [
    ("C-1", "Produits des entreprises pour la formation de leurs salariés", EUR),
    ("C-a", "OPCO et fonds : contrats d'apprentissage", EUR),
    ("C-b", "OPCO et fonds : contrats de professionnalisation", EUR),
    ("C-c", "OPCO et fonds : promotion ou reconversion par alternance", EUR),
    ("C-d", "OPCO et fonds : congés individuels de formation et projets de transition "
            "professionnelle", EUR),
    ("C-e", "OPCO et fonds : compte personnel de formation", EUR),
    ("C-f", "OPCO et fonds : dispositifs spécifiques pour les personnes en recherche d'emploi",
     EUR),
    ("C-g", "OPCO et fonds : dispositifs spécifiques pour les travailleurs non-salariés", EUR),
    ("C-h", "OPCO et fonds : plan de développement des compétences ou autres dispositifs", EUR),
    ("C-2", "Total des produits des organismes gestionnaires des fonds (a à h)", EUR),
    ("C-3", "Pouvoirs publics pour la formation de leurs agents", EUR),
    ("C-4", "Pouvoirs publics, publics spécifiques : instances européennes", EUR),
    ("C-5", "Pouvoirs publics, publics spécifiques : État", EUR),
    ("C-6", "Pouvoirs publics, publics spécifiques : conseils régionaux", EUR),
    ("C-7", "Pouvoirs publics, publics spécifiques : Pôle emploi", EUR),
    ("C-8", "Pouvoirs publics, publics spécifiques : autres ressources publiques", EUR),
    ("C-9", "Contrats conclus avec des personnes à titre individuel et à leurs frais", EUR),
    ("C-10", "Contrats conclus avec d'autres organismes de formation (y compris CFA)", EUR),
    ("C-11", "Autres produits au titre de la formation professionnelle", EUR),
    ("C-TOTAL", "Total des produits réalisés au titre de la formation professionnelle", EUR),
    ("D-TOTAL", "Total des charges de l'organisme liées à l'activité de formation", EUR),
    ("D-SAL", "dont salaires des formateurs", EUR),
    ("D-ACH", "dont achats de prestation de formation et honoraires de formation", EUR),
    ("E-INT", "Personnes de votre organisme dispensant des heures de formation", "trainers"),
    ("E-EXT", "Personnes extérieures à votre organisme (contrats de sous-traitance)",
     "trainers"),
    ("F1-a", "Salariés d'employeurs privés hors apprentis", "people"),
    ("F1-b", "Apprentis", "people"),
    ("F1-c", "Personnes en recherche d'emploi formées par votre organisme", "people"),
    ("F1-d", "Particuliers à leurs propres frais formés par votre organisme", "people"),
    ("F1-e", "Autres stagiaires", "people"),
    ("F1-TOTAL", "Total F-1 (a + b + c + d + e)", "people"),
    ("F1-DIST", "dont stagiaires ayant suivi une action en tout ou partie à distance", COUNT),
    ("F2", "Stagiaires dont l'action a été confiée par votre organisme à un autre organisme",
     "people"),
    ("F3-a", "Formations visant un diplôme, titre ou CQP enregistré au RNCP", "people"),
    ("F3-a68", "dont de niveau 6 à 8", "people"),
    ("F3-a5", "dont de niveau 5", "people"),
    ("F3-a4", "dont de niveau 4", "people"),
    ("F3-a3", "dont de niveau 3", "people"),
    ("F3-a2", "dont de niveau 2", "people"),
    ("F3-acqp", "dont CQP sans niveau de qualification", "people"),
    ("F3-b", "Formations visant une certification ou habilitation enregistrée au RS", "people"),
    ("F3-c", "Formations visant un CQP non enregistré au RNCP ou au RS", "people"),
    ("F3-d", "Autres formations professionnelles", "people"),
    ("F3-e", "Bilans de compétences", "people"),
    ("F3-f", "Actions d'accompagnement à la VAE", "people"),
    ("F3-TOTAL", "Total F-3 (a + b + c + d + e + f)", "people"),
    ("F4-1", "Spécialité 1", "people"),
    ("F4-2", "Spécialité 2", "people"),
    ("F4-3", "Spécialité 3", "people"),
    ("F4-4", "Spécialité 4", "people"),
    ("F4-5", "Spécialité 5", "people"),
    ("F4-AUTRES", "Autres spécialités", "people"),
    ("F4-TOTAL", "Total F-4", "people"),
    ("G", "Formations confiées à votre organisme par un autre organisme de formation", "people"),
]  # fmt: skip

# What 10443*17 (financial years from 2023) changes: three lines renamed, and the distance
# headcount becomes a yes/no question. Kept here, and only here, so it can follow the form.
FORM_17_LABELS = {
    "C-7": "Pouvoirs publics, publics spécifiques : France Travail (ex-Pôle emploi)",
    "C-d": "OPCO et fonds : projets de transition professionnelle",
    "F1-c": "Personnes en recherche d'emploi formées par votre organisme de formation",
}
FORM_17_DISTANCE = (
    "F1-DIST",
    "Avez-vous dispensé des actions en tout ou partie à distance (oui / non) ?",
    YES_NO,
)

STATUS_LINE = {
    TraineeStatus.EMPLOYEE: "F1-a",
    TraineeStatus.APPRENTICE: "F1-b",
    TraineeStatus.JOB_SEEKER: "F1-c",
    TraineeStatus.INDIVIDUAL: "F1-d",
    TraineeStatus.OTHER: "F1-e",
}
OBJECTIVE_LINE = {
    BpfObjective.RNCP: "F3-a",
    BpfObjective.RS: "F3-b",
    BpfObjective.CQP: "F3-c",
    BpfObjective.OTHER: "F3-d",
    BpfObjective.BILAN: "F3-e",
    BpfObjective.VAE: "F3-f",
}
LEVEL_LINE = {
    RncpLevel.LEVEL_6_8: "F3-a68",
    RncpLevel.LEVEL_5: "F3-a5",
    RncpLevel.LEVEL_4: "F3-a4",
    RncpLevel.LEVEL_3: "F3-a3",
    RncpLevel.LEVEL_2: "F3-a2",
    RncpLevel.CQP_NO_LEVEL: "F3-acqp",
}
FUNDS_LINES = ["C-a", "C-b", "C-c", "C-d", "C-e", "C-f", "C-g", "C-h"]
REVENUE_LINES = ["C-1", "C-2", *[f"C-{n}" for n in range(3, 12)]]


def form_version(year: int) -> str:
    return FORM_17 if year >= FIRST_YEAR_OF_17 else FORM_16


def form_lines(year: int) -> list[tuple[str, str, str]]:
    """The lines of the form in force for that financial year, in the form's order."""
    if form_version(year) == FORM_16:
        return list(FORM_LINES)
    lines = []
    for code, label, kind in FORM_LINES:
        if code == FORM_17_DISTANCE[0]:
            lines.append(FORM_17_DISTANCE)
        else:
            lines.append((code, FORM_17_LABELS.get(code, label), kind))
    return lines


def financial_year(organisation: Organisation | None, year: int) -> tuple[dt.date, dt.date]:
    """The financial year closing in `year` on the organisation's closing day (31/12 unless
    set): from the day after the previous closing to the closing, both included."""
    day = organisation.financial_year_end_day if organisation else 31
    month = organisation.financial_year_end_month if organisation else 12

    def closing(y: int) -> dt.date:
        # A closing on 31/04 or 29/02 means the last day of that month.
        last = (dt.date(y + month // 12, month % 12 + 1, 1) - dt.timedelta(days=1)).day
        return dt.date(y, month, min(day, last))

    return closing(year - 1) + dt.timedelta(days=1), closing(year)


def revenue_line(*, payer_kind: str, funder_kind: str | None, all_individuals: bool) -> str:
    """The one C line an invoice line goes to, by who pays and under which scheme.

    - a funder under subrogation: an OPCO → h (plan de développement des compétences: the
      scheme of every OPCO request the platform files); AGEFICE / FIFPL, the funds of the
      self-employed → g;
    - the company: its employees' training → 1; unless every trainee is a private person
      training at their own expense → 9."""
    if payer_kind == Invoice.PayerKind.FUNDER:
        if funder_kind in (Funder.Kind.AGEFICE, Funder.Kind.FIFPL):
            return "C-g"
        return "C-h"
    if all_individuals:
        return "C-9"
    return "C-1"


def round_euros(amount: Decimal) -> int:
    return int(amount.quantize(Decimal("1"), rounding=ROUND_HALF_UP))


def round_hours(minutes: int) -> int:
    """Hours to the nearest whole number (notice, frame E), halves up."""
    return (minutes + 30) // 60


# The frames whose lines add up to a total box, in the form's order.
HOUR_GROUPS = {
    "F1-TOTAL": ["F1-a", "F1-b", "F1-c", "F1-d", "F1-e"],
    "F3-TOTAL": ["F3-a", "F3-b", "F3-c", "F3-d", "F3-e", "F3-f"],
    "F4-TOTAL": ["F4-1", "F4-2", "F4-3", "F4-4", "F4-5", "F4-AUTRES"],
}


def apportion_hours(minutes: list[int]) -> list[int]:
    """Whole hours for lines whose total is rounded once, so that the printed lines add up to
    the printed total (largest remainder; ties go to the first line in the form's order).

    Rounding each line alone would not: 52 h 30 + 3 h 30 + 14 h is 70 h, but 53 + 4 + 14 is
    71; here it gives 53 + 3 + 14."""
    total = round_hours(sum(minutes))
    hours = [m // 60 for m in minutes]
    left = total - sum(hours)
    by_remainder = sorted(range(len(minutes)), key=lambda i: (-(minutes[i] % 60), i))
    for i in by_remainder[:left]:
        hours[i] += 1
    return hours


@dataclass
class Line:
    code: str
    label: str
    kind: str
    amount: Decimal = Decimal(0)  # exact, to the cent (C, D)
    headcount: int = 0
    minutes: int = 0
    flag: bool | None = None  # yes/no lines
    # drill-down: invoices (pk → signed amount) or sessions (pk → [trainees, minutes])
    invoices: dict[int, Decimal] = field(default_factory=dict)
    sessions: dict[int, list[int]] = field(default_factory=dict)
    trainees: set[int] = field(default_factory=set)
    by_session: dict[int, set[int]] = field(default_factory=lambda: defaultdict(set))
    note: str = ""

    def add_session(self, session_id: int, trainee_id: int, minutes: int) -> None:
        self.trainees.add(trainee_id)
        self.by_session[session_id].add(trainee_id)
        self.minutes += minutes
        row = self.sessions.setdefault(session_id, [0, 0])
        row[1] += minutes

    def finish(self) -> None:
        if self.trainees:
            self.headcount = len(self.trainees)
        for session_id, trainees in self.by_session.items():
            self.sessions[session_id][0] = len(trainees)


@dataclass
class Result:
    year: int
    version: str
    start: dt.date
    end: dt.date
    lines: dict[str, Line]
    checks: list[dict]
    excluded: list[dict]


def compute(year: int, *, organisation: Organisation | None = None) -> Result:
    """Every line of the BPF of the financial year closing in `year`."""
    if organisation is None:
        organisation = Organisation.objects.filter(pk=Organisation.SINGLETON_PK).first()
    start, end = financial_year(organisation, year)
    lines = {code: Line(code, label, kind) for code, label, kind in form_lines(year)}
    checks: list[dict] = []
    excluded: list[dict] = []

    _revenue(lines, start, end, excluded)
    _charges(lines, start, end)
    _people(lines, start, end, checks)
    _check_totals(lines, checks)
    return Result(year, form_version(year), start, end, lines, checks, excluded)


def _revenue(lines: dict[str, Line], start, end, excluded: list[dict]) -> None:
    rows = (
        InvoiceLine.objects.filter(invoice__issue_date__range=(start, end))
        .exclude(invoice__status=Invoice.Status.DRAFT)
        .exclude(invoice__number__isnull=True)
        .values_list(
            "invoice_id", "invoice__number", "invoice__kind", "invoice__payer_kind",
            "invoice__funder__kind", "invoice__session_id",
            "kind", "amount", "label",
        )
    )  # fmt: skip
    rows = list(rows)
    session_ids = {row[5] for row in rows}
    # Sessions whose every trainee is a private person at their own expense (line 9).
    statuses: dict[int, set[str]] = defaultdict(set)
    for session_id, status in Trainee.objects.filter(session_id__in=session_ids).values_list(
        "session_id", "status"
    ):
        statuses[session_id].add(status)
    for (invoice_id, number, kind, payer_kind, funder_kind, session_id, line_kind, amount,
         label) in rows:  # fmt: skip
        signed = -amount if kind == Invoice.Kind.CREDIT_NOTE else amount
        if line_kind != InvoiceLine.Kind.TRAINING:
            reason = f"« {label} » : dédit, pas un produit de formation"
            excluded.append(
                {"invoice": invoice_id, "number": number, "amount": str(signed), "reason": reason}
            )
            continue
        code = revenue_line(
            payer_kind=payer_kind, funder_kind=funder_kind,
            all_individuals=statuses.get(session_id) == {TraineeStatus.INDIVIDUAL},
        )  # fmt: skip
        target = lines[code]
        target.amount += signed
        target.invoices[invoice_id] = target.invoices.get(invoice_id, Decimal(0)) + signed
    funds = lines["C-2"]
    for code in FUNDS_LINES:
        funds.amount += lines[code].amount
        funds.invoices.update(lines[code].invoices)
    total = lines["C-TOTAL"]
    for code in REVENUE_LINES:
        if code != "C-2":
            total.invoices.update(lines[code].invoices)
    total.amount = sum((lines[c].amount for c in REVENUE_LINES if c != "C-2"), Decimal(0))
    # The form adds the boxes as printed: totals are sums of the rounded lines.
    for code in ("C-2", "C-TOTAL"):
        lines[code].note = "somme des lignes arrondies à l'euro"


def _charges(lines: dict[str, Line], start, end) -> None:
    fees = lines["D-ACH"]
    for pk, session_id, amount in Payout.objects.filter(
        created_at__date__range=(start, end)
    ).values_list("pk", "session_id", "amount"):
        fees.amount += amount
        fees.sessions.setdefault(session_id, [0, 0])
        fees.invoices[pk] = amount  # payouts, shown as such in the drill-down
    lines["D-TOTAL"].amount = fees.amount
    lines["D-TOTAL"].note = "versements aux formateurs ; les autres charges ne sont pas suivies ici"


def _people(lines: dict[str, Line], start, end, checks: list[dict]) -> None:
    """F-1 to F-4 and E from the signed half-days dated in the financial year (one query for
    the attendance, one for the sessions)."""
    rows = list(
        Attendance.objects.filter(present=True, day__date__range=(start, end)).values_list(
            "session_id", "trainee_id", "trainee__status", "day_id", "half",
            "day__morning_start", "day__morning_end", "day__afternoon_start",
            "day__afternoon_end",
        )
    )  # fmt: skip
    session_ids = {row[0] for row in rows}
    sessions = {
        s.pk: s
        for s in TrainingSession.objects.filter(pk__in=session_ids).select_related("programme")
    }
    # minutes per (session, trainee), and each half-day delivered once for its trainer
    per_trainee: dict[tuple[int, int], int] = defaultdict(int)
    status_of: dict[int, str] = {}
    delivered: dict[tuple[int, int, str], int] = {}
    for (session_id, trainee_id, status, day_id, half, m_start, m_end, a_start,
         a_end) in rows:  # fmt: skip
        minutes = (
            SessionDay._minutes(m_start, m_end) if half == Attendance.Half.MORNING
            else SessionDay._minutes(a_start, a_end)
        )  # fmt: skip
        per_trainee[session_id, trainee_id] += minutes
        status_of[trainee_id] = status
        delivered[session_id, day_id, half] = minutes

    # E: every trainer is independent, under a subcontracting contract (frame E, 2nd line).
    external = lines["E-EXT"]
    for (session_id, _day, _half), minutes in delivered.items():
        external.trainees.add(sessions[session_id].trainer_id)
        external.minutes += minutes
        external.sessions.setdefault(session_id, [0, 0])[1] += minutes
    external.note = "formateurs indépendants de la plateforme"

    nsf_minutes: dict[str, int] = defaultdict(int)
    nsf_of: dict[int, str | None] = {}
    for session_id, session in sessions.items():
        codes = session.nsf_codes or (session.programme.nsf_codes if session.programme else [])
        nsf_of[session_id] = codes[0] if codes else None
    for (session_id, _trainee_id), minutes in per_trainee.items():
        if nsf_of[session_id]:
            nsf_minutes[nsf_of[session_id]] += minutes
    # The five main specialities by hours-trainee (then by code), the rest on "Autres".
    ranked = sorted(nsf_minutes, key=lambda code: (-nsf_minutes[code], code))
    nsf_line = {code: f"F4-{i + 1}" for i, code in enumerate(ranked[:5])}
    for code in ranked[5:]:
        nsf_line[code] = "F4-AUTRES"
    for code, line_code in nsf_line.items():
        if line_code != "F4-AUTRES":
            lines[line_code].label = f"{code}"
    if ranked[5:]:
        lines["F4-AUTRES"].note = ", ".join(ranked[5:])

    distance = lines["F1-DIST"]
    no_level: set[int] = set()
    for (session_id, trainee_id), minutes in per_trainee.items():
        if minutes <= 0:
            continue
        session = sessions[session_id]
        targets = [STATUS_LINE.get(status_of[trainee_id], "F1-e"), "F1-TOTAL"]
        objective_line = OBJECTIVE_LINE.get(session.bpf_objective, "F3-d")
        targets += [objective_line, "F3-TOTAL"]
        if objective_line == "F3-a":
            if session.rncp_level in LEVEL_LINE:
                targets.append(LEVEL_LINE[session.rncp_level])
            else:
                no_level.add(session_id)
        if nsf_of[session_id]:
            targets += [nsf_line[nsf_of[session_id]], "F4-TOTAL"]
        for code in targets:
            lines[code].add_session(session_id, trainee_id, minutes)
        if session.format in (Format.REMOTE, Format.MIXED):
            distance.add_session(session_id, trainee_id, minutes)
    for line in lines.values():
        line.finish()
    distance.flag = bool(distance.trainees)

    missing_nsf = sorted(s for s in sessions if not nsf_of[s])
    if missing_nsf:
        checks.append(_check("Sessions sans spécialité (code NSF) : non comptées en F-4.",
                             missing_nsf, sessions))  # fmt: skip
    if no_level:
        checks.append(_check("Certifications RNCP sans niveau : les lignes « dont » de F-3 a "
                             "n'en font pas le total.", sorted(no_level), sessions))  # fmt: skip
    uninvoiced = set(sessions) - set(
        Invoice.objects.filter(session_id__in=sessions, kind=Invoice.Kind.INVOICE)
        .exclude(number__isnull=True)
        .values_list("session_id", flat=True)
    )
    if uninvoiced:
        checks.append(_check("Heures de formation sans aucune facture émise pour la session.",
                             sorted(uninvoiced), sessions, blocking=False))  # fmt: skip


def _check(message: str, session_ids: list[int], sessions, *, blocking: bool = True) -> dict:
    return {
        "ok": False,
        "blocking": blocking,
        "message": message,
        "sessions": [[pk, sessions[pk].reference, sessions[pk].title] for pk in session_ids],
    }


def _check_totals(lines: dict[str, Line], checks: list[dict]) -> None:
    """The totals of F-1, F-3 and F-4 must give the same trainees and hours (notice)."""
    f1, f3, f4 = lines["F1-TOTAL"], lines["F3-TOTAL"], lines["F4-TOTAL"]
    for other, name in ((f3, "F-3"), (f4, "F-4")):
        if (other.headcount, other.minutes) != (f1.headcount, f1.minutes):
            culprits = sorted(
                s for s in f1.sessions
                if other.sessions.get(s, [0, 0])[1] != f1.sessions[s][1]
            )  # fmt: skip
            checks.append({
                "ok": False, "blocking": True,
                "message": f"Le total {name} ({other.headcount} stagiaires, "
                           f"{_hours_text(other.minutes)}) diffère du total F-1 "
                           f"({f1.headcount} stagiaires, {_hours_text(f1.minutes)}).",
                "sessions": [[pk, None, None] for pk in culprits],
            })  # fmt: skip
    level_sum = sum(lines[c].minutes for c in LEVEL_LINE.values())
    if level_sum > lines["F3-a"].minutes:
        checks.append({"ok": False, "blocking": True, "sessions": [],
                       "message": "Les niveaux RNCP dépassent la ligne F-3 a."})  # fmt: skip
    if not checks:
        checks.append({"ok": True, "blocking": False, "sessions": [],
                       "message": "Les totaux F-1, F-3 et F-4 concordent."})  # fmt: skip


def _hours_text(minutes: int) -> str:
    return f"{minutes // 60} h {minutes % 60:02d}" if minutes % 60 else f"{minutes // 60} h"


def as_json(result: Result) -> dict:
    """The figures as stored, exported and hashed: every box of the form as printed, and the
    drill-down behind it."""
    boxes = []
    rounded: dict[str, int] = {}
    for code, line in result.lines.items():
        if line.kind == EUR:
            rounded[code] = round_euros(line.amount)
    # Totals are the sums of the printed boxes.
    rounded["C-2"] = sum(rounded[c] for c in FUNDS_LINES)
    rounded["C-TOTAL"] = sum(rounded[c] for c in REVENUE_LINES)
    rounded["D-TOTAL"] = rounded["D-SAL"] + rounded["D-ACH"]
    hours = {code: round_hours(line.minutes) for code, line in result.lines.items()}
    for total, codes in HOUR_GROUPS.items():
        for code, value in zip(codes, apportion_hours([result.lines[c].minutes for c in codes]),
                               strict=True):  # fmt: skip
            hours[code] = value
        hours[total] = sum(hours[c] for c in codes)
    for code, line in result.lines.items():
        box = {"code": code, "label": line.label, "kind": line.kind, "note": line.note}
        if line.kind == EUR:
            box["amount"] = rounded[code]
            box["exact"] = str(line.amount)
            box["invoices"] = {str(k): str(v) for k, v in sorted(line.invoices.items())}
            if code.startswith("D"):
                box["payouts"], box["invoices"] = box["invoices"], {}
        elif line.kind == YES_NO:
            box["answer"] = line.flag
        else:
            box["headcount"] = line.headcount
            if line.kind != COUNT:
                box["hours"] = hours[code]
                box["minutes"] = line.minutes
        if line.kind != EUR or code.startswith("D"):
            box["sessions"] = {str(k): v for k, v in sorted(line.sessions.items())}
        boxes.append(box)
    return {
        "year": result.year,
        "form": result.version,
        "period": [result.start.isoformat(), result.end.isoformat()],
        "lines": boxes,
        "checks": result.checks,
        "excluded": result.excluded,
    }


def figures_hash(figures: dict) -> str:
    """SHA-256 of the figures in a canonical form (sorted keys, no spaces)."""
    canonical = json.dumps(figures, sort_keys=True, separators=(",", ":"), ensure_ascii=False)
    return hashlib.sha256(canonical.encode()).hexdigest()


def differences(frozen: dict, current: dict) -> list[dict]:
    """The boxes whose printed value changed between the frozen figures and today's."""
    keys = ("amount", "headcount", "hours", "answer")
    old = {b["code"]: b for b in frozen.get("lines", [])}
    changes = []
    for box in current.get("lines", []):
        before = old.get(box["code"], {})
        for key in keys:
            if key in box and before.get(key) != box[key]:
                changes.append({"code": box["code"], "label": box["label"], "field": key,
                                "frozen": before.get(key), "now": box[key]})  # fmt: skip
    return changes


def csv_rows(figures: dict) -> list[list]:
    """One row per form line: code, label, amount (€), trainees, hours."""
    rows = [["ligne", "libellé", "montant (€)", "nombre", "heures"]]
    for box in figures["lines"]:
        amount = box.get("amount", "")
        count = box.get("headcount", "")
        if box["kind"] == YES_NO:
            count = "oui" if box.get("answer") else "non"
        rows.append([box["code"], box["label"], amount, count, box.get("hours", "")])
    return rows


def sessions_in(figures: dict) -> set[int]:
    return {int(pk) for box in figures["lines"] for pk in box.get("sessions", {})}


SECTION_TITLES = {
    "C": "C. Bilan financier hors taxes : origine des produits",
    "D": "D. Bilan financier hors taxes : charges",
    "E": "E. Personnes dispensant des heures de formation",
    "F1": "F-1. Type de stagiaires",
    "F2": "F-2. Activité sous-traitée",
    "F3": "F-3. Objectif général des prestations",
    "F4": "F-4. Spécialités de formation",
    "G": "G. Stagiaires confiés par un autre organisme de formation",
}


def sections(figures: dict) -> list[tuple[str, list[dict]]]:
    """The boxes grouped by frame of the form, in its order."""
    sections: dict[str, list[dict]] = {}
    for box in figures.get("lines", []):
        frame = box["code"].split("-")[0]
        sections.setdefault(frame, []).append(box)
    return [(SECTION_TITLES.get(frame, frame), boxes) for frame, boxes in sections.items()]
