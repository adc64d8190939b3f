"""The secure link shared with the client: a signed token that expires and can be revoked.

The token carries the session's id and the link's version, signed with SECRET_KEY: it cannot be
guessed or forged. Revoking or re-issuing bumps the version, which kills every earlier token.
"""

from datetime import timedelta

from django.core import signing
from django.utils import timezone

SALT = "ganapati.sessions.client-link"
LINK_VALIDITY = timedelta(days=30)


class LinkError(Exception):
    def __init__(self, message: str):
        super().__init__(message)
        self.message = message


def make_token(session) -> str:
    return signing.dumps({"s": session.pk, "v": session.link_version}, salt=SALT, compress=True)


def read_token(token: str) -> tuple[int, int]:
    """(session id, version) from a token, or LinkError with a French message."""
    try:
        payload = signing.loads(token, salt=SALT)
        return int(payload["s"]), int(payload["v"])
    except (signing.BadSignature, KeyError, TypeError, ValueError) as exc:
        raise LinkError(
            "Ce lien n'est pas valide : vérifiez qu'il a été copié en entier, ou demandez un "
            "nouveau lien à votre formateur."
        ) from exc


def check_link(session, version: int) -> None:
    if session.link_revoked or version != session.link_version:
        raise LinkError("Ce lien a été désactivé par le formateur. Demandez-lui le nouveau lien.")
    if session.link_expires_at and session.link_expires_at < timezone.now():
        raise LinkError("Ce lien a expiré. Demandez un nouveau lien à votre formateur.")


CONTACT_SALT = "ganapati.sessions.contact-confirm"
CONTACT_VALIDITY = timedelta(days=7)


def make_contact_token(session, email: str) -> str:
    """Sent to an address that already has an account, named as the session's contact."""
    return signing.dumps({"s": session.pk, "e": email.lower()}, salt=CONTACT_SALT, compress=True)


def read_contact_token(token: str) -> tuple[int, str]:
    try:
        payload = signing.loads(token, salt=CONTACT_SALT, max_age=CONTACT_VALIDITY.total_seconds())
        return int(payload["s"]), str(payload["e"])
    except signing.SignatureExpired as exc:
        raise LinkError(
            "Ce lien a expiré : demandez au formateur de vous l'envoyer de nouveau."
        ) from exc
    except (signing.BadSignature, KeyError, TypeError, ValueError) as exc:
        raise LinkError("Ce lien n'est pas valide : vérifiez qu'il a été copié en entier.") from exc
