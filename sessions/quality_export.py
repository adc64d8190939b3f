"""The auditor's Qualiopi export: for a period, a ZIP streamed as it is written (like the OPCO
audit export of billing/exports.py) with, per session, one CSV per kind of evidence, plus a
summary CSV and the complaints log. Nothing here needs invoices: it lives in sessions."""

from __future__ import annotations

import datetime as dt
import io
from collections.abc import Iterator

from django.http import HttpResponse, StreamingHttpResponse
from django.utils import timezone
from stream_zip import ZIP_64, stream_zip

from ganapati import csvsafe
from ganapati.filenames import safe_component
from ganapati.models import TrainerQualification

from .models import (
    Complaint,
    ObjectiveAssessment,
    QuestionnaireKind,
    QuestionnaireResponse,
    TrainingSession,
)
from .quality import objectives_of

COMPLAINT_HEADER = ["n°", "reçue le", "de la part de", "nom", "session", "statut", "réclamation",
                    "analyse", "analysée le", "réponse", "répondue le",
                    "action d'amélioration", "clôturée le"]  # fmt: skip


def _csv(rows: list[list]) -> bytes:
    out = io.StringIO()
    csvsafe.writer(out, delimiter=";").writerows(rows)
    return ("\ufeff" + out.getvalue()).encode("utf-8")  # BOM: Excel reads the accents


def _date(value) -> str:
    return timezone.localtime(value).strftime("%d/%m/%Y %H:%M") if value else ""


def complaint_rows(complaints) -> list[list]:
    return [COMPLAINT_HEADER] + [
        [c.pk, _date(c.received_at), c.get_origin_display(), c.name,
         c.session.reference if c.session_id else "", c.get_status_display(), c.text,
         c.analysis, _date(c.analysed_at), c.answer, _date(c.answered_at), c.improvement,
         _date(c.closed_at)]
        for c in complaints.select_related("session")
    ]  # fmt: skip


def complaints_csv_response(complaints) -> HttpResponse:
    response = HttpResponse(_csv(complaint_rows(complaints)), content_type="text/csv")
    response["Content-Disposition"] = 'attachment; filename="registre-reclamations.csv"'
    return response


def sessions_in(start: dt.date, end: dt.date):
    """Sessions with a day in the period (cancelled ones excluded)."""
    return (
        TrainingSession.objects.filter(days__date__gte=start, days__date__lte=end)
        .exclude(status=TrainingSession.Status.CANCELLED)
        .distinct()
        .order_by("pk")
    )


def _session_members(session: TrainingSession, summary: list) -> Iterator[tuple[str, bytes]]:
    base = f"{session.reference}/"
    trainees = list(session.trainees.all())
    responses = list(
        QuestionnaireResponse.objects.filter(session=session).select_related(
            "trainee", "questionnaire"
        )
    )
    by_kind = {k: [r for r in responses if r.kind == k] for k in QuestionnaireKind.values}
    for kind, label in QuestionnaireKind.choices:
        rows = [["répondant", "questionnaire (version)", "envoyé le", "relancé le", "répondu le",
                 "question", "réponse", "adaptation du formateur"]]  # fmt: skip
        for r in by_kind[kind]:
            for q in r.questionnaire.questions or [{"key": "", "label": ""}]:
                answer = r.answers.get(q["key"], "")
                rows.append([str(r.trainee or r.email), f"{label} v{r.questionnaire.version}",
                             _date(r.invited_at), _date(r.reminded_at), _date(r.submitted_at),
                             q["label"], answer, r.trainer_adaptation])  # fmt: skip
        yield base + f"{kind}.csv", _csv(rows)
    objectives = objectives_of(session)
    rows = [["stagiaire", "objectif", "résultat", "évalué le"]]
    for a in ObjectiveAssessment.objects.filter(trainee__session=session).select_related("trainee"):
        rows.append([str(a.trainee), a.objective, a.get_result_display(), _date(a.assessed_at)])
    yield base + "acquis.csv", _csv(rows)
    answered = {k: sum(1 for r in by_kind[k] if r.submitted_at) for k in by_kind}
    summary.append([
        session.reference, session.title, session.get_status_display(), len(trainees),
        len(objectives), sum(1 for r in by_kind["needs"]), answered["needs"],
        answered["hot"], answered["cold"], answered["client"], answered["trainer"], len(rows) - 1,
        session.complaints.count(),
    ])  # fmt: skip


SUMMARY_HEADER = ["session", "intitulé", "statut", "stagiaires", "objectifs",
                  "convoqués (analyse du besoin envoyée)", "analyses du besoin reçues",
                  "satisfaction à chaud reçues", "satisfaction à froid reçues",
                  "satisfaction du client reçue", "retour du formateur reçu",
                  "évaluations d'objectifs", "réclamations"]  # fmt: skip


QUALIFICATION_HEADER = ["type", "intitulé", "détails", "obtenu le", "expire le", "justificatif",
                        "SHA-256 du justificatif"]  # fmt: skip


def _read_chunks(name: str) -> Iterator[bytes]:
    from django.core.files.storage import default_storage

    with default_storage.open(name, "rb") as handle:
        while chunk := handle.read(1024 * 1024):
            yield chunk


def _trainer_members(trainer_id: int) -> Iterator[tuple[str, Iterator[bytes]]]:
    """Indicators 21–22: a trainer's qualifications (CSV) and their PDF proofs, once per export."""
    qualifications = list(
        TrainerQualification.objects.filter(trainer_id=trainer_id).select_related("trainer")
    )
    if not qualifications:
        return
    trainer = qualifications[0].trainer
    base = f"formateurs/{safe_component(trainer.get_full_name() or trainer.email)}-{trainer_id}/"
    rows = [QUALIFICATION_HEADER]
    for q in qualifications:
        proof = f"{q.pk}-{safe_component(q.original_name or 'justificatif.pdf')}" if q.file else ""
        rows.append([q.get_kind_display(), q.title, q.details,
                     q.obtained_on.strftime("%d/%m/%Y") if q.obtained_on else "",
                     q.expires_on.strftime("%d/%m/%Y") if q.expires_on else "",
                     proof, q.sha256])  # fmt: skip
        if q.file:
            yield base + proof, _read_chunks(q.file.name)
    yield base + "qualifications.csv", iter((_csv(rows),))


def quality_export(start: dt.date, end: dt.date) -> Iterator[bytes]:
    """The ZIP, member by member: memory stays flat however many sessions the period holds."""
    now = timezone.now()

    def members():
        summary = [SUMMARY_HEADER]
        trainers: set[int] = set()
        for session in sessions_in(start, end).iterator(chunk_size=50):
            trainers.add(session.trainer_id)
            for path, content in _session_members(session, summary):
                yield path, now, 0o600, ZIP_64, (content,)
        for trainer_id in sorted(trainers):
            for path, chunks in _trainer_members(trainer_id):
                yield path, now, 0o600, ZIP_64, chunks
        complaints = Complaint.objects.filter(
            received_at__date__gte=start, received_at__date__lte=end
        )
        yield "reclamations.csv", now, 0o600, ZIP_64, (_csv(complaint_rows(complaints)),)
        yield "synthese.csv", now, 0o600, ZIP_64, (_csv(summary),)

    return stream_zip(members())


def quality_export_response(start: dt.date, end: dt.date) -> StreamingHttpResponse:
    response = StreamingHttpResponse(quality_export(start, end), content_type="application/zip")
    name = f"qualiopi-{start:%Y%m%d}-{end:%Y%m%d}.zip"
    response["Content-Disposition"] = f'attachment; filename="{name}"'
    return response
