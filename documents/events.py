"""Events of the documents service (see ganapati/events.py)."""

from ganapati.events import DomainEvent

PAYLOAD = ("document_id", "owner_type", "owner_id", "kind", "source")

# A version was rendered and stored; `owner_type` is "app_label.model" of its owner.
document_ready = DomainEvent("document_ready", PAYLOAD)
# A version could not be rendered (after its retries): staff see it and may retry.
document_failed = DomainEvent("document_failed", PAYLOAD)
