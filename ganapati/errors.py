class DomainError(Exception):
    """A business rule refused the action. The message is French and shown to the user as is."""

    def __init__(self, message: str):
        super().__init__(message)
        self.message = message


class TransientMailError(Exception):
    """The email could not be sent this time but may go through later (network, 4xx, 5xx API)."""
