"""Domain events: how a lower app makes a higher one act, without importing it.

A service that changes state emits a named event; it is delivered only once the transaction
commits (never if it rolls back), to the receivers that higher apps connect in their
`AppConfig.ready()`. Receivers get primary keys and plain values, never model instances, and
must be idempotent (a sweeper may repeat their work after a crash). Each app lists its events
in its own `events.py`; the README's architecture section lists them all with their payload
and listeners.

Model signals (`post_save`...) are not events: they fire inside the transaction, on every save.
"""

from __future__ import annotations

import logging

from django.db import transaction
from django.dispatch import Signal

logger = logging.getLogger(__name__)


class DomainEvent:
    def __init__(self, name: str, payload: tuple[str, ...]):
        self.name = name
        self.payload = payload
        self.signal = Signal()

    def __repr__(self):
        return f"<DomainEvent {self.name}>"

    def connect(self, receiver, *, dispatch_uid: str | None = None) -> None:
        self.signal.connect(
            receiver, weak=False, dispatch_uid=dispatch_uid or receiver.__qualname__
        )

    def emit(self, **payload) -> None:
        """Deliver after the current transaction commits (at once outside a transaction)."""
        if set(payload) != set(self.payload):
            raise TypeError(f"{self.name} attend {self.payload}, reçu {tuple(payload)}")
        transaction.on_commit(lambda: self._deliver(payload), robust=True)

    def _deliver(self, payload: dict) -> None:
        for receiver, result in self.signal.send_robust(sender=self.name, **payload):
            if isinstance(result, Exception):
                # One failing receiver must not stop the others; its sweeper catches up.
                logger.error("event %s: receiver %r failed", self.name, receiver,
                             exc_info=(type(result), result, result.__traceback__))  # fmt: skip


# --- Events of the core -----------------------------------------------------------------------

# Someone stopped being (or was refused as) a member of a company: whatever they could see as
# its member or pending contact, they no longer may (sessions detaches them as contact).
membership_ended = DomainEvent("membership_ended", ("company_id", "user_id"))

# Staff published a new version of the règlement intérieur or the CGV (`kind`): sessions has its
# PDF rendered, to attach it to the convocations and the validation pack.
organisation_document_published = DomainEvent(
    "organisation_document_published", ("document_id", "kind")
)
