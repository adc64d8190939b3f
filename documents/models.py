"""Legal documents: versioned records of the PDFs rendered from a session."""

from django.conf import settings
from django.db import models
from django.utils import timezone


class DocumentKind(models.TextChoices):
    QUOTE = "devis", "Devis"
    AGREEMENT = "convention", "Convention de formation"
    PROGRAMME = "programme", "Programme de formation"
    ATTENDANCE = "emargement", "Feuille d'émargement"
    CERTIFICATE = "certificat", "Certificat de réalisation"
    ATTESTATION = "attestation", "Attestation de fin de formation"


class Document(models.Model):
    class Status(models.TextChoices):
        PENDING = "pending", "En cours de génération"
        READY = "ready", "Prêt"
        FAILED = "failed", "Échec de la génération"

    session = models.ForeignKey(
        "training_sessions.TrainingSession",
        on_delete=models.PROTECT,
        related_name="documents",
        verbose_name="session",
    )
    kind = models.CharField("type", max_length=12, choices=DocumentKind.choices)
    # For per-trainee documents (certificate, attestation).
    trainee = models.ForeignKey(
        "training_sessions.Trainee",
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="documents",
        verbose_name="stagiaire",
    )
    version = models.PositiveIntegerField("version")
    # The change that asked for this version ("session.validated", ...): one version per change.
    source = models.CharField("cause", max_length=80)
    status = models.CharField(
        "statut", max_length=10, choices=Status.choices, default=Status.PENDING
    )
    file = models.FileField("fichier", upload_to="documents/%Y/%m/", blank=True)
    sha256 = models.CharField("empreinte SHA-256", max_length=64, blank=True)
    size = models.PositiveIntegerField("taille (octets)", default=0)
    attempts = models.PositiveSmallIntegerField("tentatives", default=0)
    last_error = models.TextField("dernière erreur", blank=True)
    created_at = models.DateTimeField("créé le", default=timezone.now)
    rendered_at = models.DateTimeField("généré le", null=True, blank=True)
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        on_delete=models.SET_NULL,
        null=True,
        blank=True,
        related_name="+",
        verbose_name="demandé par",
    )

    class Meta:
        verbose_name = "document"
        verbose_name_plural = "documents"
        ordering = ["session", "kind", "trainee", "-version"]
        constraints = [
            # One version number and one version per cause, per document (and per trainee for
            # individual documents). Two partial constraints rather than NULLS NOT DISTINCT,
            # which SQLite does not have.
            models.UniqueConstraint(
                fields=["session", "kind", "version"],
                condition=models.Q(trainee__isnull=True),
                name="document_unique_version",
            ),
            models.UniqueConstraint(
                fields=["session", "kind", "trainee", "version"],
                condition=models.Q(trainee__isnull=False),
                name="document_unique_version_per_trainee",
            ),
            models.UniqueConstraint(
                fields=["session", "kind", "source"],
                condition=models.Q(trainee__isnull=True),
                name="document_unique_source",
            ),
            models.UniqueConstraint(
                fields=["session", "kind", "trainee", "source"],
                condition=models.Q(trainee__isnull=False),
                name="document_unique_source_per_trainee",
            ),
            models.CheckConstraint(
                condition=~models.Q(status="ready") | ~models.Q(sha256=""),
                name="document_ready_has_hash",
            ),
        ]

    def __str__(self):
        who = f" — {self.trainee}" if self.trainee_id else ""
        return f"{self.get_kind_display()}{who} v{self.version} ({self.session.reference})"

    @property
    def reference(self) -> str:
        return f"{self.kind.upper()}-{self.session.reference}-v{self.version}"

    @property
    def filename(self) -> str:
        who = f"-{self.trainee.last_name} {self.trainee.first_name}" if self.trainee_id else ""
        return f"{self.get_kind_display()} {self.session.reference}{who} v{self.version}.pdf"
