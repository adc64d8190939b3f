"""A join request's states: pending until a member or staff accepts or refuses it."""

from .models import JoinRequest
from .states import StateMachine

S = JoinRequest.Status

JOIN_REQUEST_STATES = StateMachine.from_table(
    "la demande",
    {S.PENDING: {S.ACCEPTED, S.REFUSED}, S.ACCEPTED: set(), S.REFUSED: set()},
    dict(S.choices),
)
