"""Services and selectors of the organisation's documents (règlement intérieur, CGV)."""

from __future__ import annotations

import datetime as dt

from django.db import transaction
from django.db.models import Max

from .models import OrganisationDocument, User
from .services import log_action


@transaction.atomic
def organisation_document_publish(
    *, kind: str, text: str, valid_from: dt.date, actor: User | None
) -> OrganisationDocument:
    """A new version; earlier ones are kept unchanged (what was sent stays provable)."""
    # Lock every version of this kind so that two staff publishing at once get two numbers.
    existing = OrganisationDocument.objects.select_for_update().filter(kind=kind)
    last = existing.aggregate(n=Max("version"))["n"] or 0
    document = OrganisationDocument.objects.create(
        kind=kind, version=last + 1, text=text.strip(), valid_from=valid_from
    )
    log_action(document, "orgdoc.published", actor=actor, data={"version": document.version})
    from .events import organisation_document_published

    organisation_document_published.emit(document_id=document.pk, kind=kind)
    return document


def organisation_document_current(kind: str) -> OrganisationDocument | None:
    return OrganisationDocument.objects.filter(kind=kind).order_by("-version").first()
