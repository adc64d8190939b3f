"""Writes on documents: ask for a new version, render it (in a worker), regenerate."""

from __future__ import annotations

import hashlib
import logging

from django.core.files.base import ContentFile
from django.core.files.storage import default_storage
from django.db import transaction
from django.db.models import Max
from django.utils import timezone

from ganapati.errors import DomainError
from ganapati.services import log_action

from . import pdf
from .context import PER_TRAINEE, TEMPLATES, document_context
from .models import Document, DocumentKind

logger = logging.getLogger(__name__)

VALIDATION_PACK = [DocumentKind.QUOTE, DocumentKind.AGREEMENT, DocumentKind.PROGRAMME]
MAX_ATTEMPTS = 3


def document_request(
    *, session, kind: str, source: str, actor=None, trainee=None, render: bool = True
) -> Document:
    """A new version of one document, rendered by a worker after commit. Call inside a
    transaction that holds the session's row lock. The same (kind, trainee, source) gives the
    same version. `render=False` when the caller queues the rendering itself (a pack)."""
    if (kind in PER_TRAINEE) != (trainee is not None):
        raise DomainError("Ce document est individuel : indiquez le stagiaire (et seulement lui).")
    existing = Document.objects.filter(
        session=session, kind=kind, trainee=trainee, source=source
    ).first()
    if existing is not None:
        return existing
    last = Document.objects.filter(session=session, kind=kind, trainee=trainee).aggregate(
        Max("version")
    )["version__max"]
    document = Document.objects.create(
        session=session,
        kind=kind,
        trainee=trainee,
        version=(last or 0) + 1,
        source=source,
        created_by=actor if getattr(actor, "pk", None) else None,
    )
    log_action(
        session,
        "document.requested",
        actor=actor,
        data={"kind": kind, "version": document.version, "source": source},
    )
    if render:
        from .tasks import render as render_task

        transaction.on_commit(lambda: render_task.delay(document.pk), robust=True)
    return document


def documents_request_validation_pack(*, session, actor) -> list[Document]:
    """Quote, agreement and programme for a validated session; emailed once all are ready."""
    from .tasks import render_validation_pack

    documents = [
        document_request(
            session=session, kind=kind, source="session.validated", actor=actor, render=False
        )
        for kind in VALIDATION_PACK
    ]
    transaction.on_commit(lambda: render_validation_pack.delay(session.pk), robust=True)
    return documents


def _storage_name(document: Document) -> str:
    stamp = timezone.localtime().strftime("%Y/%m")
    return f"documents/{stamp}/{document.session_id}-{document.kind}-{document.pk}.pdf"


def document_render(*, document_id: int) -> str:
    """Render one pending document. Idempotent: a ready document is left as it is."""
    with transaction.atomic():
        # of=("self",): PostgreSQL cannot lock the nullable side of the outer join (trainee).
        document = (
            Document.objects.select_for_update(of=("self",))
            .select_related("session", "trainee")
            .get(pk=document_id)
        )
        if document.status == Document.Status.READY:
            return "skipped-ready"
        document.attempts += 1
        document.save(update_fields=["attempts"])
    try:
        session = document.session
        context = document_context(
            session, document.kind, version=document.version, trainee=document.trainee,
            issued_at=document.created_at,
        )  # fmt: skip
        _, _, data = pdf.render_pdf(TEMPLATES[document.kind], context, document.filename)
        name = default_storage.save(_storage_name(document), ContentFile(data))
    except Exception as exc:
        give_up = document.attempts >= MAX_ATTEMPTS
        Document.objects.filter(pk=document.pk).exclude(status=Document.Status.READY).update(
            status=Document.Status.FAILED if give_up else Document.Status.PENDING,
            last_error=f"{type(exc).__name__}: {exc}"[:2000],
        )
        logger.exception("document %s attempt %s failed", document.pk, document.attempts)
        if give_up:
            return "failed"
        raise
    with transaction.atomic():
        document = Document.objects.select_for_update().get(pk=document_id)
        if document.status == Document.Status.READY:
            # Another worker finished first: keep its file, drop ours.
            default_storage.delete(name)
            return "skipped-ready"
        document.file.name = name
        document.sha256 = hashlib.sha256(data).hexdigest()
        document.size = len(data)
        document.status = Document.Status.READY
        document.rendered_at = timezone.now()
        document.last_error = ""
        document.save()
    return "ready"


@transaction.atomic
def document_retry(*, document: Document, actor) -> Document:
    """Staff: try a failed rendering again."""
    document = Document.objects.select_for_update().get(pk=document.pk)
    if document.status != Document.Status.FAILED:
        raise DomainError("Seul un document en échec peut être relancé.")
    document.status = Document.Status.PENDING
    document.attempts = 0
    document.save(update_fields=["status", "attempts"])
    log_action(document.session, "document.retried", actor=actor, data={"document": document.pk})
    from .tasks import render_validation_pack

    transaction.on_commit(lambda: render_validation_pack.delay(document.session_id), robust=True)
    return document


def validation_pack_send_if_ready(*, session_id: int) -> str:
    """Once quote, agreement and programme are ready, email them (once) to the client."""
    from sessions import emails
    from sessions.models import TrainingSession

    with transaction.atomic():
        session = TrainingSession.objects.select_for_update().get(pk=session_id)
        documents = list(
            Document.objects.filter(
                session=session, source="session.validated", kind__in=VALIDATION_PACK
            )
        )
        if len(documents) != len(VALIDATION_PACK) or any(
            d.status != Document.Status.READY for d in documents
        ):
            return "not-ready"
        order = {kind: i for i, kind in enumerate(VALIDATION_PACK)}
        documents.sort(key=lambda d: order[d.kind])
        attachments = [
            {"name": d.file.name, "filename": d.filename, "mimetype": "application/pdf"}
            for d in documents
        ]
        emails.session_validated(session, attachments=attachments)
        log_action(
            session, "documents.sent", actor=None, data={"documents": [d.pk for d in documents]}
        )
    return "sent"
