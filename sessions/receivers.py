"""What the sessions app does when events of the apps below it happen."""

from .documents import VALIDATION_PACK


def send_validation_pack_when_ready(*, owner_type, owner_id, kind, source, **_):
    """A document of the validation pack is ready: once all three are, email them."""
    if owner_type != "training_sessions.trainingsession" or source != "session.validated":
        return
    if kind not in VALIDATION_PACK:
        return
    from .services import validation_pack_send_if_ready

    validation_pack_send_if_ready(session_id=owner_id)


def log_signed_sheet_seal(*, document_id, owner_type, kind, **_):
    """The signed attendance sheet is ready: its SHA-256 goes to the audit log (the
    certificates print it)."""
    from .documents import SIGNED_SHEET

    if owner_type != "training_sessions.trainingsession" or kind != SIGNED_SHEET:
        return
    from documents.models import Document
    from ganapati.services import log_action

    document = Document.objects.select_related("created_by").get(pk=document_id)
    log_action(document.owner, "session.signed_sheet_sealed", actor=document.created_by,
               data={"document": document.pk, "sha256": document.sha256})  # fmt: skip


def send_completion_papers_when_ready(*, owner_type, owner_id, kind, **_):
    """An attestation or certificate is ready: to the trainee, or (all of them) to the client."""
    if owner_type != "training_sessions.trainingsession":
        return
    from .completion import PAPERS, completion_papers_send

    if kind in PAPERS:
        completion_papers_send(session_id=owner_id)


def detach_contact_when_membership_ends(*, company_id, user_id, **_):
    """Refused or removed from a company: no longer the contact of its sessions in progress."""
    from .services import session_contacts_detach

    session_contacts_detach(company_id=company_id, user_id=user_id)


def invite_hot_questionnaire(*, session_id, **_):
    """Completed: each trainee gets the hot satisfaction questionnaire (issue 15)."""
    from .tasks import quality_hot_invites

    quality_hot_invites.delay(session_id)


def render_organisation_document(*, kind, **_):
    """Staff published the règlement intérieur or the CGV: its PDF is rendered by a worker now,
    ready for the e-mails that attach it."""
    from .documents import organisation_pdf_request

    organisation_pdf_request(kind)
