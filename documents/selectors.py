"""Which documents a person may see: the current versions of their sessions; staff all."""

from __future__ import annotations

from django.db.models import Max
from django.http import Http404

from ganapati.models import Role, User
from sessions.selectors import sessions_visible_to

from .models import Document


def current_documents(session) -> list[Document]:
    """The latest version of each document (per kind and trainee), whatever its status."""
    documents = Document.objects.filter(session=session).select_related("trainee")
    latest = {}
    for document in documents:
        key = (document.kind, document.trainee_id)
        if key not in latest or document.version > latest[key].version:
            latest[key] = document
    return sorted(latest.values(), key=lambda d: (d.kind, d.trainee_id or 0))


def document_get_for_download(*, user: User, pk: int) -> Document:
    document = (
        Document.objects.select_related("session", "trainee")
        .filter(pk=pk, status=Document.Status.READY, session__in=sessions_visible_to(user))
        .first()
    )
    if document is None:
        raise Http404("Document introuvable.")
    if user.role != Role.STAFF:
        # Trainers and clients get the current version only; older ones are for auditors.
        newest = Document.objects.filter(
            session=document.session, kind=document.kind, trainee=document.trainee,
            status=Document.Status.READY,
        ).aggregate(Max("version"))["version__max"]  # fmt: skip
        if document.version != newest:
            raise Http404("Document introuvable.")
    return document
