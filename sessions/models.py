"""Training sessions: what is taught, when, for how much, to whom, and where it stands."""

from __future__ import annotations

import datetime as dt
from decimal import Decimal

from django.conf import settings
from django.core.validators import MaxValueValidator, MinValueValidator
from django.db import models
from django.utils import timezone

from ganapati.fields import DurationMinutesField

# What the forms allow, and the database too: the largest session this product runs.
MAX_TRAINEES = 100
MAX_DAYS = 60
MAX_PRICE = Decimal("999999.99")  # € excl. tax, per session or per trainee
MAX_MINUTES = MAX_DAYS * 24 * 60  # a declared duration cannot exceed the days it may span


class Format(models.TextChoices):
    ON_SITE = "on_site", "Présentiel"
    REMOTE = "remote", "À distance"
    MIXED = "mixed", "Mixte (présentiel et distance)"


class PriceBasis(models.TextChoices):
    PER_SESSION = "per_session", "Par session (forfait groupe)"
    PER_TRAINEE = "per_trainee", "Par stagiaire"


class FundingMode(models.TextChoices):
    OPCO_SUBROGATION = "opco_subrogation", "OPCO, avec subrogation de paiement"
    OPCO_DIRECT = "opco_direct", "OPCO, sans subrogation (l'entreprise paie puis est remboursée)"
    AGEFICE = "agefice", "AGEFICE"
    FIFPL = "fifpl", "FIFPL"
    COMPANY = "company", "L'entreprise finance elle-même"


class TrainingContent(models.Model):
    """What a training is. Shared by reusable programmes and the sessions made from them."""

    title = models.CharField("intitulé de la formation", max_length=200)
    objectives = models.TextField(
        "objectifs opérationnels et évaluables",
        help_text="Ce que les stagiaires sauront faire à l'issue, de façon vérifiable.",
    )
    audience = models.TextField("public visé")
    prerequisites = models.TextField("prérequis", default="Aucun prérequis.")
    modules = models.JSONField(
        "contenu (modules ou séquences, dans l'ordre)", default=list, blank=True
    )
    methods = models.TextField("méthodes et moyens pédagogiques")
    assessment = models.TextField("modalités d'évaluation")
    accessibility = models.TextField(
        "accessibilité aux personnes en situation de handicap",
        default="Formation accessible aux personnes en situation de handicap : contactez-nous "
        "avant l'inscription pour étudier les adaptations nécessaires.",
    )
    accessibility_contact = models.CharField("référent handicap (nom et contact)", max_length=200)
    access_terms = models.TextField(
        "modalités et délais d'accès",
        default="Inscription au plus tard 15 jours avant le début de la formation, "
        "le temps d'obtenir l'accord de financement.",
    )
    duration_minutes = DurationMinutesField(
        "durée",
        validators=[MinValueValidator(30), MaxValueValidator(MAX_MINUTES)],
        help_text="En heures et minutes : « 14 », « 14 h », « 3 h 20 ».",
    )
    format = models.CharField("modalité", max_length=10, choices=Format.choices)
    location = models.TextField(
        "lieu ou modalités de connexion",
        help_text="Adresse du lieu, ou outil et modalités de connexion pour la distance.",
    )
    price_excl_tax = models.DecimalField(
        "prix HT (€)",
        max_digits=10,
        decimal_places=2,
        null=True,
        blank=True,
        validators=[MinValueValidator(Decimal("0")), MaxValueValidator(MAX_PRICE)],
    )
    price_basis = models.CharField(
        "base du prix", max_length=12, choices=PriceBasis.choices, default=PriceBasis.PER_SESSION
    )

    class Meta:
        abstract = True

    CONTENT_FIELDS = [
        "title", "objectives", "audience", "prerequisites", "modules", "methods", "assessment",
        "accessibility", "accessibility_contact", "access_terms", "duration_minutes", "format",
        "location", "price_excl_tax", "price_basis",
    ]  # fmt: skip

    def content_values(self) -> dict:
        return {name: getattr(self, name) for name in self.CONTENT_FIELDS}


class Programme(TrainingContent):
    """A training the trainer offers: reusable for new sessions, published on a public page."""

    trainer = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name="formateur",
        on_delete=models.PROTECT,
        related_name="programmes",
    )
    published = models.BooleanField("publié au catalogue", default=True)
    created_at = models.DateTimeField("créé le", default=timezone.now)
    updated_at = models.DateTimeField("version du", auto_now=True)

    class Meta:
        verbose_name = "programme de formation"
        verbose_name_plural = "programmes de formation"
        ordering = ["title"]
        indexes = [
            # The public catalogue: published programmes by title, one page at a time.
            models.Index(
                fields=["title", "id"], condition=models.Q(published=True),
                name="programme_published_title",
            ),
        ]  # fmt: skip
        constraints = [
            models.CheckConstraint(
                condition=models.Q(price_excl_tax__isnull=True)
                | models.Q(price_excl_tax__gte=0, price_excl_tax__lte=MAX_PRICE),
                name="programme_price_bounded",
            ),
        ]

    def __str__(self):
        return self.title


class TrainingSession(TrainingContent):
    class Status(models.TextChoices):
        DRAFT = "draft", "Brouillon"
        AWAITING_CLIENT = "awaiting_client", "En attente du client"
        READY = "ready", "Prête à valider"
        VALIDATED = "validated", "Validée"
        FUNDED = "funded", "Financement accordé"
        RUNNING = "running", "En cours"
        COMPLETED = "completed", "Terminée"
        CANCELLED = "cancelled", "Annulée"

    trainer = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name="formateur",
        on_delete=models.PROTECT,
        related_name="training_sessions",
    )
    programme = models.ForeignKey(
        Programme,
        verbose_name="programme d'origine",
        on_delete=models.SET_NULL,
        null=True,
        blank=True,
        related_name="sessions",
    )
    status = models.CharField(
        "statut", max_length=20, choices=Status.choices, default=Status.DRAFT, db_index=True
    )
    trainees_min = models.PositiveSmallIntegerField(
        "stagiaires (minimum)",
        default=1,
        validators=[MinValueValidator(1), MaxValueValidator(MAX_TRAINEES)],
    )
    trainees_max = models.PositiveSmallIntegerField(
        "stagiaires (maximum)",
        default=12,
        validators=[MinValueValidator(1), MaxValueValidator(MAX_TRAINEES)],
        help_text=f"{MAX_TRAINEES} au plus par session.",
    )
    # The client side.
    company = models.ForeignKey(
        "ganapati.Company",
        verbose_name="entreprise cliente",
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="training_sessions",
    )
    contact = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name="contact client",
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="client_sessions",
    )
    funding_mode = models.CharField(
        "financement", max_length=20, choices=FundingMode.choices, blank=True
    )
    funder = models.ForeignKey(
        "ganapati.Funder",
        verbose_name="financeur",
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="sessions",
    )
    client_completed_at = models.DateTimeField("complété par le client le", null=True, blank=True)
    # The client's details exactly as typed (link or trainer): the form shows them back, and
    # staff compare them with the company's record. An existing company is never rewritten
    # from them, and an existing account is never attached from them.
    client_submission = models.JSONField("informations saisies", default=dict, blank=True)
    # The shared link: a signed token carrying (session, version); revoking bumps the version.
    link_version = models.PositiveIntegerField("version du lien", default=0)
    link_expires_at = models.DateTimeField("lien valable jusqu'au", null=True, blank=True)
    link_revoked = models.BooleanField("lien révoqué", default=False)
    # Bumped on every change of the client's data, so that a stale form is noticed.
    revision = models.PositiveIntegerField("révision", default=0)
    validated_at = models.DateTimeField("validée le", null=True, blank=True)
    funded_at = models.DateTimeField("feu vert le", null=True, blank=True)
    started_at = models.DateTimeField("démarrée le", null=True, blank=True)
    completed_at = models.DateTimeField("terminée le", null=True, blank=True)
    cancelled_at = models.DateTimeField("annulée le", null=True, blank=True)
    cancel_reason = models.TextField("motif d'annulation", blank=True)
    created_at = models.DateTimeField("créée le", default=timezone.now, db_index=True)
    updated_at = models.DateTimeField("mise à jour le", auto_now=True)

    class Meta:
        verbose_name = "session de formation"
        verbose_name_plural = "sessions de formation"
        ordering = ["-created_at", "-pk"]
        # One per list filter + order, so a page is read from the index whatever the number
        # of sessions: the trainer's dashboard (optionally by status), the client space.
        indexes = [
            models.Index(fields=["trainer", "-created_at", "-id"], name="session_trainer_recent"),
            models.Index(
                fields=["trainer", "status", "-created_at", "-id"],
                name="session_trainer_status_recent",
            ),
            models.Index(fields=["company", "-created_at", "-id"], name="session_company_recent"),
            # The staff's list in the admin (every session, newest first).
            models.Index(fields=["-created_at", "-id"], name="session_recent"),
        ]
        constraints = [
            models.CheckConstraint(
                condition=models.Q(
                    status__in=[
                        "draft",
                        "awaiting_client",
                        "ready",
                        "validated",
                        "funded",
                        "running",
                        "completed",
                        "cancelled",
                    ]
                ),
                name="session_status_valid",
            ),
            models.CheckConstraint(
                condition=models.Q(trainees_min__lte=models.F("trainees_max")),
                name="session_trainees_min_le_max",
            ),
            models.CheckConstraint(
                condition=models.Q(trainees_max__lte=MAX_TRAINEES),
                name="session_trainees_max_bounded",
            ),
            models.CheckConstraint(
                condition=models.Q(price_excl_tax__isnull=True)
                | models.Q(price_excl_tax__gte=0, price_excl_tax__lte=MAX_PRICE),
                name="session_price_bounded",
            ),
            models.CheckConstraint(
                condition=~models.Q(
                    status__in=["ready", "validated", "funded", "running", "completed"]
                )
                | models.Q(company__isnull=False),
                name="session_ready_has_company",
            ),
            # The contact may still have to confirm their address when the session is ready;
            # it is validated only with a confirmed contact.
            models.CheckConstraint(
                condition=~models.Q(status__in=["validated", "funded", "running", "completed"])
                | models.Q(contact__isnull=False),
                name="session_validated_has_contact",
            ),
            models.CheckConstraint(
                condition=~models.Q(status__in=["validated", "funded", "running", "completed"])
                | models.Q(validated_at__isnull=False),
                name="session_validated_has_date",
            ),
        ]

    def __str__(self):
        return f"{self.reference} — {self.title}"

    @property
    def reference(self) -> str:
        year = timezone.localtime(self.created_at).year
        return f"S-{year}-{self.pk:05d}" if self.pk else "S-brouillon"

    @property
    def is_editable(self) -> bool:
        """Commercial terms are frozen at validation."""
        return self.status in {self.Status.DRAFT, self.Status.AWAITING_CLIENT, self.Status.READY}


class SessionDay(models.Model):
    """One day of a session, with a morning and/or an afternoon slot (attendance half-days)."""

    session = models.ForeignKey(TrainingSession, on_delete=models.CASCADE, related_name="days")
    date = models.DateField("date")
    morning_start = models.TimeField("début matin", null=True, blank=True)
    morning_end = models.TimeField("fin matin", null=True, blank=True)
    afternoon_start = models.TimeField("début après-midi", null=True, blank=True)
    afternoon_end = models.TimeField("fin après-midi", null=True, blank=True)

    class Meta:
        verbose_name = "journée"
        verbose_name_plural = "journées"
        ordering = ["date"]
        constraints = [
            models.UniqueConstraint(fields=["session", "date"], name="sessionday_unique_date"),
            models.CheckConstraint(
                condition=models.Q(morning_start__isnull=True, morning_end__isnull=True)
                | models.Q(morning_start__lt=models.F("morning_end")),
                name="sessionday_morning_ordered",
            ),
            models.CheckConstraint(
                condition=models.Q(afternoon_start__isnull=True, afternoon_end__isnull=True)
                | models.Q(afternoon_start__lt=models.F("afternoon_end")),
                name="sessionday_afternoon_ordered",
            ),
        ]

    def __str__(self):
        return f"{self.date:%d/%m/%Y}"

    @staticmethod
    def _minutes(start: dt.time | None, end: dt.time | None) -> int:
        if not start or not end:
            return 0
        return (end.hour * 60 + end.minute) - (start.hour * 60 + start.minute)

    @property
    def minutes(self) -> int:
        return self._minutes(self.morning_start, self.morning_end) + self._minutes(
            self.afternoon_start, self.afternoon_end
        )

    def half_minutes(self, half: str) -> int:
        if half == "am":
            return self._minutes(self.morning_start, self.morning_end)
        return self._minutes(self.afternoon_start, self.afternoon_end)

    def half_bounds(self, half: str) -> tuple[dt.datetime, dt.datetime] | None:
        """When a half-day begins and ends, aware, in the organisation's time zone."""
        start, end = (
            (self.morning_start, self.morning_end) if half == "am"
            else (self.afternoon_start, self.afternoon_end)
        )  # fmt: skip
        if not start or not end:
            return None
        zone = timezone.get_default_timezone()
        return (
            timezone.make_aware(dt.datetime.combine(self.date, start), zone),
            timezone.make_aware(dt.datetime.combine(self.date, end), zone),
        )

    @property
    def half_days(self) -> list[tuple[str, dt.time, dt.time]]:
        slots = []
        if self.morning_start:
            slots.append(("matin", self.morning_start, self.morning_end))
        if self.afternoon_start:
            slots.append(("après-midi", self.afternoon_start, self.afternoon_end))
        return slots


class Trainee(models.Model):
    session = models.ForeignKey(TrainingSession, on_delete=models.CASCADE, related_name="trainees")
    first_name = models.CharField("prénom", max_length=150)
    last_name = models.CharField("nom", max_length=150)
    email = models.EmailField("e-mail")
    job_title = models.CharField("fonction", max_length=150, blank=True)
    position = models.PositiveSmallIntegerField("ordre", default=0)
    # Set by the trainer at the end of the session (end-of-training attestation).
    competences_acquired = models.BooleanField("compétences acquises", null=True, blank=True)
    assessment_result = models.TextField("résultat de l'évaluation", blank=True)

    class Meta:
        verbose_name = "stagiaire"
        verbose_name_plural = "stagiaires"
        ordering = ["position", "pk"]

    def __str__(self):
        return f"{self.first_name} {self.last_name}"


class Attendance(models.Model):
    """Present or absent, per trainee and half-day, as recorded by the trainer."""

    class Half(models.TextChoices):
        MORNING = "am", "matin"
        AFTERNOON = "pm", "après-midi"

    session = models.ForeignKey(
        TrainingSession, on_delete=models.CASCADE, related_name="attendance"
    )
    trainee = models.ForeignKey(Trainee, on_delete=models.CASCADE, related_name="attendance")
    day = models.ForeignKey(SessionDay, on_delete=models.CASCADE, related_name="attendance")
    half = models.CharField("demi-journée", max_length=2, choices=Half.choices)
    present = models.BooleanField("présent")
    recorded_at = models.DateTimeField("relevé le", auto_now=True)

    class Meta:
        verbose_name = "présence"
        verbose_name_plural = "présences"
        constraints = [
            models.UniqueConstraint(fields=["trainee", "day", "half"], name="attendance_unique"),
        ]

    def __str__(self):
        state = "présent" if self.present else "absent"
        return f"{self.trainee} — {self.day} {self.get_half_display()} : {state}"

    @property
    def minutes(self) -> int:
        return self.day.half_minutes(self.half)


class AttendanceScan(models.Model):
    """A signed attendance sheet, scanned and uploaded by the trainer (every upload kept)."""

    session = models.ForeignKey(
        TrainingSession, on_delete=models.PROTECT, related_name="attendance_scans"
    )
    file = models.FileField("fichier", upload_to="emargement/%Y/%m/")
    original_name = models.CharField("nom d'origine", max_length=200)
    sha256 = models.CharField("empreinte SHA-256", max_length=64)
    size = models.PositiveIntegerField("taille (octets)")
    uploaded_at = models.DateTimeField("déposée le", auto_now_add=True)

    class Meta:
        verbose_name = "feuille d'émargement signée"
        verbose_name_plural = "feuilles d'émargement signées"
        ordering = ["-uploaded_at"]

    def __str__(self):
        return self.original_name
