from .accounts import Company, Role, TrainerProfile, User
from .appointments import AdvisorAvailability, Appointment, AvailabilityException
from .audit import AuditEvent
from .funders import Funder
from .help import HelpArticle, HelpCategory
from .idempotency import FormToken
from .memberships import JoinRequest
from .organisation import Organisation
from .orgdocs import OrganisationDocument
from .outbox import OutgoingEmail
from .qualifications import TrainerQualification

__all__ = [
    "AdvisorAvailability",
    "Appointment",
    "AvailabilityException",
    "AuditEvent",
    "Company",
    "FormToken",
    "Funder",
    "HelpArticle",
    "HelpCategory",
    "JoinRequest",
    "Organisation",
    "OrganisationDocument",
    "OutgoingEmail",
    "Role",
    "TrainerProfile",
    "TrainerQualification",
    "User",
]
