"""Reads of documents. Who may see a document is decided by the app that owns its kind (the
download views live there); this module only answers "which versions exist"."""

from __future__ import annotations

from django.db.models import Max

from .models import Document


def current_documents(owner, *, subjects: bool = True) -> list[Document]:
    """The latest version of each document of `owner` (per kind and person), whatever its
    status, in a stable order; `subjects=False` when only their ids are used (one query)."""
    latest: dict = {}
    documents = Document.objects.for_owner(owner)
    for document in documents.prefetch_related("subject") if subjects else documents:
        key = (document.kind, document.subject_type_id, document.subject_id)
        if key not in latest or document.version > latest[key].version:
            latest[key] = document
    return sorted(latest.values(), key=lambda d: (d.kind, d.subject_id or 0))


def is_current_version(document: Document) -> bool:
    """Whether no newer ready version of the same document exists."""
    newest = (
        Document.objects.filter(
            owner_type_id=document.owner_type_id, owner_id=document.owner_id, kind=document.kind,
            subject_type_id=document.subject_type_id, subject_id=document.subject_id,
            status=Document.Status.READY,
        ).aggregate(Max("version"))["version__max"]
    )  # fmt: skip
    return document.version == newest


def ready_documents_of(owners) -> list[Document]:
    """Every ready version of the documents of several owners of one model, in bulk."""
    owners = list(owners)
    if not owners:
        return []
    from django.contrib.contenttypes.models import ContentType

    owner_type = ContentType.objects.get_for_model(owners[0])
    return list(
        Document.objects.filter(
            owner_type=owner_type, owner_id__in=[o.pk for o in owners],
            status=Document.Status.READY,
        ).order_by("owner_id", "kind", "subject_id", "version")
    )  # fmt: skip
