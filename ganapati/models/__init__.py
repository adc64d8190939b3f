from .accounts import Company, Role, TrainerProfile, User
from .audit import AuditEvent
from .funders import Funder
from .organisation import Organisation
from .outbox import OutgoingEmail

__all__ = [
    "AuditEvent",
    "Company",
    "Funder",
    "Organisation",
    "OutgoingEmail",
    "Role",
    "TrainerProfile",
    "User",
]
