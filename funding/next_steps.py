"""Funding's refinement of a session's next step, between validation and the green light."""

from sessions.models import FundingMode, TrainingSession
from sessions.next_steps import CLIENT, STAFF, provider

from .models import ClientCommitment, FundingRequest


@provider
def funding_steps(sessions) -> dict:
    validated = [s for s in sessions if s.status == TrainingSession.Status.VALIDATED]
    if not validated:
        return {}
    ids = [s.pk for s in validated]
    requests = {f.session_id: f for f in FundingRequest.objects.filter(session_id__in=ids)}
    committed = set(
        ClientCommitment.objects.filter(session_id__in=ids).values_list("session_id", flat=True)
    )
    steps = {}
    for session in validated:
        request = requests.get(session.pk)
        if session.funding_mode == FundingMode.COMPANY or not session.funder_id:
            steps[session.pk] = (CLIENT, "Le client s'engage à payer la formation (convention)")
        elif request is None or request.status == FundingRequest.Status.REJECTED:
            steps[session.pk] = (
                CLIENT, "Le client demande la prise en charge et dépose l'accord (PEC)",
            )  # fmt: skip
        elif request.status == FundingRequest.Status.UPLOADED:
            steps[session.pk] = (STAFF, "L'équipe vérifie l'accord de prise en charge déposé")
        elif request.decision == FundingRequest.Decision.PARTIAL and session.pk not in committed:
            steps[session.pk] = (
                CLIENT,
                "Le client accepte le reste à charge après la PEC partielle",
            )
        elif request.decision == FundingRequest.Decision.REFUSED and session.pk not in committed:
            steps[session.pk] = (
                CLIENT, "PEC refusée : le client finance lui-même ou annule la session",
            )  # fmt: skip
    return steps
