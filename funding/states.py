"""The PEC's states: uploaded by the client, then validated or rejected by staff; a rejected
(or still unreviewed) agreement may be uploaded again; a validated one is final."""

from ganapati.states import StateMachine

from .models import FundingRequest

S = FundingRequest.Status

FUNDING_STATES = StateMachine.from_table(
    "l'accord de prise en charge",
    {
        S.UPLOADED: {S.VALIDATED, S.REJECTED, S.UPLOADED},
        S.REJECTED: {S.UPLOADED},
        S.VALIDATED: set(),
    },
    dict(S.choices),
)
