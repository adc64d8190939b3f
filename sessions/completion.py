"""At completion (issue 15): each trainee receives their own attestation de fin de formation,
the client contact the certificates of completion.

Both are rendered by workers after `session_complete`; the `document_ready` event calls
`completion_papers_send` for each one, and the sessions sweeper calls it again for recently
completed sessions (a worker may die between rendering and sending). Every e-mail has a key per
document version: calling it any number of times sends each paper once.
"""

from __future__ import annotations

import logging
from datetime import timedelta

from django.db import transaction
from django.utils import timezone

from documents.models import Document
from ganapati.models import OutgoingEmail
from ganapati.services import log_action

from . import emails
from .models import Trainee, TrainingSession
from .selectors import client_recipients

logger = logging.getLogger(__name__)

PAPERS = ("attestation", "certificat")
# The sweeper looks this far back: older completions had their papers long ago.
SWEEP_WINDOW = timedelta(days=7)


def _attachment(document: Document, *, about: str | None = None) -> dict:
    attachment = {"name": document.file.name, "filename": document.filename,
                  "mimetype": "application/pdf", "kind": f"document.{document.kind}"}  # fmt: skip
    if about:
        # The trainee is no user: they may receive this file because it is about them
        # (ganapati/files.py, ADDRESSEE).
        attachment["about"] = [about]
    return attachment


def _latest(documents: list[Document]) -> dict[tuple[str, int], Document]:
    """The latest version of each (kind, trainee)."""
    latest: dict[tuple[str, int], Document] = {}
    for document in documents:
        key = (document.kind, document.subject_id)
        if key not in latest or document.version > latest[key].version:
            latest[key] = document
    return latest


def completion_papers_send(*, session_id: int) -> dict[str, int]:
    """Queue what is ready and not yet sent: each trainee's attestation (to them, if they have
    an address), and, once every certificate of the same change is ready, all of them in one
    e-mail to the client contact. Returns the e-mails queued."""
    queued = {"attestations": 0, "certificates": 0}
    with transaction.atomic():
        session = (
            TrainingSession.objects.select_for_update()
            .filter(pk=session_id, status=TrainingSession.Status.COMPLETED)
            .first()
        )
        if session is None:
            return queued
        trainees = {t.pk: t for t in session.trainees.all()}
        documents = list(Document.objects.for_owner(session).filter(kind__in=PAPERS))
        latest = _latest(documents)
        to_send = {
            (kind, trainee_id): emails.attestation_key(session.pk, trainee_id, document.version)
            for (kind, trainee_id), document in latest.items()
            if kind == "attestation" and document.status == Document.Status.READY
            and trainee_id in trainees and trainees[trainee_id].email
        }  # fmt: skip
        # Each ready document calls this: the e-mails already queued are read in one query,
        # not one per attestation (100 trainees: 200 calls of up to 100 queries each before).
        queued_keys = set(
            OutgoingEmail.objects.filter(key__in=list(to_send.values())).values_list(
                "key", flat=True
            )
        )
        for (kind, trainee_id), document in sorted(latest.items()):
            key = to_send.get((kind, trainee_id))
            if key is None or key in queued_keys:
                continue
            trainee = trainees[trainee_id]
            emails.attestation_to_trainee(
                session, trainee, document=document,
                attachment=_attachment(document, about=trainee.email),
            )  # fmt: skip
            log_action(session, "documents.attestation_sent", actor=None,
                       data={"trainee": trainee.pk, "document": document.pk})  # fmt: skip
            queued["attestations"] += 1
        # The certificates one change asked for (the completion), together once all are ready.
        by_source: dict[str, list[Document]] = {}
        for document in latest.values():
            if document.kind == "certificat":
                by_source.setdefault(document.source, []).append(document)
        clients = client_recipients(session)
        for source, certificates in sorted(by_source.items()):
            if not clients:  # no one at the company may open the session any more
                break
            if any(d.status != Document.Status.READY for d in certificates):
                continue
            key = emails.certificates_key(session.pk, source)
            if OutgoingEmail.objects.filter(key=key).exists():
                continue
            order = {pk: trainee.position for pk, trainee in trainees.items()}
            certificates.sort(key=lambda d: (order.get(d.subject_id, 0), d.subject_id))
            emails.certificates_to_client(
                session, key=key, attachments=[_attachment(d) for d in certificates]
            )
            log_action(session, "documents.certificates_sent", actor=None,
                       data={"documents": [d.pk for d in certificates]})  # fmt: skip
            queued["certificates"] += 1
    return queued


def completion_papers_sweep(*, now=None) -> int:
    """Periodic: what a lost event did not send. The sessions with a ready paper whose e-mail
    is missing are found in a few queries; only those are locked and sent."""
    from django.contrib.contenttypes.models import ContentType

    now = now or timezone.now()
    recent = dict(
        TrainingSession.objects.filter(
            status=TrainingSession.Status.COMPLETED, completed_at__gte=now - SWEEP_WINDOW
        ).values_list("pk", "contact_id")
    )
    documents = Document.objects.filter(
        owner_type=ContentType.objects.get_for_model(TrainingSession),
        owner_id__in=list(recent), kind__in=PAPERS,
    ).only("owner_id", "kind", "subject_id", "version", "source", "status")  # fmt: skip
    by_session: dict[int, list[Document]] = {}
    for document in documents:
        by_session.setdefault(document.owner_id, []).append(document)
    # Only what completion_papers_send would send: the latest version of each paper once it is
    # ready, to a trainee who has an address (otherwise the session is retried every sweep).
    with_address = set(
        Trainee.objects.filter(session_id__in=list(recent))
        .exclude(email="")
        .values_list("pk", flat=True)
    )
    expected: dict[str, int] = {}
    for session_id, papers in by_session.items():
        for (kind, subject_id), document in _latest(papers).items():
            if document.status != Document.Status.READY:
                continue
            if kind == "attestation":
                if subject_id in with_address:
                    key = emails.attestation_key(session_id, subject_id, document.version)
                    expected[key] = session_id
            elif recent[session_id]:  # a contact to send the certificates to
                expected[emails.certificates_key(session_id, document.source)] = session_id
    sent_keys = set(
        OutgoingEmail.objects.filter(key__in=list(expected)).values_list("key", flat=True)
    )
    sent = 0
    for session_id in sorted({s for key, s in expected.items() if key not in sent_keys}):
        try:
            counts = completion_papers_send(session_id=session_id)
        except Exception:  # one session's failure must not stop the others
            logger.exception("completion papers of session %s", session_id)
            continue
        sent += counts["attestations"] + counts["certificates"]
    return sent


def attestation_about(attachment: dict) -> set[str]:
    """Whom an attestation's file is about, read from its document (ganapati/files.py calls
    this for every e-mail attaching one): the address of the trainee it names, nobody else —
    whatever the code that attached it wrote in "about"."""
    from django.contrib.contenttypes.models import ContentType

    document = (
        Document.objects.filter(file=attachment.get("name") or "", kind="attestation")
        .only("subject_type_id", "subject_id")
        .first()
    )
    if document is None or document.subject_id is None:
        return set()
    if document.subject_type_id != ContentType.objects.get_for_model(Trainee).pk:
        return set()
    email = Trainee.objects.filter(pk=document.subject_id).values_list("email", flat=True).first()
    return {email} if email else set()
