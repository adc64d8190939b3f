class DomainError(Exception):
    """A business rule refused the action. The message is French and shown to the user as is."""

    def __init__(self, message: str, *, field: str | None = None):
        super().__init__(message)
        self.message = message
        # The form field the message is about, when there is one.
        self.field = field


class TransientMailError(Exception):
    """The email could not be sent this time but may go through later (network, 4xx, 5xx API)."""
