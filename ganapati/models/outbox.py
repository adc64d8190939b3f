"""The email outbox: every email is a row written with the change that causes it."""

from django.contrib.contenttypes.fields import GenericForeignKey
from django.contrib.contenttypes.models import ContentType
from django.db import models
from django.utils import timezone


class OutgoingEmail(models.Model):
    class Status(models.TextChoices):
        QUEUED = "queued", "En file d'attente"
        SENDING = "sending", "En cours d'envoi"
        SENT = "sent", "Envoyé"
        FAILED = "failed", "Échec"

    # One business event (e.g. "password-reset:12:<uuid>") gives at most one email.
    key = models.CharField("clé de l'événement", max_length=200, unique=True)
    template = models.CharField("modèle", max_length=120)
    to = models.JSONField("destinataires", default=list)
    cc = models.JSONField("copie", default=list, blank=True)
    reply_to = models.JSONField("répondre à", default=list, blank=True)
    from_email = models.CharField("expéditeur", max_length=254)
    subject = models.CharField("objet", max_length=250)
    body_text = models.TextField("texte")
    body_html = models.TextField("HTML", blank=True)
    # References to files in the default storage: [{"name", "filename", "mimetype"}].
    attachments = models.JSONField("pièces jointes", default=list, blank=True)
    status = models.CharField(
        "statut", max_length=10, choices=Status.choices, default=Status.QUEUED, db_index=True
    )
    attempts = models.PositiveSmallIntegerField("tentatives", default=0)
    last_error = models.TextField("dernière erreur", blank=True)
    message_id = models.CharField("identifiant fournisseur", max_length=250, blank=True)
    created_at = models.DateTimeField("créé le", default=timezone.now, db_index=True)
    next_attempt_at = models.DateTimeField("prochaine tentative", default=timezone.now)
    sending_started_at = models.DateTimeField("envoi commencé le", null=True, blank=True)
    sent_at = models.DateTimeField("envoyé le", null=True, blank=True)
    # What the email is about (a session, an invoice...), for timelines.
    related_type = models.ForeignKey(
        ContentType,
        verbose_name="type de l'objet lié",
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="+",
    )
    related_id = models.CharField("identifiant de l'objet lié", max_length=64, blank=True)
    related = GenericForeignKey("related_type", "related_id")

    class Meta:
        verbose_name = "e-mail"
        verbose_name_plural = "e-mails (boîte d'envoi)"
        ordering = ["-created_at", "-pk"]
        constraints = [
            models.CheckConstraint(
                condition=models.Q(status__in=["queued", "sending", "sent", "failed"]),
                name="outgoingemail_status_valid",
            ),
            models.CheckConstraint(
                condition=~models.Q(status="sent") | models.Q(sent_at__isnull=False),
                name="outgoingemail_sent_has_date",
            ),
        ]
        indexes = [
            models.Index(fields=["related_type", "related_id"], name="outbox_related"),
        ]

    def __str__(self):
        return f"{self.subject} → {', '.join(self.to)}"
