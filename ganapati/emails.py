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


def _client_space_url() -> str:
    from django.urls import reverse

    from .services import absolute_url

    return absolute_url(reverse("company_people"))


def join_requested(request, *, to: list[str]) -> OutgoingEmail:
    return mail_queue(
        key=f"join-requested:{request.pk}",
        template="company_join_requested",
        to=to,
        context={"request": request, "url": _client_space_url()},
        related=request.company,
    )


def join_decided(request) -> OutgoingEmail:
    from django.urls import reverse

    from .services import absolute_url

    return mail_queue(
        key=f"join-decided:{request.pk}",
        template="company_join_decided",
        to=[request.user.email],
        context={"request": request, "url": absolute_url(reverse("home"))},
        related=request.company,
    )


def member_invited(user: User, *, company, actor, url: str) -> OutgoingEmail:
    return mail_queue(
        key=f"member-invited:{company.pk}:{user.pk}",
        template="company_member_invited",
        to=[user.email],
        context={"user": user, "company": company, "actor": actor, "url": url},
        related=company,
    )


def member_added(user: User, *, company, actor) -> OutgoingEmail:
    import uuid

    from django.urls import reverse

    from .services import absolute_url

    return mail_queue(
        key=f"member-added:{company.pk}:{user.pk}:{uuid.uuid4().hex}",
        template="company_member_added",
        to=[user.email],
        context={"user": user, "company": company, "actor": actor,
                 "url": absolute_url(reverse("login"))},
        related=company,
    )  # fmt: skip


def member_invite_impossible(email: str, *, company, actor) -> OutgoingEmail:
    import uuid

    return mail_queue(
        key=f"member-invite-impossible:{company.pk}:{uuid.uuid4().hex}",
        template="company_member_invite_impossible",
        to=[email],
        context={"company": company, "actor": actor},
        related=company,
    )


def member_removed(user: User, *, company) -> OutgoingEmail:
    import uuid

    return mail_queue(
        key=f"member-removed:{company.pk}:{user.pk}:{uuid.uuid4().hex}",
        template="company_member_removed",
        to=[user.email],
        context={"user": user, "company": company},
        related=company,
    )
