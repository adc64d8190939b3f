"""A booking's states: booked, then maybe cancelled (final). Moving a call keeps it booked:
only its start, advisor and version change."""

from ..models import Appointment
from ..states import StateMachine

S = Appointment.Status

APPOINTMENT_STATES = StateMachine.from_table(
    "le rendez-vous", {S.BOOKED: {S.CANCELLED}, S.CANCELLED: set()}, dict(S.choices)
)
