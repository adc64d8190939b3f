"""French labels for audit actions and statuses, registered by each app (for timelines)."""

ACTIONS: dict[str, str] = {
    "user.created": "compte créé",
    "user.updated": "compte modifié",
    "user.invited": "invitation envoyée",
    "user.password_reset_requested": "nouveau mot de passe demandé",
    "user.password_reset_throttled": "demande de mot de passe ignorée (trop de demandes)",
    "user.password_changed": "mot de passe modifié",
    "trainer_profile.updated": "profil modifié",
    "organisation.updated": "identité de l'organisme modifiée",
    "email.resent": "e-mail renvoyé",
}
STATUSES: dict[str, str] = {}


def register(*, actions: dict[str, str] | None = None, statuses: dict[str, str] | None = None):
    ACTIONS.update(actions or {})
    STATUSES.update(statuses or {})
