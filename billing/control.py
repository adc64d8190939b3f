"""The "contrôle avant facturation": before an invoice is issued, every paper of the session
must agree — realised minutes per trainee, certificates, the PEC and the invoice lines. An
OPCO refuses to pay for almost any of these differences, so a blocking one stops the issue.
"""

from __future__ import annotations

from dataclasses import dataclass
from decimal import Decimal

from ganapati.fields import format_minutes

from .models import Invoice


@dataclass(frozen=True)
class Check:
    text: str
    blocking: bool = True
    ok: bool = False


def pre_invoicing_check(session, organisation=None) -> list[Check]:
    """Every check, passed or not (`ok`), in French; `blocking` ones stop the issue.

    Each fact is read once: the funding split is computed once, from the realised minutes and
    the PEC read here, and the invoice plan follows from it (it was computed three times,
    ≈ 50 statements per issue). A session with its trainees and days prefetched (as
    `invoice_issue` gives it) reads them from there."""
    from documents.models import Document
    from documents.selectors import current_documents
    from funding.money import session_terms, validated_request
    from funding.money import split as split_of
    from sessions.models import Attendance
    from sessions.selectors import planned_minutes, realised_minutes

    from .services import invoice_plan

    checks: list[Check] = []
    trainees = list(session.trainees.all())
    halves = sum(bool(d.morning_start) + bool(d.afternoon_start) for d in session.days.all())
    # Every attendance row of the session (when each was recorded): their count, and below
    # the last change of each trainee's record.
    attendance = list(
        Attendance.objects.filter(session=session).values_list("trainee_id", "recorded_at")
    )
    recorded = len(attendance)
    expected = halves * len(trainees)
    checks.append(Check(
        f"émargement saisi pour {recorded} demi-journée(s)-stagiaire sur {expected}",
        ok=recorded >= expected,
    ))  # fmt: skip
    planned = planned_minutes(session)
    realised = realised_minutes(session)
    certificates = {d.subject_id: d for d in current_documents(session, subjects=False)
                    if d.kind == "certificat"}  # fmt: skip
    # When each trainee's attendance last changed: a certificate drawn up before that may state
    # other hours than the attendance record (and than the invoices, which read it).
    last_change: dict[int, object] = {}
    for trainee_id, recorded_at in attendance:
        if trainee_id not in last_change or recorded_at > last_change[trainee_id]:
            last_change[trainee_id] = recorded_at
    for trainee in trainees:
        minutes = realised.get(trainee.pk, 0)
        name = f"{trainee.first_name} {trainee.last_name}"
        certificate = certificates.get(trainee.pk)
        if minutes == 0:
            checks.append(Check(f"{name} : absent(e) à toutes les demi-journées, aucun "
                                "certificat (rien n'est facturé au financeur pour ses heures)",
                                blocking=False, ok=certificate is None))  # fmt: skip
            continue
        ready = certificate is not None and certificate.status == Document.Status.READY
        stale = ready and certificate.created_at < last_change.get(
            trainee.pk, certificate.created_at
        )
        if stale:
            state = "certificat de réalisation établi avant la dernière correction de l'émargement"
        else:
            state = (
                "certificat de réalisation prêt" if ready else "certificat de réalisation manquant"
            )
        checks.append(Check(
            f"{name} : {format_minutes(minutes)} réalisées sur {format_minutes(planned)}, {state}",
            ok=ready and not stale,
        ))  # fmt: skip
    request = validated_request(session)
    split = split_of(session_terms(session, organisation, measured=realised, request=request))
    if split.terms.subrogation and request is not None:
        checks.append(Check(f"n° de dossier du financeur : {request.file_number or 'manquant'}",
                            ok=bool(request.file_number)))  # fmt: skip
        days = [d.date for d in session.days.all()]
        inside = all(
            (request.valid_from is None or request.valid_from <= day)
            and (request.valid_until is None or day <= request.valid_until)
            for day in days
        )
        checks.append(Check("dates de la session comprises dans la validité de l'accord",
                            ok=inside))  # fmt: skip
        if request.minutes_granted:
            per_trainee = request.minutes_granted in (planned, planned * len(trainees))
            checks.append(Check(
                f"durée accordée ({format_minutes(request.minutes_granted)}) = durée prévue "
                f"({format_minutes(planned)} par stagiaire)",
                blocking=False, ok=per_trainee,
            ))  # fmt: skip
        checks.append(Check(
            f"part du financeur ({split.funder} € HT) au plus égale à l'accord "
            f"({request.amount_granted} € HT)",
            ok=split.funder <= request.amount_granted,
        ))  # fmt: skip
    checks.append(Check(
        f"part de l'entreprise hors dédit ({split.company_training} € HT) au plus égale à son "
        f"engagement ({split.commitment} € HT)",
        ok=split.company_training <= split.commitment,
    ))  # fmt: skip
    active = {
        i.payer_kind: i
        for i in Invoice.objects.filter(session=session, kind=Invoice.Kind.INVOICE)
        .exclude(status=Invoice.Status.CANCELLED)
        .prefetch_related("lines")
    }
    for part in invoice_plan(session, split=split):
        invoice = active.get(part["payer_kind"])
        label = Invoice.PayerKind(part["payer_kind"]).label.lower()
        if invoice is None:
            checks.append(Check(f"facture {label} ({part['total']} € HT) à préparer",
                                blocking=False, ok=False))  # fmt: skip
            continue
        lines_total = sum((line.amount for line in invoice.lines.all()), Decimal("0.00"))
        stated = (invoice.subrogation or {}).get("trainees")
        if stated is not None:
            # The hours the invoice states for each trainee, as drawn up, against the record.
            record = sorted(
                (f"{t.first_name} {t.last_name}", realised.get(t.pk, 0)) for t in trainees
            )
            on_invoice = sorted((row["name"], row["minutes"]) for row in stated)
            differences = [
                f"{name} {format_minutes(minutes)} (émargement : "
                f"{format_minutes(dict(record).get(name, 0))})"
                for name, minutes in on_invoice
                if (name, minutes) not in record
            ]
            checks.append(Check(
                f"facture {label} : heures des stagiaires identiques à l'émargement"
                + (f" — différence : {', '.join(differences)}" if differences else ""),
                ok=on_invoice == record,
            ))  # fmt: skip
        checks.append(Check(
            f"facture {label} : {invoice.total_excl_tax} € HT, calcul attendu {part['total']} € HT"
            f"{'' if lines_total == invoice.total_excl_tax else f' (lignes : {lines_total} €)'}",
            ok=invoice.total_excl_tax == part["total"] == lines_total,
        ))  # fmt: skip
    return checks
