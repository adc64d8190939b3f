"""The one source of truth of every document: all values come from the session here."""

from __future__ import annotations

import base64
from datetime import timedelta

from django.core.files.storage import default_storage
from django.utils import timezone

from ganapati import legal
from ganapati.selectors import organisation_get
from sessions.models import TrainingSession
from sessions.pricing import session_amounts
from sessions.services import attended_hours as session_attended_hours
from sessions.services import total_hours

from .models import DocumentKind

QUOTE_VALIDITY_DAYS = 30
TEMPLATES = {kind: f"documents/{kind}.html" for kind in DocumentKind.values}
PER_TRAINEE = {DocumentKind.CERTIFICATE, DocumentKind.ATTESTATION}


def _logo_data_uri(organisation) -> str | None:
    if not organisation.logo:
        return None
    try:
        with default_storage.open(organisation.logo.name, "rb") as handle:
            data = handle.read()
    except OSError:
        return None
    mime = "image/png" if organisation.logo.name.lower().endswith(".png") else "image/jpeg"
    return f"data:{mime};base64,{base64.b64encode(data).decode()}"


def _assessment(trainee) -> str:
    if trainee is None or trainee.competences_acquired is None:
        return ""
    verdict = "Compétences acquises" if trainee.competences_acquired else "Compétences non acquises"
    return f"{verdict}. {trainee.assessment_result}".strip()


def _funding(session):
    """The validated funding, for the split on an amended agreement."""
    from funding.models import FundingRequest

    request = FundingRequest.objects.filter(session=session, status="validated").first()
    if request is None or request.decision == "total":
        return None
    return request


def document_context(
    session: TrainingSession,
    kind: str,
    *,
    version: int | None = None,
    trainee=None,
    issued_at=None,
    attended_hours=None,
) -> dict:
    organisation = organisation_get()
    days = list(session.days.all())
    trainees = list(session.trainees.all())
    issued = timezone.localtime(issued_at or timezone.now()).date()
    hours = total_hours(days)
    if attended_hours is None and trainee is not None and trainee.attendance.exists():
        # Certificates and attestations carry the hours actually attended.
        attended_hours = session_attended_hours(trainee)
    reference = f"{kind.upper()}-{session.reference}" + (f"-v{version}" if version else "-APERÇU")
    return {
        "kind": kind,
        "kind_label": DocumentKind(kind).label,
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
        "total_hours": hours,
        "trainees": trainees,
        "trainee": trainee,
        "attended_hours": hours if attended_hours is None else attended_hours,
        "assessment_result": _assessment(trainee),
        "funding": _funding(session),
        "amounts": session_amounts(session, organisation),
        "legal": legal,
        "subrogation": session.funding_mode == "opco_subrogation",
        "subrogation_clause": legal.SUBROGATION_CLAUSE.format(
            funder=session.funder.name if session.funder else "OPCO"
        ),
    }
