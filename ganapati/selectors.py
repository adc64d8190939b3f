"""Reads of the core."""

from __future__ import annotations

import time

from django.contrib.contenttypes.models import ContentType
from django.db import models

from .errors import DomainError
from .models import AuditEvent, Organisation


def organisation_get_or_none() -> Organisation | None:
    return Organisation.objects.filter(pk=Organisation.SINGLETON_PK).first()


# Pages show the organisation's identity on every request (footer, catalogue, estimates): it is
# read once per process and kept this long, forgotten at once by the process that saves it (and
# again when that transaction commits); another process sees a change within this delay.
# Documents and invoices never use this copy: they read the row (organisation_get).
ORGANISATION_PAGES_SECONDS = 30
_organisation_memo: tuple[float, Organisation | None] | None = None


def organisation_for_pages() -> Organisation | None:
    global _organisation_memo
    now = time.monotonic()
    if _organisation_memo is None or now - _organisation_memo[0] > ORGANISATION_PAGES_SECONDS:
        _organisation_memo = (now, organisation_get_or_none())
    return _organisation_memo[1]


def organisation_forget() -> None:
    global _organisation_memo
    _organisation_memo = None


def organisation_get() -> Organisation:
    """The organisation's identity; documents cannot be made without it."""
    organisation = organisation_get_or_none()
    if organisation is None:
        raise DomainError(
            "L'identité de l'organisme de formation n'est pas encore renseignée : "
            "l'équipe doit la compléter dans le back-office."
        )
    return organisation


def audit_timeline(obj: models.Model) -> models.QuerySet[AuditEvent]:
    """The events recorded on one object, oldest first, for its timeline."""
    return (
        AuditEvent.objects.filter(
            content_type=ContentType.objects.get_for_model(obj, for_concrete_model=False),
            object_id=str(obj.pk),
        )
        .select_related("actor")
        .order_by("created_at", "pk")
    )
