from .accounts import Company, Role, TrainerProfile, User
from .audit import AuditEvent
from .funders import Funder
from .idempotency import FormToken
from .memberships import JoinRequest
from .organisation import Organisation
from .outbox import OutgoingEmail

__all__ = [
    "AuditEvent",
    "Company",
    "FormToken",
    "Funder",
    "JoinRequest",
    "Organisation",
    "OutgoingEmail",
    "Role",
    "TrainerProfile",
    "User",
]
