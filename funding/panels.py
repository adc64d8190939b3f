"""What the funding app shows on the pages of the sessions app (see ganapati/panels.py)."""

from ganapati.panels import panel

from .models import FundingRequest


@panel("session_detail.trainer", template="funding/panels/trainer_funding.html", order=10)
def trainer_funding(request, session):
    if not (session.funder_id and session.validated_at):
        return None
    return {"session": session, "funding": FundingRequest.objects.filter(session=session).first()}


@panel("client_session_detail.actions", template="funding/panels/client_funding_link.html")
def client_funding_link(request, session):
    if session.status not in ("validated", "funded", "running", "completed"):
        return None
    return {"session": session}
