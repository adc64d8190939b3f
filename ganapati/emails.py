"""One function per email. Each renders a template triplet under templates/emails/<name>/."""

from .models import OutgoingEmail, User
from .services import mail_queue


def account_invitation(user: User, *, url: str, key_suffix: str) -> OutgoingEmail:
    return mail_queue(
        key=f"user-invite:{user.pk}:{key_suffix}",
        template="account_invitation",
        to=[user.email],
        context={"user": user, "url": url},
        related=user,
    )


def password_reset(user: User, *, url: str, key_suffix: str) -> OutgoingEmail:
    return mail_queue(
        key=f"password-reset:{user.pk}:{key_suffix}",
        template="password_reset",
        to=[user.email],
        context={"user": user, "url": url},
        related=user,
    )


def password_changed(user: User, *, key_suffix: str) -> OutgoingEmail:
    return mail_queue(
        key=f"password-changed:{user.pk}:{key_suffix}",
        template="password_changed",
        to=[user.email],
        context={"user": user},
        related=user,
    )
