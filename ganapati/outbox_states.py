"""An outgoing e-mail's states: queued, claimed by a worker (sending), then sent or failed; a
transient failure puts it back in the queue; staff may queue a failed or sent e-mail again."""

from .models import OutgoingEmail
from .states import StateMachine

S = OutgoingEmail.Status

OUTBOX_STATES = StateMachine.from_table(
    "l'e-mail",
    {
        S.QUEUED: {S.SENDING},
        S.SENDING: {S.SENT, S.FAILED, S.QUEUED},
        S.FAILED: {S.QUEUED},
        S.SENT: {S.QUEUED},
    },
    dict(S.choices),
)
