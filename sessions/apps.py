from django.apps import AppConfig


class TrainingSessionsConfig(AppConfig):
    name = "sessions"
    # django.contrib.sessions already owns the label "sessions".
    label = "training_sessions"
    verbose_name = "Sessions de formation"

    def ready(self):
        from ganapati import labels

        from .models import TrainingSession

        labels.register(
            statuses=dict(TrainingSession.Status.choices),
            actions={
                "session.created": "session créée",
                "session.updated": "session modifiée",
                "session.schedule_set": "dates enregistrées",
                "session.awaiting_client": "lien partagé avec le client",
                "session.link_issued": "nouveau lien client",
                "session.link_revoked": "lien client désactivé",
                "session.link_sent": "lien envoyé par e-mail",
                "session.draft": "retour en brouillon",
                "session.ready": "informations du client complétées",
                "session.client_updated": "informations du client mises à jour",
                "session.validated": "session validée",
                "session.cancelled": "session annulée",
            },
        )
