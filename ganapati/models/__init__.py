from .accounts import Company, Role, TrainerProfile, User
from .audit import AuditEvent
from .funders import Funder
from .memberships import JoinRequest
from .organisation import Organisation
from .outbox import OutgoingEmail

__all__ = [
    "AuditEvent",
    "Company",
    "Funder",
    "JoinRequest",
    "Organisation",
    "OutgoingEmail",
    "Role",
    "TrainerProfile",
    "User",
]
