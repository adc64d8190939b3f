"""Emails about funding; template triplets under templates/emails/."""

from django.urls import reverse

from ganapati.services import absolute_url, mail_queue
from sessions.selectors import client_recipients


def _space(session) -> str:
    return absolute_url(reverse("client_session_detail", args=[session.pk]))


def _ctx(session, request, **extra):
    return {"session": session, "reference": session.reference, "request": request,
            "url": _space(session), **extra}  # fmt: skip


def remainder_to_accept(session, request):
    from .services import remainder_of

    return mail_queue(
        key=f"funding-remainder:{request.pk}:{request.reviewed_at:%Y%m%d%H%M%S}",
        template="funding_remainder",
        to=client_recipients(session),
        cc=[session.trainer.email],
        context=_ctx(session, request, remainder=remainder_of(session)),
        related=session,
    )


def funding_refused(session, request):
    return mail_queue(
        key=f"funding-refused:{request.pk}:{request.reviewed_at:%Y%m%d%H%M%S}",
        template="funding_refused",
        to=client_recipients(session),
        cc=[session.trainer.email],
        context=_ctx(session, request),
        related=session,
    )


def upload_rejected(session, request):
    return mail_queue(
        key=f"funding-upload-rejected:{request.pk}:{request.reviewed_at:%Y%m%d%H%M%S}",
        template="funding_upload_rejected",
        to=client_recipients(session),
        context=_ctx(session, request),
        related=session,
    )


def reminder(session, *, kind: str, to: list[str], day):
    """Daily reminders; the key names the day, so a day never gets two of the same."""
    return mail_queue(
        key=f"funding-reminder:{kind}:{session.pk}:{','.join(sorted(to))}:{day.isoformat()}",
        template=f"funding_reminder_{kind}",
        to=to,
        context={"session": session, "reference": session.reference, "url": _space(session),
                 "trainer_url": absolute_url(reverse("session_detail", args=[session.pk]))},
        related=session,
    )  # fmt: skip
