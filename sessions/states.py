"""The session's states and the transitions allowed between them: one place, one table."""

from ganapati.states import StateMachine

from .models import SigningSlot, TrainingSession

S = TrainingSession.Status

SESSION_STATES = StateMachine.from_table(
    "la session",
    {
        S.DRAFT: {S.AWAITING_CLIENT, S.READY, S.CANCELLED},
        S.AWAITING_CLIENT: {S.DRAFT, S.READY, S.CANCELLED},
        S.READY: {S.VALIDATED, S.CANCELLED},
        S.VALIDATED: {S.FUNDED, S.CANCELLED},
        S.FUNDED: {S.RUNNING, S.CANCELLED},
        S.RUNNING: {S.COMPLETED},
        S.COMPLETED: set(),
        S.CANCELLED: set(),
    },
    dict(S.choices),
)

# What is expected next, and from whom: shown on dashboards and session pages.
NEXT_ACTION = {
    S.DRAFT: ("formateur", "Compléter la session et les informations du client"),
    S.AWAITING_CLIENT: ("client", "En attente du client : il complète le lien partagé"),
    S.READY: ("formateur", "À valider par le formateur"),
    S.VALIDATED: ("client", "Le client demande la prise en charge et dépose l'accord (PEC)"),
    S.FUNDED: ("formateur", "Feu vert : le formateur peut démarrer la session"),
    S.RUNNING: ("formateur", "Session en cours : émargement par demi-journée"),
    S.COMPLETED: ("équipe", "Session terminée : à facturer"),
    S.CANCELLED: ("", "Session annulée"),
}

# A trainee's half-day slot (electronic attendance). A mark is corrected by the trainer before
# the half-day is closed (a new evidence entry with a reason); a closed half-day is final.
Slot = SigningSlot.State

SLOT_STATES = StateMachine.from_table(
    "le créneau d'émargement",
    {
        Slot.OPEN: {Slot.SIGNED, Slot.ABSENT},
        Slot.SIGNED: {Slot.ABSENT},
        Slot.ABSENT: {Slot.OPEN},
    },
    dict(Slot.choices),
    field_name="state",
)
