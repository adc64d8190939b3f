"""One function per email about a session; template triplets under templates/emails/."""

from django.urls import reverse

from ganapati.models import OutgoingEmail, User
from ganapati.services import absolute_url, mail_queue

from .models import TrainingSession


def _ctx(session: TrainingSession, **extra) -> dict:
    return {"session": session, "reference": session.reference, **extra}


def client_link(session: TrainingSession, *, to: str, url: str, version: int):
    return mail_queue(
        key=f"session-link:{session.pk}:{version}:{to.lower()}",
        template="session_client_link",
        to=[to],
        reply_to=[session.trainer.email],
        context=_ctx(session, url=url),
        related=session,
    )


def client_account_created(session: TrainingSession, user: User, *, url: str):
    return mail_queue(
        key=f"session-client-account:{session.pk}:{user.pk}",
        template="session_client_account",
        to=[user.email],
        context=_ctx(session, user=user, url=url),
        related=session,
    )


def client_completed(session: TrainingSession):
    return mail_queue(
        key=f"session-client-completed:{session.pk}:{session.revision}",
        template="session_client_completed",
        to=[session.trainer.email],
        context=_ctx(session, url=absolute_url(reverse("session_detail", args=[session.pk]))),
        related=session,
    )


def validation_pack_sent(session: TrainingSession) -> bool:
    return OutgoingEmail.objects.filter(key=f"session-validated:{session.pk}:client").exists()


def session_validated(session: TrainingSession, *, attachments: list[dict]):
    """The three documents to the client, a copy to the trainer, and the trainer's reminder."""
    space = absolute_url(reverse("client_session_detail", args=[session.pk]))
    terms = any(a["kind"] == "document.cgv" for a in attachments)
    mail_queue(
        key=f"session-validated:{session.pk}:client",
        template="session_validated_client",
        to=[session.contact.email],
        reply_to=[session.trainer.email],
        context=_ctx(session, url=space, terms=terms),
        attachments=attachments,
        related=session,
    )
    mail_queue(
        key=f"session-validated:{session.pk}:copy",
        template="session_validated_client",
        to=[session.trainer.email],
        context=_ctx(session, url=space, copy=True, terms=terms),
        attachments=attachments,
        related=session,
    )
    mail_queue(
        key=f"session-validated:{session.pk}:trainer",
        template="session_validated_trainer",
        to=[session.trainer.email],
        context=_ctx(session, url=absolute_url(reverse("session_detail", args=[session.pk]))),
        related=session,
    )


def session_cancelled(session: TrainingSession):
    recipients = [session.trainer.email]
    if session.contact_id:
        recipients.append(session.contact.email)
    for to in recipients:
        mail_queue(
            key=f"session-cancelled:{session.pk}:{to}",
            template="session_cancelled",
            to=[to],
            context=_ctx(session),
            related=session,
        )


def green_light(session: TrainingSession):
    """Funding cleared: the trainer may start; the client sees the PEC in its space."""
    mail_queue(
        key=f"session-green-light:{session.pk}:trainer",
        template="session_green_light",
        to=[session.trainer.email],
        context=_ctx(session, url=absolute_url(reverse("session_detail", args=[session.pk]))),
        related=session,
    )
    mail_queue(
        key=f"session-green-light:{session.pk}:client",
        template="session_green_light",
        to=[session.contact.email],
        context=_ctx(session, client=True,
                     url=absolute_url(reverse("client_session_detail", args=[session.pk]))),
        related=session,
    )  # fmt: skip


def contact_to_confirm(session: TrainingSession, *, email: str, url: str):
    """To an address that already has an account, named as contact on the form."""
    return mail_queue(
        key=f"session-contact-confirm:{session.pk}:{session.revision}:{email.lower()}",
        template="session_contact_confirm",
        to=[email],
        reply_to=[session.trainer.email],
        context=_ctx(session, url=url, email=email),
        related=session,
    )


def contact_removed(session: TrainingSession):
    import uuid

    return mail_queue(
        key=f"session-contact-removed:{session.pk}:{uuid.uuid4().hex}",
        template="session_contact_removed",
        to=[session.trainer.email],
        context=_ctx(session, url=absolute_url(reverse("session_detail", args=[session.pk]))),
        related=session,
    )


def attestation_key(session_id: int, trainee_id: int, version: int) -> str:
    return f"session-attestation:{session_id}:{trainee_id}:v{version}"


def attestation_to_trainee(session: TrainingSession, trainee, *, document, attachment: dict):
    """The trainee's own attestation de fin de formation (they have no account)."""
    return mail_queue(
        key=attestation_key(session.pk, trainee.pk, document.version),
        template="session_attestation",
        to=[trainee.email],
        reply_to=[session.trainer.email],
        context=_ctx(session, trainee=trainee),
        attachments=[attachment],
        related=session,
    )


def certificates_key(session_id: int, source: str) -> str:
    return f"session-certificates:{session_id}:{source}"


def certificates_to_client(session: TrainingSession, *, key: str, attachments: list[dict]):
    """The certificates of completion to the client contact, together."""
    return mail_queue(
        key=key,
        template="session_certificates",
        to=[session.contact.email],
        reply_to=[session.trainer.email],
        context=_ctx(session, count=len(attachments),
                     url=absolute_url(reverse("client_session_detail", args=[session.pk]))),
        attachments=attachments,
        related=session,
    )  # fmt: skip
