"""The documents of a training session — quote, agreement, programme, attendance sheet,
certificate of completion, end-of-training attestation — registered with the documents service.

Every value comes from the session here (one source of truth); the legal wording from
`ganapati/legal.py`. Higher apps add what they own to a kind's context (funding adds the
funders' split to the agreement) through `documents.registry.extend`.
"""

from __future__ import annotations

import base64
import functools
from datetime import timedelta

from django.core.files.storage import default_storage
from django.utils import timezone

from documents.registry import DocumentType, register
from ganapati import legal
from ganapati.errors import DomainError
from ganapati.selectors import organisation_get

from .models import Trainee, TrainingSession
from .pricing import session_amounts

QUOTE_VALIDITY_DAYS = 30

KINDS = [
    ("devis", "Devis", False),
    ("convention", "Convention de formation", False),
    ("programme", "Programme de formation", False),
    ("emargement", "Feuille d'émargement", False),
    ("certificat", "Certificat de réalisation", True),
    ("attestation", "Attestation de fin de formation", True),
]
LABELS = {kind: label for kind, label, _ in KINDS}
PER_TRAINEE = {kind for kind, _, per_trainee in KINDS if per_trainee}
# What session_document_context reads of the session besides its own columns: the worker loads
# the session with them in one query, and its days and trainees whole in one query each.
SESSION_RELATED = ("trainer", "company", "contact", "funder")
SESSION_PREFETCH = ("days", "trainees")

# Emailed to the client, together, once the trainer validates.
VALIDATION_PACK = ["devis", "convention", "programme"]


def _trainee_of(session: TrainingSession, trainee_id: int) -> Trainee | None:
    """A certificate's or attestation's trainee, among the session's trainees read with it."""
    return next((t for t in session.trainees.all() if t.pk == trainee_id), None)


def _logo_data_uri(organisation) -> str | None:
    if not organisation.logo:
        return None
    try:
        return _logo_data_uri_of(organisation.logo.name, organisation.updated_at)
    except OSError:  # not kept: read again next time
        return None


@functools.lru_cache(maxsize=2)
def _logo_data_uri_of(name: str, updated_at) -> str:
    """The logo as a data: URI, read from storage once per process (an S3 GET for every
    document otherwise) for this file and this version of the organisation's row: a new logo
    is a save of the row (a new `updated_at`) under a new file name (storage never overwrites)."""
    with default_storage.open(name, "rb") as handle:
        data = handle.read()
    mime = "image/png" if name.lower().endswith(".png") else "image/jpeg"
    return f"data:{mime};base64,{base64.b64encode(data).decode()}"


def _assessment(trainee) -> str:
    if trainee is None or trainee.competences_acquired is None:
        return ""
    verdict = "Compétences acquises" if trainee.competences_acquired else "Compétences non acquises"
    return f"{verdict}. {trainee.assessment_result}".strip()


def session_document_context(
    session: TrainingSession,
    kind: str,
    *,
    version: int | None = None,
    trainee: Trainee | None = None,
    issued_at=None,
    attended_minutes=None,
) -> dict:
    from .selectors import realised_minutes
    from .services import total_minutes

    organisation = organisation_get()
    days = list(session.days.all())
    trainees = list(session.trainees.all())
    issued = timezone.localtime(issued_at or timezone.now()).date()
    minutes = total_minutes(days)
    if attended_minutes is None and trainee is not None and trainee.attendance.exists():
        # Certificates and attestations carry the minutes actually attended.
        attended_minutes = realised_minutes(session).get(trainee.pk, 0)
    signed_sheet = None
    if kind == "certificat":
        from documents.models import Document

        signed_sheet = (
            Document.objects.for_owner(session)
            .filter(kind=SIGNED_SHEET)
            .exclude(status=Document.Status.FAILED)
            .order_by("-version")
            .first()
        )
        if signed_sheet is not None and signed_sheet.status == Document.Status.PENDING:
            if version is None:  # a preview: only a sheet already rendered
                signed_sheet = None
            else:
                # Its own task was queued first; a worker that takes this certificate before
                # renders it now (idempotent: the second one to finish keeps the first file).
                from documents.services import document_render

                document_render(document_id=signed_sheet.pk)
                signed_sheet.refresh_from_db()
                if signed_sheet.status != Document.Status.READY:
                    raise DomainError(
                        "La feuille d'émargement signée n'est pas encore générée : le "
                        "certificat sera produit après elle."
                    )
    reference = f"{kind.upper()}-{session.reference}" + (f"-v{version}" if version else "-APERÇU")
    return {
        "kind": kind,
        "kind_label": LABELS[kind],
        "reference": reference,
        "version": version,
        "issued_on": issued,
        "valid_until": issued + timedelta(days=QUOTE_VALIDITY_DAYS),
        "organisation": organisation,
        "logo": _logo_data_uri(organisation),
        "session": session,
        "trainer": session.trainer,
        "company": session.company,
        "contact": session.contact,
        "funder": session.funder,
        "days": days,
        "first_day": days[0].date if days else None,
        "last_day": days[-1].date if days else None,
        "total_minutes": minutes,
        "trainees": trainees,
        "trainee": trainee,
        "attended_minutes": minutes if attended_minutes is None else attended_minutes,
        "signed_sheet": signed_sheet,
        "assessment_result": _assessment(trainee),
        # Issue 15: the result per objective, as the trainer assessed it (no default).
        "objective_results": list(trainee.objective_results.all()) if trainee else [],
        "funding": None,  # the funding app adds the validated split to the agreement
        "amounts": session_amounts(session, organisation),
        "legal": legal,
        "subrogation": session.funding_mode == "opco_subrogation",
        "subrogation_clause": legal.SUBROGATION_CLAUSE.format(
            funder=session.funder.name if session.funder else "OPCO"
        ),
    }


def _title(kind: str):
    def title(session: TrainingSession, trainee: Trainee | None) -> str:
        who = f"-{trainee.last_name} {trainee.first_name}" if trainee is not None else ""
        return f"{LABELS[kind]} {session.reference}{who}"

    return title


def _context(kind: str):
    def context(session: TrainingSession, *, subject=None, version=None, issued_at=None):
        return session_document_context(
            session, kind, version=version, trainee=subject, issued_at=issued_at
        )

    return context


def register_kinds() -> None:
    for order, (kind, label, per_trainee) in enumerate(KINDS):
        register(DocumentType(
            kind=kind, label=label, template=f"documents/{kind}.html", context=_context(kind),
            title=_title(kind), per_subject=per_trainee, order=order,
            owner_select_related=SESSION_RELATED, owner_prefetch_related=SESSION_PREFETCH,
            subject_of=_trainee_of if per_trainee else None,
        ))  # fmt: skip


# --- The signed attendance sheet (issue 13) ----------------------------------------------------

SIGNED_SHEET = "emargement_signe"


def _png_uri(data) -> str | None:
    if not data:
        return None
    return "data:image/png;base64," + base64.b64encode(bytes(data)).decode()


def signed_sheet_context(session: TrainingSession, *, subject=None, version=None, issued_at=None):
    """Per half-day, per trainee: the drawn signature, times, module, the trainer's
    countersignature; then the evidence appendix (channel, server timestamp, hash)."""
    from .models import AttendanceEvidence, HalfDayClosure, SigningSlot
    from .signing import HALF_LABELS, half_days, hhmm

    context = session_document_context(session, "emargement", version=version, issued_at=issued_at)
    context["kind"] = SIGNED_SHEET
    context["kind_label"] = "Feuille d'émargement signée"
    context["reference"] = context["reference"].replace("EMARGEMENT-", "EMARGEMENT-SIGNE-", 1)
    slots = SigningSlot.objects.filter(session=session).select_related("trainee")
    by_half: dict = {}
    for slot in slots:
        by_half.setdefault((slot.day_id, slot.half), []).append(slot)
    closures = {(c.day_id, c.half): c for c in HalfDayClosure.objects.filter(session=session)}
    halves = []
    for day, half in half_days(session):
        closure = closures.get((day.pk, half))
        rows = by_half.get((day.pk, half), [])
        halves.append({
            "day": day, "label": HALF_LABELS[half],
            "start": hhmm(rows[0].start_minute) if rows else "",
            "end": hhmm(rows[0].end_minute) if rows else "",
            "module": rows[0].module if rows else "",
            "closure": closure,
            "countersignature": _png_uri(closure.countersignature) if closure else None,
            "rows": [{
                "slot": s, "signature": _png_uri(s.signature),
                "arrived": hhmm(s.arrived_minute), "left": hhmm(s.left_minute),
            } for s in rows],
        })  # fmt: skip
    context["halves"] = halves
    context["evidence"] = [
        e for e in AttendanceEvidence.objects.filter(session=session).order_by("seq")
        if e.action in {"slot.signed", "slot.marked", "slot.scanned", "slot.reopened",
                        "halfday.closed", "code.sent"}
    ]  # fmt: skip
    return context


def register_signed_sheet() -> None:
    register(DocumentType(
        kind=SIGNED_SHEET, label="Feuille d'émargement signée",
        template="documents/emargement_signe.html", context=signed_sheet_context,
        title=lambda session, _subject: f"Feuille d'émargement signée {session.reference}",
        order=len(KINDS), owner_select_related=SESSION_RELATED,
        owner_prefetch_related=SESSION_PREFETCH,
    ))  # fmt: skip


# --- The organisation's documents attached to e-mails (issue 15) -------------------------------

# Their registry kinds are OrganisationDocument's kinds: each published version gets its PDF.
ORGANISATION_KINDS = {"reglement": "Règlement intérieur", "cgv": "Conditions générales de vente"}
ORGANISATION_SOURCE = "orgdoc.published"


def organisation_document_context(document, *, subject=None, version=None, issued_at=None):
    organisation = organisation_get()
    return {
        "kind": document.kind,
        "kind_label": ORGANISATION_KINDS[document.kind],
        "reference": f"{document.kind.upper()}-V{document.version}",
        "version": document.version,
        "issued_on": document.valid_from,
        "organisation": organisation,
        "logo": _logo_data_uri(organisation),
        "document": document,
    }


def register_organisation_kinds() -> None:
    for order, (kind, label) in enumerate(ORGANISATION_KINDS.items(), start=len(KINDS) + 1):
        register(DocumentType(
            kind=kind, label=label, template="documents/organisation_document.html",
            context=organisation_document_context, order=order,
            title=lambda document, _subject: f"{document.get_kind_display()} version "
            f"{document.version}",
        ))  # fmt: skip


def organisation_pdf_request(kind: str):
    """The PDF (a Document) of the current version of an organisation document, asked for
    (rendered by a worker after commit) if it was not yet; None when staff published none."""
    from django.db import IntegrityError, transaction

    from documents.models import Document
    from documents.services import document_request
    from ganapati.orgdocs import organisation_document_current

    current = organisation_document_current(kind)
    if current is None:
        return None
    document = Document.objects.for_owner(current).filter(kind=kind).order_by("-version").first()
    if document is None:
        try:
            with transaction.atomic():  # two callers at once: the second takes the first's
                document = document_request(owner=current, kind=kind, source=ORGANISATION_SOURCE)
        except IntegrityError:
            document = Document.objects.for_owner(current).get(
                kind=kind, source=ORGANISATION_SOURCE
            )
    return document


def organisation_pdf(kind: str, *, render: bool = False) -> dict | None:
    """The current version of the règlement intérieur or the CGV as an e-mail attachment, or
    None (none published, or its PDF is not ready). With `render` — only outside a transaction
    (a task, the beat, a page before its service) — it is asked for and rendered now if needed
    (idempotent: a worker rendering it at the same time is harmless)."""
    from documents.models import Document
    from documents.services import document_render
    from ganapati.orgdocs import organisation_document_current

    if render:
        document = organisation_pdf_request(kind)
        if document is not None and document.status == Document.Status.PENDING:
            document_render(document_id=document.pk)
            document.refresh_from_db()
    else:
        current = organisation_document_current(kind)
        document = current and (
            Document.objects.for_owner(current).filter(kind=kind).order_by("-version").first()
        )
    if document is None or document.status != Document.Status.READY:
        return None
    return {"name": document.file.name, "filename": document.filename,
            "mimetype": "application/pdf", "kind": f"document.{kind}"}  # fmt: skip
