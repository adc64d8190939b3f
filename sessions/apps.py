from django.apps import AppConfig


class TrainingSessionsConfig(AppConfig):
    name = "sessions"
    # django.contrib.sessions already owns the label "sessions".
    label = "training_sessions"
    verbose_name = "Sessions de formation"

    def ready(self):
        from documents.events import document_ready
        from ganapati import labels
        from ganapati.events import membership_ended, organisation_document_published

        # The public pages (catalogue, programme page with its indicators) show these.
        from ganapati.models import Organisation, User
        from ganapati.pagecache import invalidate_on

        from . import (
            queues,  # noqa: F401  (the staff home's chart of sessions by state)
            receivers,
        )
        from .documents import register_kinds, register_organisation_kinds, register_signed_sheet
        from .models import (
            Attendance,
            Programme,
            QuestionnaireResponse,
            SessionDay,
            Trainee,
            TrainingSession,
        )

        invalidate_on(Organisation, User, Programme, TrainingSession, SessionDay, Trainee,
                      Attendance, QuestionnaireResponse)  # fmt: skip

        from ganapati import files

        from .completion import attestation_about

        files.register_about("document.attestation", attestation_about)
        register_kinds()
        register_signed_sheet()
        register_organisation_kinds()
        document_ready.connect(receivers.send_validation_pack_when_ready)
        document_ready.connect(receivers.log_signed_sheet_seal)
        document_ready.connect(receivers.send_completion_papers_when_ready)
        membership_ended.connect(receivers.detach_contact_when_membership_ends)
        organisation_document_published.connect(receivers.render_organisation_document)
        from .events import session_completed

        session_completed.connect(receivers.invite_hot_questionnaire)

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
                "session.contact_confirmed": "contact du client confirmé",
                "session.contact_removed": "contact retiré (non reconnu par l'entreprise)",
                "session.validated": "session validée",
                "session.funded": "feu vert : financement accordé",
                "session.running": "session démarrée",
                "session.attendance_recorded": "émargement saisi",
                "session.attendance_scan": "feuille signée déposée",
                "session.completed": "session terminée",
                "session.cancelled": "session annulée",
                "document.requested": "document demandé",
                "document.retried": "génération relancée",
                "documents.sent": "documents envoyés au client",
                "documents.attestation_sent": "attestation envoyée au stagiaire",
                "documents.certificates_sent": "certificats de réalisation envoyés au client",
                "funding.uploaded": "accord de prise en charge déposé",
                "funding.validated": "accord de prise en charge validé",
                "funding.rejected": "dépôt de l'accord refusé",
                "funding.client_committed": "engagement de paiement du client",
                "billing.prepared": "factures préparées",
                "billing.issued": "facture émise",
                "billing.credited": "avoir émis",
                "billing.payment": "paiement enregistré",
                "billing.session_paid": "factures payées",
                "billing.payout_ready": "versement au formateur prêt",
                "billing.trainer_invoice": "facture du formateur déposée",
                "billing.self_billed": "facture du formateur établie (autofacturation)",
                "billing.payout_batched": "virement préparé (SEPA)",
                "billing.payout_paid": "formateur payé",
            },
        )
