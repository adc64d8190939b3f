"""Funding: the IDCC → OPCO table, the funder's agreement (PEC) and the client's commitment."""

from django.db import models

from ganapati.fields import DurationMinutesField
from ganapati.models import Funder


class CollectiveAgreement(models.Model):
    """A collective agreement (IDCC) and the OPCO it belongs to: how a company finds its OPCO."""

    class Source(models.TextChoices):
        REPOSITORY = "repo", "Table de la plateforme"
        FRANCE_COMPETENCES = "france_competences", "Import France Compétences"
        MINISTRY_2019 = "ministere_2019", "Table du ministère du Travail (2019)"

    idcc = models.CharField("IDCC", max_length=4, unique=True)
    title = models.CharField("intitulé de la convention", max_length=250, blank=True)
    opco = models.ForeignKey(
        Funder,
        verbose_name="OPCO",
        on_delete=models.PROTECT,
        related_name="agreements",
        limit_choices_to={"kind": Funder.Kind.OPCO},
    )
    source = models.CharField("source", max_length=20, choices=Source.choices)
    updated_at = models.DateTimeField("mis à jour le", auto_now=True)

    class Meta:
        verbose_name = "convention collective"
        verbose_name_plural = "conventions collectives (IDCC → OPCO)"
        ordering = ["idcc"]

    def __str__(self):
        return f"IDCC {self.idcc_display} — {self.title}" if self.title else f"IDCC {self.idcc}"

    @property
    def idcc_display(self) -> str:
        """As written on payslips: four digits."""
        return self.idcc.zfill(4)


class FundingRequest(models.Model):
    """The funder's agreement (PEC) for one session: uploaded by the client, checked by staff."""

    class Status(models.TextChoices):
        UPLOADED = "uploaded", "Déposée, à vérifier"
        VALIDATED = "validated", "Validée par l'équipe"
        REJECTED = "rejected", "Refusée par l'équipe (à redéposer)"

    class Decision(models.TextChoices):
        TOTAL = "total", "Prise en charge totale"
        PARTIAL = "partial", "Prise en charge partielle"
        REFUSED = "refused", "Refus de prise en charge"

    session = models.OneToOneField(
        "training_sessions.TrainingSession",
        on_delete=models.PROTECT,
        related_name="funding_request",
        verbose_name="session",
    )
    funder = models.ForeignKey(Funder, on_delete=models.PROTECT, verbose_name="financeur")
    status = models.CharField("statut", max_length=10, choices=Status.choices, db_index=True)
    decision = models.CharField("décision du financeur", max_length=10, choices=Decision.choices)
    file_number = models.CharField("n° de dossier du financeur", max_length=80, blank=True)
    amount_granted = models.DecimalField(
        "montant accordé HT (€)", max_digits=10, decimal_places=2, default=0
    )
    minutes_granted = DurationMinutesField("durée accordée", default=0)
    # The session's price excluding tax when the PEC was recorded, kept so that the database
    # itself refuses a PEC above the price (a CHECK cannot read another table).
    session_price = models.DecimalField(
        "prix de la session HT à l'enregistrement", max_digits=10, decimal_places=2, null=True,
        blank=True, editable=False,
    )  # fmt: skip
    subrogation = models.BooleanField("subrogation de paiement", default=False)
    valid_from = models.DateField("valable du", null=True, blank=True)
    valid_until = models.DateField("valable jusqu'au", null=True, blank=True)
    uploaded_at = models.DateTimeField("déposé le")
    reviewed_by = models.ForeignKey(
        "ganapati.User", on_delete=models.SET_NULL, null=True, blank=True, related_name="+",
        verbose_name="vérifié par",
    )  # fmt: skip
    reviewed_at = models.DateTimeField("vérifié le", null=True, blank=True)
    rejection_reason = models.TextField("motif du refus", blank=True)

    class Meta:
        verbose_name = "accord de prise en charge (PEC)"
        verbose_name_plural = "accords de prise en charge (PEC)"
        ordering = ["uploaded_at"]
        constraints = [
            models.CheckConstraint(
                condition=~models.Q(status="rejected") | ~models.Q(rejection_reason=""),
                name="funding_rejected_has_reason",
            ),
            models.CheckConstraint(
                condition=models.Q(amount_granted__gte=0, minutes_granted__gte=0),
                name="funding_amounts_positive",
            ),
            models.CheckConstraint(
                condition=models.Q(session_price__isnull=True)
                | models.Q(amount_granted__lte=models.F("session_price")),
                name="funding_granted_le_price",
            ),
            models.CheckConstraint(
                condition=models.Q(valid_from__isnull=True)
                | models.Q(valid_until__isnull=True)
                | models.Q(valid_until__gte=models.F("valid_from")),
                name="funding_validity_ordered",
            ),
        ]

    def __str__(self):
        return f"PEC {self.funder} — {self.session.reference}"


class PecUpload(models.Model):
    """Every PDF the client uploaded for a funding request (each version is kept)."""

    request = models.ForeignKey(
        FundingRequest, on_delete=models.PROTECT, related_name="uploads", verbose_name="PEC"
    )
    file = models.FileField("fichier", upload_to="pec/%Y/%m/")
    original_name = models.CharField("nom d'origine (affichage seulement)", max_length=200)
    sha256 = models.CharField("empreinte SHA-256", max_length=64)
    size = models.PositiveIntegerField("taille (octets)")
    # CRC-32 of the file, kept when it is written so the audit ZIP streams it in one reading
    # (issue 17); empty for rows written before: the export computes it and fills it in.
    crc32 = models.PositiveBigIntegerField("CRC-32", null=True, blank=True, editable=False)
    uploaded_by = models.ForeignKey(
        "ganapati.User", on_delete=models.SET_NULL, null=True, related_name="+",
        verbose_name="déposé par",
    )  # fmt: skip
    uploaded_at = models.DateTimeField("déposé le", auto_now_add=True)
    # What the auto-check read in the PDF (funding/pec_check.py), filled by a task after upload.
    facts = models.JSONField("éléments lus dans le PDF", null=True, blank=True, editable=False)

    class Meta:
        verbose_name = "PDF de PEC déposé"
        verbose_name_plural = "PDF de PEC déposés"
        ordering = ["-uploaded_at", "-pk"]

    def __str__(self):
        return self.original_name


class ClientCommitment(models.Model):
    """The client's recorded commitment to pay what no funder pays (who, when, from where)."""

    class Kind(models.TextChoices):
        REMAINDER = "remainder", "Reste à charge après une prise en charge partielle"
        SELF_PAY = "self_pay", "Financement par l'entreprise elle-même"

    session = models.ForeignKey(
        "training_sessions.TrainingSession", on_delete=models.PROTECT,
        related_name="commitments", verbose_name="session",
    )  # fmt: skip
    kind = models.CharField("nature", max_length=10, choices=Kind.choices)
    amount = models.DecimalField("montant HT à la charge du client (€)", max_digits=10,
                                 decimal_places=2)  # fmt: skip
    accepted_by = models.ForeignKey(
        "ganapati.User", on_delete=models.PROTECT, related_name="+", verbose_name="accepté par"
    )
    accepted_at = models.DateTimeField("accepté le", auto_now_add=True)
    accepted_ip = models.GenericIPAddressField("adresse IP", null=True, blank=True)

    class Meta:
        verbose_name = "engagement du client"
        verbose_name_plural = "engagements des clients"
        ordering = ["-accepted_at"]

    def __str__(self):
        return f"{self.get_kind_display()} — {self.session.reference}"
