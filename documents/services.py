"""Writes on documents: ask for a new version, render it (in a worker), retry, sweep."""

from __future__ import annotations

import hashlib
import logging
import zlib
from datetime import timedelta

from django.contrib.contenttypes.models import ContentType
from django.core.files.base import ContentFile
from django.core.files.storage import default_storage
from django.db import transaction
from django.db.models import F, Max, Q
from django.utils import timezone

from ganapati.errors import DomainError
from ganapati.retries import is_transient
from ganapati.services import log_action

from . import events, pdf, registry
from .models import Document
from .states import DOCUMENT_STATES

logger = logging.getLogger(__name__)

MAX_ATTEMPTS = 3
# A pending document not tried for this long lost its task (a worker died, a message was
# dropped): the sweeper queues it again. Above the task time limit, so never while in flight.
STUCK_AFTER = timedelta(minutes=10)


def _queue(document_id: int) -> None:
    from .tasks import render

    render.delay(document_id)  # after the commit (TransactionAwareTask)


def document_request(*, owner, kind: str, source: str, actor=None, subject=None) -> Document:
    """A new version of one document, rendered by a worker after commit. Call inside the
    transaction that holds the owner's row lock. The same (kind, subject, source) gives the
    same version."""
    document_type = registry.get(kind)
    if document_type.per_subject != (subject is not None):
        raise DomainError("Ce document est individuel : indiquez le stagiaire (et seulement lui).")
    # One reading for both questions: is there a version for this source, and the last one.
    found = (
        Document.objects.for_owner(owner)
        .for_subject(subject)
        .filter(kind=kind)
        .aggregate(last=Max("version"), existing=Max("pk", filter=Q(source=source)))
    )
    if found["existing"] is not None:
        return Document.objects.get(pk=found["existing"])
    last = found["last"]
    document = Document.objects.create(
        owner_type=ContentType.objects.get_for_model(owner),
        owner_id=owner.pk,
        subject_type=ContentType.objects.get_for_model(subject) if subject is not None else None,
        subject_id=subject.pk if subject is not None else None,
        kind=kind,
        title=document_type.title(owner, subject)[:250],
        version=(last or 0) + 1,
        source=source,
        created_by=actor if getattr(actor, "pk", None) else None,
    )
    log_action(owner, "document.requested", actor=actor,
               data={"kind": kind, "version": document.version, "source": source})  # fmt: skip
    _queue(document.pk)
    return document


def documents_request_for_subjects(*, owner, kind: str, subjects: list, source: str,
                                   actor=None) -> list[Document]:  # fmt: skip
    """document_request() for several subjects of one owner at once (the certificates of a
    session's trainees): the same versions, audit events and tasks, in a fixed number of
    queries whatever the number of subjects (two or three per subject before)."""
    from ganapati.models import AuditEvent

    document_type = registry.get(kind)
    if not document_type.per_subject:
        raise DomainError("Ce document n'est pas individuel.")
    if not subjects:
        return []
    owner_type = ContentType.objects.get_for_model(owner)
    subject_type = ContentType.objects.get_for_model(subjects[0])
    ids = [subject.pk for subject in subjects]
    rows = Document.objects.filter(
        owner_type=owner_type, owner_id=owner.pk, kind=kind, subject_type=subject_type,
        subject_id__in=ids,
    )  # fmt: skip
    existing = {d.subject_id: d for d in rows.filter(source=source)}
    last = dict(
        rows.exclude(subject_id__in=list(existing))
        .values("subject_id")
        .annotate(last=Max("version"))
        .values_list("subject_id", "last")
    )
    created = Document.objects.bulk_create(
        Document(
            owner_type=owner_type, owner_id=owner.pk, subject_type=subject_type,
            subject_id=subject.pk, kind=kind, title=document_type.title(owner, subject)[:250],
            version=last.get(subject.pk, 0) + 1, source=source,
            created_by=actor if getattr(actor, "pk", None) else None,
        )
        for subject in subjects
        if subject.pk not in existing
    )  # fmt: skip
    if created and created[0].pk is None:  # a database that does not return the new ids
        created = list(rows.filter(source=source).exclude(subject_id__in=list(existing)))
    actor_user = actor if getattr(actor, "pk", None) else None
    AuditEvent.objects.bulk_create(
        AuditEvent(
            actor=actor_user,
            actor_repr=actor_user.email if actor_user else "Ganapati (automatique)",
            action="document.requested",
            content_type=ContentType.objects.get_for_model(owner, for_concrete_model=False),
            object_id=str(owner.pk), object_repr=str(owner)[:250],
            data={"kind": kind, "version": d.version, "source": source},
        )
        for d in created
    )  # fmt: skip
    for document in created:
        _queue(document.pk)
    by_subject = {**existing, **{d.subject_id: d for d in created}}
    return [by_subject[pk] for pk in ids]


def _storage_name(document: Document) -> str:
    stamp = timezone.localtime().strftime("%Y/%m")
    return f"documents/{stamp}/{document.owner_id}-{document.kind}-{document.pk}.pdf"


def _owner(document: Document, document_type: registry.DocumentType):
    """The document's owner, read with the relations its kind's context uses (one query
    rather than one per relation)."""
    if not (document_type.owner_select_related or document_type.owner_prefetch_related):
        return document.owner
    model = ContentType.objects.get_for_id(document.owner_type_id).model_class()
    owner = (
        model._base_manager.select_related(*document_type.owner_select_related)
        .prefetch_related(*document_type.owner_prefetch_related)
        .get(pk=document.owner_id)
    )
    document.owner = owner  # cached on the generic relation, as `document.owner` would
    return owner


def _subject(document: Document, document_type: registry.DocumentType, owner):
    """The document's subject (a trainee), taken from what the owner was read with when its
    kind says how; else read by its id."""
    if document.subject_id is None:
        return None
    if document_type.subject_of is not None:
        subject = document_type.subject_of(owner, document.subject_id)
        if subject is not None:
            return subject
    return document.subject


def _event_payload(document: Document) -> dict:
    owner_type = ContentType.objects.get_for_id(document.owner_type_id)
    return {
        "document_id": document.pk,
        "owner_type": f"{owner_type.app_label}.{owner_type.model}",
        "owner_id": document.owner_id,
        "kind": document.kind,
        "source": document.source,
    }


def document_render(*, document_id: int) -> str:
    """Render one pending document. Idempotent: a ready or failed document is left as it is.

    A transient error (storage unreachable...) leaves it pending and is raised, for the task to
    retry; any other error, or the last attempt, marks it failed (staff see it and may retry).
    """
    # The attempt is counted (and its time kept, for the sweeper) before the rendering, in its
    # own committed statement: a worker killed while rendering still used one. A conditional
    # UPDATE is atomic on its own (the row is locked while it runs): no transaction around it.
    started = Document.objects.filter(pk=document_id, status=Document.Status.PENDING).update(
        attempts=F("attempts") + 1, queued_at=timezone.now()
    )
    document = Document.objects.get(pk=document_id)
    if not started:
        return f"skipped-{document.status}"
    try:
        document_type = registry.get(document.kind)
        owner = _owner(document, document_type)
        context = registry.build_context(
            document.kind, owner, subject=_subject(document, document_type, owner),
            version=document.version, issued_at=document.created_at,
        )  # fmt: skip
        context.setdefault("reference", f"{document.kind.upper()}-{document.owner_id}")
        _, _, data = pdf.render_pdf(
            document_type.template, context, document.filename, **document_type.pdf_options
        )
        name = default_storage.save(_storage_name(document), ContentFile(data))
    except Exception as exc:
        retry = is_transient(exc) and document.attempts < MAX_ATTEMPTS
        with transaction.atomic():
            document = Document.objects.select_for_update().get(pk=document_id)
            if document.status == Document.Status.PENDING:
                document.last_error = f"{type(exc).__name__}: {exc}"[:2000]
                if not retry:
                    DOCUMENT_STATES.advance(document, Document.Status.FAILED)
                    events.document_failed.emit(**_event_payload(document))
                document.save(update_fields=["status", "last_error"])
        logger.warning("document %s attempt %s failed: %r", document_id, document.attempts, exc)
        if retry:
            raise
        return "failed"
    DOCUMENT_STATES.advance(document, Document.Status.READY)  # pending (read above) -> ready
    document.file.name = name
    document.sha256 = hashlib.sha256(data).hexdigest()
    document.size = len(data)
    document.crc32 = zlib.crc32(data)
    document.rendered_at = timezone.now()
    document.last_error = ""
    # One conditional UPDATE rather than a locked reading then a save: the row changes only if
    # it is still pending (the same rule, checked by the database under the row's lock).
    marked = Document.objects.filter(pk=document_id, status=Document.Status.PENDING).update(
        status=document.status, file=name, sha256=document.sha256, size=document.size,
        crc32=document.crc32, rendered_at=document.rendered_at, last_error="",
    )  # fmt: skip
    if not marked:
        # Another worker finished first (or staff changed it): keep its file, drop ours.
        status = Document.objects.values_list("status", flat=True).get(pk=document_id)
        default_storage.delete(name)
        return f"skipped-{status}"
    events.document_ready.emit(**_event_payload(document))  # after the commit of the UPDATE
    return "ready"


@transaction.atomic
def document_retry(*, document: Document, actor) -> Document:
    """Staff: render a failed document again (any kind)."""
    document = Document.objects.select_for_update().get(pk=document.pk)
    DOCUMENT_STATES.advance(
        document, Document.Status.PENDING,
        message="Seul un document en échec peut être relancé (celui-ci est « {current} »).",
    )  # fmt: skip
    document.attempts = 0
    document.queued_at = timezone.now()
    document.save(update_fields=["status", "attempts", "queued_at"])
    log_action(document.owner, "document.retried", actor=actor, data={"document": document.pk})
    _queue(document.pk)
    return document


def documents_sweep(*, now=None) -> dict[str, int]:
    """Periodic: queue again the documents whose rendering task was lost; give up (failed, for
    staff to see) on those that were tried the maximum number of times without finishing."""
    now = now or timezone.now()
    stuck = Document.objects.filter(status=Document.Status.PENDING, queued_at__lt=now - STUCK_AFTER)
    requeued, failed = [], 0
    for document in stuck.order_by("pk")[:500]:
        with transaction.atomic():
            document = Document.objects.select_for_update().get(pk=document.pk)
            if (
                document.status != Document.Status.PENDING
                or document.queued_at >= now - STUCK_AFTER
            ):
                continue
            if document.attempts >= MAX_ATTEMPTS:
                DOCUMENT_STATES.advance(document, Document.Status.FAILED)
                document.last_error = (
                    "Génération interrompue à chaque tentative (processus arrêté) : relancez-la."
                )
                document.save(update_fields=["status", "last_error"])
                events.document_failed.emit(**_event_payload(document))
                failed += 1
                continue
            document.queued_at = now
            document.save(update_fields=["queued_at"])
            _queue(document.pk)
            requeued.append(document.pk)
    return {"requeued": len(requeued), "failed": failed}
