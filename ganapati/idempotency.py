"""Forms that create money or state are recorded once, however often they are sent.

A double click, a second tab or a browser retry sends the same rendered form again. Each
rendering carries a token in a hidden field; the service consumes it inside its own
transaction, so exactly one of the concurrent submissions is recorded and the others get a
French error:

    # the view, when it renders the form
    context["form_token"] = form_token_issue(scope=f"billing.payment:{invoice.pk}", user=user)
    #   template: <input type="hidden" name="form_token" value="{{ form_token }}">

    # the service, first thing in its @transaction.atomic body
    form_token_consume(token=form_token, scope=f"billing.payment:{invoice.pk}", user=actor)

The token is signed (scope, user and a random nonce, valid `MAX_AGE`): nothing is written
when a form is shown. Consuming it inserts a `FormToken` row whose nonce is unique: a
concurrent second insert waits for the first transaction, then fails once it commits (or
succeeds if it rolled back, since then nothing was recorded). Rows older than `MAX_AGE` can
be deleted (`form_tokens_purge`): their tokens have expired anyway.
"""

from __future__ import annotations

import secrets
from datetime import timedelta

from django.core import signing
from django.db import IntegrityError, transaction
from django.utils import timezone

from .errors import DomainError
from .models import FormToken

FIELD = "form_token"
SALT = "ganapati.form-token"
MAX_AGE = timedelta(hours=12)
ALREADY_SENT = (
    "Ce formulaire a déjà été envoyé : il n'a été enregistré qu'une fois. Vérifiez le résultat "
    "avant de recommencer."
)
INVALID = (
    "Ce formulaire n'est plus valable : rechargez la page, vérifiez puis envoyez-le de nouveau."
)
EXPIRED = "Ce formulaire a expiré : rechargez la page, vérifiez puis envoyez-le de nouveau."


def form_token_issue(*, scope: str, user) -> str:
    """A new token for one rendering of the form `scope`, for `user`."""
    return signing.dumps(
        {"n": secrets.token_urlsafe(24), "s": scope, "u": getattr(user, "pk", None)}, salt=SALT
    )


def form_token_consume(*, token: str, scope: str, user) -> FormToken:
    """Mark the token used, inside the caller's transaction; DomainError (French) when it is
    missing, forged, for another form or user, expired, or already used."""
    if not transaction.get_connection().in_atomic_block:
        raise RuntimeError("form_token_consume runs inside the service's transaction.")
    try:
        data = signing.loads(token or "", salt=SALT, max_age=MAX_AGE)
    except signing.SignatureExpired as exc:
        raise DomainError(EXPIRED) from exc
    except signing.BadSignature as exc:
        raise DomainError(INVALID) from exc
    if (
        not isinstance(data, dict)
        or data.get("s") != scope
        or data.get("u") != getattr(user, "pk", None)
        or not isinstance(data.get("n"), str)
    ):
        raise DomainError(INVALID)
    try:
        # A savepoint: losing the race must not break the caller's transaction on PostgreSQL.
        with transaction.atomic():
            return FormToken.objects.create(
                token=data["n"], scope=scope[:120], user=user if getattr(user, "pk", None) else None
            )
    except IntegrityError as exc:
        raise DomainError(ALREADY_SENT) from exc


def form_token_from(request) -> str:
    """The token a form sent back ("" when there is none: consuming it then fails)."""
    return request.POST.get(FIELD, "")


def form_tokens_purge(*, now=None) -> int:
    """Delete the records of tokens that have expired (they cannot be replayed anyway)."""
    now = now or timezone.now()
    deleted, _ = FormToken.objects.filter(used_at__lt=now - MAX_AGE).delete()
    return deleted
