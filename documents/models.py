"""Versioned records of the PDFs rendered for any object of the project.

The documents app is a rendering and storage service: it knows nothing of sessions, funding or
billing. A document belongs to an *owner* (any model: a training session, a payout...) and,
for individual documents (a trainee's certificate), to a *subject*; both are generic relations.
The apps that own document kinds register them with `documents.registry`.
"""

from django.conf import settings
from django.contrib.contenttypes.fields import GenericForeignKey
from django.contrib.contenttypes.models import ContentType
from django.db import models
from django.utils import timezone


class DocumentQuerySet(models.QuerySet):
    def for_owner(self, owner) -> "DocumentQuerySet":
        return self.filter(owner_type=ContentType.objects.get_for_model(owner), owner_id=owner.pk)

    def for_subject(self, subject) -> "DocumentQuerySet":
        if subject is None:
            return self.filter(subject_type__isnull=True)
        return self.filter(
            subject_type=ContentType.objects.get_for_model(subject), subject_id=subject.pk
        )


class Document(models.Model):
    class Status(models.TextChoices):
        PENDING = "pending", "En cours de génération"
        READY = "ready", "Prêt"
        FAILED = "failed", "Échec de la génération"

    owner_type = models.ForeignKey(
        ContentType, on_delete=models.PROTECT, related_name="+", verbose_name="type d'objet"
    )
    owner_id = models.PositiveBigIntegerField("objet")
    owner = GenericForeignKey("owner_type", "owner_id")
    # For individual documents (a certificate, an attestation): whom it is about.
    subject_type = models.ForeignKey(
        ContentType, on_delete=models.PROTECT, null=True, blank=True, related_name="+",
        verbose_name="type de personne",
    )  # fmt: skip
    subject_id = models.PositiveBigIntegerField("personne", null=True, blank=True)
    subject = GenericForeignKey("subject_type", "subject_id")
    kind = models.CharField("type", max_length=20)
    # "Devis S-2026-00012", "Certificat de réalisation S-2026-00012-Martin Paul": set by the
    # owning app when the version is asked for; the file is named after it.
    title = models.CharField("intitulé", max_length=250)
    version = models.PositiveIntegerField("version")
    # The change that asked for this version ("session.validated", ...): one version per change.
    source = models.CharField("cause", max_length=80)
    status = models.CharField(
        "statut", max_length=10, choices=Status.choices, default=Status.PENDING
    )
    file = models.FileField("fichier", upload_to="documents/%Y/%m/", blank=True)
    sha256 = models.CharField("empreinte SHA-256", max_length=64, blank=True)
    size = models.PositiveIntegerField("taille (octets)", default=0)
    # CRC-32 of the file, kept when it is written so the audit ZIP streams it in one reading
    # (issue 17); empty for rows written before: the export computes it and fills it in.
    crc32 = models.PositiveBigIntegerField("CRC-32", null=True, blank=True, editable=False)
    attempts = models.PositiveSmallIntegerField("tentatives", default=0)
    last_error = models.TextField("dernière erreur", blank=True)
    created_at = models.DateTimeField("créé le", default=timezone.now)
    # When the rendering was last queued or tried: the sweeper re-queues what stays pending.
    queued_at = models.DateTimeField("mis en file le", default=timezone.now, db_index=True)
    rendered_at = models.DateTimeField("généré le", null=True, blank=True)
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        on_delete=models.SET_NULL,
        null=True,
        blank=True,
        related_name="+",
        verbose_name="demandé par",
    )

    objects = DocumentQuerySet.as_manager()

    class Meta:
        verbose_name = "document"
        verbose_name_plural = "documents"
        ordering = ["owner_type", "owner_id", "kind", "subject_id", "-version"]
        indexes = [models.Index(fields=["owner_type", "owner_id", "kind"], name="document_owner")]
        constraints = [
            # One version number and one version per cause, per document (and per person for
            # individual documents). Partial constraints rather than NULLS NOT DISTINCT, which
            # SQLite does not have.
            models.UniqueConstraint(
                fields=["owner_type", "owner_id", "kind", "version"],
                condition=models.Q(subject_id__isnull=True),
                name="document_unique_version",
            ),
            models.UniqueConstraint(
                fields=["owner_type", "owner_id", "kind", "subject_type", "subject_id", "version"],
                condition=models.Q(subject_id__isnull=False),
                name="document_unique_version_per_subject",
            ),
            models.UniqueConstraint(
                fields=["owner_type", "owner_id", "kind", "source"],
                condition=models.Q(subject_id__isnull=True),
                name="document_unique_source",
            ),
            models.UniqueConstraint(
                fields=["owner_type", "owner_id", "kind", "subject_type", "subject_id", "source"],
                condition=models.Q(subject_id__isnull=False),
                name="document_unique_source_per_subject",
            ),
            models.CheckConstraint(
                condition=models.Q(subject_type__isnull=True, subject_id__isnull=True)
                | models.Q(subject_type__isnull=False, subject_id__isnull=False),
                name="document_subject_whole",
            ),
            models.CheckConstraint(
                condition=models.Q(status__in=["pending", "ready", "failed"]),
                name="document_status_valid",
            ),
            models.CheckConstraint(
                condition=~models.Q(status="ready") | ~models.Q(sha256=""),
                name="document_ready_has_hash",
            ),
        ]

    def __str__(self):
        return f"{self.title} v{self.version}"

    @property
    def kind_label(self) -> str:
        from .registry import label

        return label(self.kind)

    @property
    def filename(self) -> str:
        return f"{self.title} v{self.version}.pdf"
