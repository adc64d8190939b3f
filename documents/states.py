"""A document's states: asked for (pending), then rendered (ready) or failed; staff may retry."""

from ganapati.states import StateMachine

from .models import Document

S = Document.Status

DOCUMENT_STATES = StateMachine.from_table(
    "le document",
    {
        S.PENDING: {S.READY, S.FAILED},
        S.FAILED: {S.PENDING},
        S.READY: set(),
    },
    dict(S.choices),
)
