"""Writes of the core: the audit log, the email outbox, accounts.

Every function here is keyword-only, runs in a transaction, and queues side effects on commit.
"""

from __future__ import annotations

import logging
import uuid
from datetime import timedelta
from typing import Any

from django.conf import settings
from django.contrib.auth.tokens import default_token_generator
from django.contrib.contenttypes.models import ContentType
from django.core.files.storage import default_storage
from django.core.mail import EmailMultiAlternatives
from django.db import IntegrityError, models, transaction
from django.template.loader import render_to_string
from django.urls import reverse
from django.utils import timezone
from django.utils.encoding import force_bytes
from django.utils.http import urlsafe_base64_encode

from .errors import DomainError, TransientMailError
from .models import AuditEvent, JoinRequest, OutgoingEmail, Role, TrainerProfile, User
from .outbox_states import OUTBOX_STATES
from .retries import is_transient

logger = logging.getLogger(__name__)


# --- Audit log -------------------------------------------------------------------------------


def log_action(
    obj: models.Model,
    action: str,
    *,
    actor: User | None = None,
    data: dict[str, Any] | None = None,
) -> AuditEvent:
    """Record that `actor` (None: the platform itself) did `action` to `obj`."""
    actor_user = actor if actor is not None and getattr(actor, "pk", None) else None
    return AuditEvent.objects.create(
        actor=actor_user,
        actor_repr=actor_user.email if actor_user else "Ganapati (automatique)",
        action=action,
        content_type=ContentType.objects.get_for_model(obj, for_concrete_model=False),
        object_id=str(obj.pk),
        object_repr=str(obj)[:250],
        data=data or {},
    )


# --- Email outbox ----------------------------------------------------------------------------


def absolute_url(path: str) -> str:
    return f"{settings.SITE_URL}{path}"


def _render_email(template: str, context: dict[str, Any]) -> tuple[str, str, str]:
    from .selectors import organisation_get_or_none

    ctx = {"organisation": organisation_get_or_none(), "site_url": settings.SITE_URL, **context}
    subject = render_to_string(f"emails/{template}/subject.txt", ctx)
    subject = " ".join(subject.split())
    text = render_to_string(f"emails/{template}/body.txt", ctx).strip() + "\n"
    html = render_to_string(f"emails/{template}/body.html", ctx)
    return subject, text, html


def mail_queue(
    *,
    key: str,
    template: str,
    to: list[str],
    context: dict[str, Any],
    cc: list[str] | None = None,
    reply_to: list[str] | None = None,
    attachments: list[dict[str, str]] | None = None,
    related: models.Model | None = None,
) -> OutgoingEmail | None:
    """Write an email to the outbox, to be sent by a worker once the transaction commits.

    `key` names the business event: queueing the same key again returns the existing email and
    sends nothing more.
    """
    existing = OutgoingEmail.objects.filter(key=key).first()
    if existing is not None:
        return existing
    if not to and not cc:
        return None  # nobody left to tell (e.g. the client contact removed, no other member)
    if attachments:
        # Who may receive which file is decided in one place (ganapati/files.py).
        from .files import check_attachments

        check_attachments([*to, *(cc or [])], attachments)
    subject, text, html = _render_email(template, context)
    fields = {
        "template": template,
        "to": list(to),
        "cc": list(cc or []),
        "reply_to": list(reply_to or []),
        "from_email": settings.DEFAULT_FROM_EMAIL,
        "subject": subject[:250],
        "body_text": text,
        "body_html": html,
        "attachments": list(attachments or []),
    }
    if related is not None:
        fields["related_type"] = ContentType.objects.get_for_model(related)
        fields["related_id"] = str(related.pk)
    try:
        # A savepoint, so that losing a race on the key does not break the caller's transaction.
        with transaction.atomic():
            email = OutgoingEmail.objects.create(key=key, **fields)
    except IntegrityError:
        return OutgoingEmail.objects.get(key=key)
    _queue_send(email.pk)
    return email


def _queue_send(email_id: int, countdown: int | None = None) -> None:
    from .tasks import outbox_send

    transaction.on_commit(
        lambda: outbox_send.apply_async(args=[email_id], countdown=countdown), robust=True
    )


def _build_message(email: OutgoingEmail) -> EmailMultiAlternatives:
    message = EmailMultiAlternatives(
        subject=email.subject,
        body=email.body_text,
        from_email=email.from_email,
        to=email.to,
        cc=email.cc,
        reply_to=email.reply_to,
        headers={"X-Ganapati-Key": email.key},
    )
    if email.body_html:
        message.attach_alternative(email.body_html, "text/html")
    for attachment in email.attachments:
        with default_storage.open(attachment["name"], "rb") as handle:
            message.attach(attachment["filename"], handle.read(), attachment["mimetype"])
    return message


def outbox_deliver(*, email_id: int) -> str:
    """Send one outbox email at most once. Returns what happened, for logs and tests.

    The row is claimed under a lock (queued → sending) before anything goes out, so a task
    delivered twice, or run by two workers at once, sends once: the second finds it sending/sent.
    """
    with transaction.atomic():
        email = OutgoingEmail.objects.select_for_update().filter(pk=email_id).first()
        if email is None:
            return "missing"
        if not OUTBOX_STATES.can(email.status, OutgoingEmail.Status.SENDING):
            return f"skipped-{email.status}"
        OUTBOX_STATES.advance(email, OutgoingEmail.Status.SENDING)
        email.attempts += 1
        email.sending_started_at = timezone.now()
        email.save(update_fields=["status", "attempts", "sending_started_at"])

    try:
        message = _build_message(email)
    except Exception as exc:
        # A missing attachment or a broken template will not mend itself: no retry.
        _record_failure(email, exc, give_up=True)
        return "failed"
    try:
        message.send(fail_silently=False)
    except Exception as exc:
        give_up = not is_transient(exc) or email.attempts >= settings.OUTBOX_MAX_ATTEMPTS
        _record_failure(email, exc, give_up=give_up)
        if give_up:
            return "failed"
        raise TransientMailError(str(exc)) from exc

    anymail_status = getattr(message, "anymail_status", None)
    OutgoingEmail.objects.filter(pk=email.pk, status=OutgoingEmail.Status.SENDING).update(
        status=OUTBOX_STATES.require(OutgoingEmail.Status.SENDING, OutgoingEmail.Status.SENT),
        sent_at=timezone.now(),
        last_error="",
        message_id=(getattr(anymail_status, "message_id", None) or "")[:250]
        if anymail_status
        else "",
    )
    return "sent"


def _record_failure(email: OutgoingEmail, exc: Exception, *, give_up: bool) -> None:
    S = OutgoingEmail.Status
    OutgoingEmail.objects.filter(pk=email.pk, status=S.SENDING).update(
        status=OUTBOX_STATES.require(S.SENDING, S.FAILED if give_up else S.QUEUED),
        last_error=f"{type(exc).__name__}: {exc}"[:2000],
        next_attempt_at=timezone.now() + timedelta(seconds=retry_delay(email.attempts)),
    )
    logger.warning("outbox email %s attempt %s failed: %r", email.pk, email.attempts, exc)


def retry_delay(attempts: int) -> int:
    """Seconds before the next try: 1 min, 2, 4, 8... capped at one hour."""
    return min(60 * 2 ** max(attempts - 1, 0), 3600)


@transaction.atomic
def outbox_resend(*, email_ids: list[int], actor: User) -> int:
    """Staff ask to send again e-mails that failed or were sent. Those still queued or being
    sent are left alone; if none of the selected can be sent again, the action is refused.
    Returns how many were queued."""
    emails = list(OutgoingEmail.objects.select_for_update().filter(pk__in=email_ids))
    # Sending → queued belongs to the worker (a transient failure); staff resend what ended.
    done = (OutgoingEmail.Status.FAILED, OutgoingEmail.Status.SENT)
    eligible = [e for e in emails if e.status in done]
    if emails and not eligible:
        raise DomainError(
            "Ces e-mails sont déjà en file d'attente ou en cours d'envoi : rien à renvoyer."
        )
    for email in eligible:
        previous = OUTBOX_STATES.advance(email, OutgoingEmail.Status.QUEUED)
        email.last_error = ""
        email.next_attempt_at = timezone.now()
        email.save(update_fields=["status", "last_error", "next_attempt_at"])
        log_action(email, "email.resent", actor=actor, data={"previous_status": previous})
        _queue_send(email.pk)
    return len(eligible)


@transaction.atomic
def outbox_sweep(*, now=None) -> dict[str, int]:
    """Periodic: re-queue emails whose task was lost, flag those whose sending was interrupted.

    An email left "sending" past the task time limit was cut off mid-send: it may or may not
    have left, so it is not re-sent automatically (that could send twice) but marked failed for
    staff to check and re-send.
    """
    now = now or timezone.now()
    stuck_sending = OutgoingEmail.objects.filter(
        status=OutgoingEmail.Status.SENDING,
        sending_started_at__lt=now - timedelta(seconds=settings.OUTBOX_STUCK_AFTER),
    ).update(
        status=OUTBOX_STATES.require(OutgoingEmail.Status.SENDING, OutgoingEmail.Status.FAILED),
        last_error="Envoi interrompu (le processus d'envoi s'est arrêté en cours de route) : "
        "vérifiez auprès du destinataire et renvoyez si besoin.",
    )
    lost = list(
        OutgoingEmail.objects.filter(
            status=OutgoingEmail.Status.QUEUED,
            next_attempt_at__lt=now - timedelta(minutes=10),
        ).values_list("pk", flat=True)[:500]
    )
    OutgoingEmail.objects.filter(pk__in=lost).update(next_attempt_at=now)
    for email_id in lost:
        _queue_send(email_id)
    return {"requeued": len(lost), "interrupted": stuck_sending}


# --- Accounts --------------------------------------------------------------------------------


def password_set_url(user: User) -> str:
    uid = urlsafe_base64_encode(force_bytes(user.pk))
    token = default_token_generator.make_token(user)
    return absolute_url(reverse("password_reset_confirm", kwargs={"uidb64": uid, "token": token}))


@transaction.atomic
def user_save_from_admin(*, user: User, actor: User, created: bool) -> None:
    """Staff create or edit an account. A new account has no password: it is invited. A client
    moved out of a company loses at once what they saw there (as for a member's removal)."""
    from .events import membership_ended

    before = None if created else User.objects.filter(pk=user.pk).values("company_id").first()
    user.is_staff = user.role == "staff" or user.is_staff
    if created:
        user.set_unusable_password()
    user.save()
    previous_company = before["company_id"] if before else None
    data = {}
    if previous_company != user.company_id:
        data = {"company": {"from": previous_company, "to": user.company_id}}
    log_action(user, "user.created" if created else "user.updated", actor=actor, data=data)
    if previous_company and previous_company != user.company_id:
        membership_ended.emit(company_id=previous_company, user_id=user.pk)
    if created:
        user_invite(user=user, actor=actor)


@transaction.atomic
def user_invite(*, user: User, actor: User | None) -> OutgoingEmail:
    """Email a new account its link to choose a password (the same link as a password reset)."""
    if not user.is_active:
        raise DomainError("Ce compte est désactivé : réactivez-le avant d'envoyer une invitation.")
    from . import emails

    email = emails.account_invitation(user, url=password_set_url(user), key_suffix=uuid.uuid4().hex)
    log_action(user, "user.invited", actor=actor)
    return email


RESET_EMAILS_PER_HOUR = 3


@transaction.atomic
def user_password_reset_request(*, user: User) -> OutgoingEmail | None:
    """At most a few reset emails an hour per account: the form cannot be used to flood an
    inbox (the page says the same thing either way, so nothing leaks)."""
    from . import emails

    recent = OutgoingEmail.objects.filter(
        key__startswith=f"password-reset:{user.pk}:",
        created_at__gte=timezone.now() - timedelta(hours=1),
    ).count()
    if recent >= RESET_EMAILS_PER_HOUR:
        log_action(user, "user.password_reset_throttled", actor=None)
        return None

    email = emails.password_reset(user, url=password_set_url(user), key_suffix=uuid.uuid4().hex)
    log_action(user, "user.password_reset_requested", actor=None)
    return email


@transaction.atomic
def user_password_changed(*, user: User, actor: User | None, how: str) -> OutgoingEmail:
    """After a password change or reset: tell the owner, so that an intruder is noticed."""
    from . import emails

    log_action(user, "user.password_changed", actor=actor, data={"how": how})
    return emails.password_changed(user, key_suffix=uuid.uuid4().hex)


@transaction.atomic
def trainer_profile_save(
    *, profile: TrainerProfile, identity: dict[str, Any], actor: User, changed: list[str]
) -> None:
    """The trainer's identity (name, phone) and payout details, saved together."""
    user = profile.user
    if user.role != Role.TRAINER:
        raise DomainError("Seul un formateur a un profil formateur.")
    for name, value in identity.items():
        setattr(user, name, value)
    user.full_clean(exclude=["password"])
    user.save(update_fields=list(identity))
    profile.full_clean()
    profile.save()
    if changed:
        log_action(profile, "trainer_profile.updated", actor=actor, data={"fields": changed})


def _masked(name: str, value) -> str:
    """Bank details are audited masked: enough to see a change, not to reuse the account."""
    text = "" if value is None else str(value)
    if name in ("iban", "bic") and len(text) > 4:
        return "•" * (len(text) - 4) + text[-4:]
    return text


@transaction.atomic
def trainer_profile_save_from_admin(
    *, profile: TrainerProfile, actor: User, changed: list[str]
) -> None:
    """Staff edit a trainer's profile (IBAN, BIC, commission rate...) in the back-office: the
    same validation as the trainer's own page, and an audit event naming what changed."""
    before = TrainerProfile.objects.filter(pk=profile.pk).first() if profile.pk else None
    profile.full_clean()
    profile.save()
    if changed:
        data = {
            name: {"from": _masked(name, getattr(before, name, None)) if before else "",
                   "to": _masked(name, getattr(profile, name))}
            for name in changed
        }  # fmt: skip
        log_action(profile.user, "trainer_profile.updated_by_staff", actor=actor, data=data)


@transaction.atomic
def company_save_from_admin(*, company, actor: User, changed: list[str], created: bool) -> None:
    """Staff create or edit a client company in the back-office (audited)."""
    company.full_clean()
    company.save()
    log_action(company, "company.created" if created else "company.updated", actor=actor,
               data={"fields": changed})  # fmt: skip


# --- Company membership ------------------------------------------------------------------------


def _ensure_manages(company, actor: User) -> None:
    """Who may manage a company's people: its members, and staff."""
    if actor.role == "staff" or (actor.role == "client" and actor.company_id == company.pk):
        return
    raise DomainError("Seuls les membres de cette entreprise (ou l'équipe) gèrent ses accès.")


def company_members(company):
    return User.objects.filter(company=company, role="client", is_active=True).order_by(
        "last_name", "first_name"
    )


@transaction.atomic
def join_request_create(*, company, user: User, via: str, proposed: dict) -> JoinRequest | None:
    """`user` asks to join `company` (they completed a session's link for it): the members
    are told and decide; staff may too. Nothing of the company changes meanwhile."""
    from . import emails

    if user.company_id == company.pk:
        return None
    request = JoinRequest.objects.filter(company=company, user=user, status="pending").first()
    if request is not None:
        return request
    request = JoinRequest.objects.create(company=company, user=user, via=via[:200],
                                         proposed=proposed)  # fmt: skip
    log_action(company, "company.join_requested", actor=None,
               data={"user": user.email, "via": via})  # fmt: skip
    members = [m.email for m in company_members(company)]
    if not members:  # a company with nobody to decide: staff do
        members = list(User.objects.filter(role="staff", is_active=True)
                       .values_list("email", flat=True))  # fmt: skip
    emails.join_requested(request, to=members)
    return request


@transaction.atomic
def join_request_accept(*, request: JoinRequest, actor: User) -> JoinRequest:
    from . import emails
    from .membership_states import JOIN_REQUEST_STATES

    request = JoinRequest.objects.select_for_update().select_related("company").get(pk=request.pk)
    _ensure_manages(request.company, actor)
    JOIN_REQUEST_STATES.advance(request, JoinRequest.Status.ACCEPTED,
                                message="Cette demande est déjà « {current} ».")  # fmt: skip
    user = User.objects.select_for_update().get(pk=request.user_id)
    if user.role != "client":
        raise DomainError("Ce compte ne peut pas être membre d'une entreprise cliente.")
    if user.company_id and user.company_id != request.company_id:
        raise DomainError(
            "Cette personne est déjà membre d'une autre entreprise : un compte n'appartient "
            "qu'à une entreprise. Elle peut utiliser une autre adresse e-mail."
        )
    user.company = request.company
    user.save(update_fields=["company"])
    request.decided_by, request.decided_at = actor, timezone.now()
    request.save(update_fields=["status", "decided_by", "decided_at"])
    log_action(request.company, "company.member_accepted", actor=actor, data={"user": user.email})
    emails.join_decided(request)
    return request


@transaction.atomic
def join_request_refuse(*, request: JoinRequest, actor: User) -> JoinRequest:
    from . import emails
    from .events import membership_ended
    from .membership_states import JOIN_REQUEST_STATES

    request = JoinRequest.objects.select_for_update().select_related("company").get(pk=request.pk)
    _ensure_manages(request.company, actor)
    JOIN_REQUEST_STATES.advance(request, JoinRequest.Status.REFUSED,
                                message="Cette demande est déjà « {current} ».")  # fmt: skip
    request.decided_by, request.decided_at = actor, timezone.now()
    request.save(update_fields=["status", "decided_by", "decided_at"])
    log_action(request.company, "company.member_refused", actor=actor,
               data={"user": request.user.email})  # fmt: skip
    emails.join_decided(request)
    membership_ended.emit(company_id=request.company_id, user_id=request.user_id)
    return request


@transaction.atomic
def company_member_invite(*, company, actor: User, email: str, first_name: str,
                          last_name: str) -> None:  # fmt: skip
    """A member (or staff) adds someone to the company's space. The page says the same thing
    whether the address already has an account or not; the address's owner is told by e-mail
    what happened (and, if their account cannot join, why)."""
    from . import emails

    _ensure_manages(company, actor)
    email = User.objects.normalize_email(email)
    user = User.objects.select_for_update().filter(email__iexact=email).first()
    if user is None:
        user = User(email=email, first_name=first_name.strip(), last_name=last_name.strip(),
                    role="client", company=company)  # fmt: skip
        user.set_unusable_password()
        user.full_clean(exclude=["password"])
        user.save()
        emails.member_invited(user, company=company, actor=actor, url=password_set_url(user))
    elif user.role == "client" and user.company_id in (None, company.pk) and user.is_active:
        if user.company_id is None:
            user.company = company
            user.save(update_fields=["company"])
            from .membership_states import JOIN_REQUEST_STATES

            S = JoinRequest.Status
            JoinRequest.objects.filter(company=company, user=user, status=S.PENDING).update(
                status=JOIN_REQUEST_STATES.require(S.PENDING, S.ACCEPTED),
                decided_by=actor, decided_at=timezone.now(),
            )  # fmt: skip
        emails.member_added(user, company=company, actor=actor)
    else:
        emails.member_invite_impossible(email, company=company, actor=actor)
    log_action(company, "company.member_invited", actor=actor, data={"email": email})


@transaction.atomic
def company_member_remove(*, company, user: User, actor: User) -> None:
    """A member (or staff) removes someone from the company's space: at once, they see none
    of its sessions, documents or invoices any more."""
    from . import emails
    from .events import membership_ended

    _ensure_manages(company, actor)
    user = User.objects.select_for_update().get(pk=user.pk)
    if user.company_id != company.pk:
        raise DomainError("Cette personne n'est pas membre de l'entreprise.")
    if actor.role != "staff" and company_members(company).exclude(pk=user.pk).count() == 0:
        raise DomainError(
            "Il doit rester au moins un membre dans l'espace de l'entreprise : invitez d'abord "
            "la personne qui prendra le relais, ou demandez à l'équipe."
        )
    user.company = None
    user.save(update_fields=["company"])
    log_action(company, "company.member_removed", actor=actor, data={"user": user.email})
    emails.member_removed(user, company=company)
    membership_ended.emit(company_id=company.pk, user_id=user.pk)


@transaction.atomic
def trainer_calendar_token_renew(*, user: User) -> str:
    """A new private calendar feed URL for the trainer; the previous one stops working."""
    import secrets

    if user.role != Role.TRAINER:
        raise DomainError("Seuls les formateurs ont un agenda de sessions.")
    profile, _ = TrainerProfile.objects.select_for_update().get_or_create(user=user)
    profile.calendar_token = secrets.token_urlsafe(24)
    profile.save(update_fields=["calendar_token"])
    log_action(profile, "trainer_profile.calendar_renewed", actor=user)
    return profile.calendar_token
