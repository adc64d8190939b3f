"""What the funding app adds to the session's documents: the funders' split on the agreement
once a partial or refused PEC is validated (the agreement is then made again)."""

from documents.registry import extend

from .models import FundingRequest


def agreement_funding(session, context: dict) -> dict:
    request = FundingRequest.objects.filter(
        session=session, status=FundingRequest.Status.VALIDATED
    ).first()
    if request is None or request.decision == FundingRequest.Decision.TOTAL:
        return {}
    from .services import remainder_of

    return {"funding": request, "company_commitment": remainder_of(session)}


extend("convention", agreement_funding)
