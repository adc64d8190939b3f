"""Reads of the core."""

from __future__ import annotations

from django.contrib.contenttypes.models import ContentType
from django.db import models

from .errors import DomainError
from .models import AuditEvent, Organisation


def organisation_get_or_none() -> Organisation | None:
    return Organisation.objects.filter(pk=Organisation.SINGLETON_PK).first()


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
