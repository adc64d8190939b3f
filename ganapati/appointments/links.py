"""The link sent to the person who booked, to cancel or move the call.

The token carries the appointment's id and its nonce, signed with SECRET_KEY (it cannot be
guessed or forged) and timestamped (it expires). Moving the call draws a new nonce, which kills
the links sent before; a link is useless once the call has started or was cancelled.
"""

from __future__ import annotations

import datetime as dt

from django.core import signing
from django.urls import reverse

from ..errors import DomainError
from ..models import Appointment

SALT = "ganapati.appointments.manage"
# Bookings are offered a few weeks ahead: a link older than this is stale whatever happened.
MAX_AGE = dt.timedelta(days=90)
INVALID = (
    "Ce lien n'est pas valide ou a expiré : vérifiez qu'il a été copié en entier, ou utilisez "
    "celui du dernier e-mail reçu (déplacer un rendez-vous remplace le lien)."
)


def make_token(appointment: Appointment) -> str:
    return signing.dumps({"a": appointment.pk, "n": appointment.nonce}, salt=SALT, compress=True)


def manage_path(appointment: Appointment) -> str:
    return reverse("appointment_manage", kwargs={"token": make_token(appointment)})


def read_token(token: str) -> tuple[int, str]:
    """(appointment id, nonce), or DomainError with a French message."""
    try:
        payload = signing.loads(token, salt=SALT, max_age=MAX_AGE)
        return int(payload["a"]), str(payload["n"])
    except (signing.BadSignature, KeyError, TypeError, ValueError) as exc:
        raise DomainError(INVALID) from exc
