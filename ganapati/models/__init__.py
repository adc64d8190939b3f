from .accounts import Company, Role, TrainerProfile, User
from .audit import AuditEvent
from .organisation import Organisation
from .outbox import OutgoingEmail

__all__ = [
    "AuditEvent",
    "Company",
    "Organisation",
    "OutgoingEmail",
    "Role",
    "TrainerProfile",
    "User",
]
