"""Training sessions: what is taught, when, for how much, to whom, and where it stands."""

from __future__ import annotations

import datetime as dt
from decimal import Decimal
from zoneinfo import ZoneInfo

from django.conf import settings
from django.core.validators import MaxValueValidator, MinValueValidator
from django.db import models
from django.utils import timezone

from ganapati.fields import DurationMinutesField

PARIS = ZoneInfo("Europe/Paris")

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


class BpfObjective(models.TextChoices):
    """The training objective, as the BPF (cerfa 10443, frame F-3) classifies it."""

    RNCP = "rncp", "Diplôme, titre ou CQP enregistré au RNCP"
    RS = "rs", "Certification ou habilitation enregistrée au répertoire spécifique (RS)"
    CQP = "cqp", "CQP non enregistré au RNCP ou au RS"
    OTHER = "other", "Autre formation professionnelle"
    BILAN = "bilan", "Bilan de compétences"
    VAE = "vae", "Accompagnement à la VAE"


class RncpLevel(models.TextChoices):
    """Level of an RNCP certification (D6113-19 nomenclature; F-3 line a breakdown)."""

    LEVEL_6_8 = "6-8", "Niveaux 6 à 8 (licence, master, ingénieur, doctorat…)"
    LEVEL_5 = "5", "Niveau 5 (BTS, DUT…)"
    LEVEL_4 = "4", "Niveau 4 (bac professionnel, BP, BT…)"
    LEVEL_3 = "3", "Niveau 3 (CAP, BEP…)"
    LEVEL_2 = "2", "Niveau 2"
    CQP_NO_LEVEL = "cqp", "CQP sans niveau de qualification"


def validate_nsf_codes(value) -> None:
    from django.core.exceptions import ValidationError

    if not isinstance(value, list) or len(value) > 5:
        raise ValidationError("Indiquez au plus 5 codes NSF.")
    for code in value:
        if not (isinstance(code, str) and len(code) == 3 and code.isdigit()):
            raise ValidationError(f"« {code} » n'est pas un code NSF (3 chiffres, ex. 314).")


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

    # What the BPF (cerfa 10443) needs; distance learning is `format` (remote or mixed).
    bpf_objective = models.CharField(
        "objectif (bilan pédagogique et financier)", max_length=5,
        choices=BpfObjective.choices, default=BpfObjective.OTHER,
    )  # fmt: skip
    rncp_level = models.CharField(
        "niveau RNCP", max_length=3, choices=RncpLevel.choices, blank=True,
        help_text="Seulement pour une certification enregistrée au RNCP.",
    )  # fmt: skip
    nsf_codes = models.JSONField(
        "spécialités (codes NSF)", default=list, blank=True, validators=[validate_nsf_codes],
        help_text="Jusqu'à 5 codes à 3 chiffres, le principal d'abord (ex. 314 comptabilité).",
    )  # fmt: skip

    class Meta:
        abstract = True

    CONTENT_FIELDS = [
        "title", "objectives", "audience", "prerequisites", "modules", "methods", "assessment",
        "accessibility", "accessibility_contact", "access_terms", "duration_minutes", "format",
        "location", "price_excl_tax", "price_basis", "bpf_objective", "rncp_level", "nsf_codes",
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
        if not self.pk:
            return "S-brouillon"
        # The year of creation in Paris (fixed zone: no per-request timezone lookup; shown
        # dozens of times a page), remembered on the instance for its pk.
        cached = self.__dict__.get("_reference")
        if cached is None or cached[0] != self.pk:
            year = self.created_at.astimezone(PARIS).year
            cached = self.__dict__["_reference"] = (self.pk, f"S-{year}-{self.pk:05d}")
        return cached[1]

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


class TraineeStatus(models.TextChoices):
    """Who the trainee is, as the BPF (cerfa 10443, frame F-1) counts them."""

    EMPLOYEE = "employee", "Salarié(e) d'un employeur privé"
    APPRENTICE = "apprentice", "Apprenti(e)"
    JOB_SEEKER = "job_seeker", "Demandeur d'emploi"
    INDIVIDUAL = "individual", "Particulier à ses propres frais"
    OTHER = "other", "Autre (agent public, dirigeant non salarié, bénévole…)"


class Trainee(models.Model):
    session = models.ForeignKey(TrainingSession, on_delete=models.CASCADE, related_name="trainees")
    first_name = models.CharField("prénom", max_length=150)
    last_name = models.CharField("nom", max_length=150)
    email = models.EmailField("e-mail")
    job_title = models.CharField("fonction", max_length=150, blank=True)
    # Company training: its employees, unless the client says otherwise on its form.
    status = models.CharField(
        "statut", max_length=10, choices=TraineeStatus.choices, default=TraineeStatus.EMPLOYEE
    )
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
    # CRC-32 of the file, kept when it is written so the audit ZIP streams it in one reading
    # (issue 17); empty for rows written before: the export computes it and fills it in.
    crc32 = models.PositiveBigIntegerField("CRC-32", null=True, blank=True, editable=False)
    uploaded_at = models.DateTimeField("déposée le", auto_now_add=True)

    class Meta:
        verbose_name = "feuille d'émargement signée"
        verbose_name_plural = "feuilles d'émargement signées"
        ordering = ["-uploaded_at"]

    def __str__(self):
        return self.original_name


# Electronic attendance (émargement électronique, issue 13): see sessions/signing.py.


class SigningSlot(models.Model):
    """One trainee's half-day: what was planned, copied when the session starts (never changed
    afterwards), and what happened — signed, or marked absent/late/left early by the trainer.
    Times are minutes from midnight, Europe/Paris. Every change is also an entry of the
    evidence chain (`AttendanceEvidence`): a row edited behind the chain's back is detected."""

    class State(models.TextChoices):
        OPEN = "open", "À signer"
        SIGNED = "signed", "Signé"
        ABSENT = "absent", "Absent"

    class Channel(models.TextChoices):
        LINK = "link", "Lien personnel reçu par e-mail"
        QR = "qr", "QR code et code à usage unique"
        KIOSK = "kiosk", "Sur l'appareil du formateur"
        TRAINER = "trainer", "Relevé du formateur"
        SCAN = "scan", "Feuille papier signée (scan)"

    session = models.ForeignKey(
        TrainingSession, on_delete=models.PROTECT, related_name="signing_slots"
    )
    trainee = models.ForeignKey(Trainee, on_delete=models.PROTECT, related_name="signing_slots")
    day = models.ForeignKey(SessionDay, on_delete=models.PROTECT, related_name="signing_slots")
    half = models.CharField("demi-journée", max_length=2, choices=Attendance.Half.choices)
    # Copied from the programme at the start.
    date = models.DateField("date")
    start_minute = models.PositiveSmallIntegerField("début (minutes)")
    end_minute = models.PositiveSmallIntegerField("fin (minutes)")
    module = models.CharField("module", max_length=300, blank=True)
    # What happened.
    state = models.CharField(
        "état", max_length=8, choices=State.choices, default=State.OPEN, db_index=True
    )
    channel = models.CharField("voie", max_length=8, choices=Channel.choices, blank=True)
    signed_at = models.DateTimeField("signé le", null=True, blank=True)
    arrived_minute = models.PositiveSmallIntegerField("arrivée (minutes)", null=True, blank=True)
    left_minute = models.PositiveSmallIntegerField("départ (minutes)", null=True, blank=True)
    signature = models.BinaryField("signature (PNG)", null=True, blank=True)
    signature_sha256 = models.CharField("empreinte de la signature", max_length=64, blank=True)
    outside_window = models.BooleanField("signé hors de la fenêtre", default=False)
    # The personal link e-mailed at the start of the half-day: only its hash is kept.
    link_token_hash = models.CharField(max_length=64, blank=True, db_index=True)
    link_sent_at = models.DateTimeField("lien envoyé le", null=True, blank=True)

    class Meta:
        verbose_name = "créneau d'émargement"
        verbose_name_plural = "créneaux d'émargement"
        ordering = ["date", "half", "trainee__position", "trainee_id"]
        constraints = [
            models.UniqueConstraint(fields=["trainee", "day", "half"], name="signingslot_unique"),
            models.CheckConstraint(
                condition=models.Q(start_minute__lt=models.F("end_minute")),
                name="signingslot_ordered",
            ),
            models.CheckConstraint(
                condition=models.Q(state__in=["open", "signed", "absent"]),
                name="signingslot_state_valid",
            ),
        ]

    def __str__(self):
        return f"{self.trainee} — {self.date:%d/%m/%Y} {self.get_half_display()}"

    @property
    def minutes(self) -> int:
        """Minutes attended: the planned slot, cut by a late arrival or an early leave."""
        if self.state != self.State.SIGNED:
            return 0
        start = max(self.start_minute, self.arrived_minute or self.start_minute)
        end = min(self.end_minute, self.left_minute or self.end_minute)
        return max(0, end - start)

    def snapshot(self) -> dict:
        """What the evidence chain vouches for (compared with the row by the verifier)."""
        return {
            "slot": self.pk,
            "trainee": self.trainee_id,
            "date": self.date.isoformat(),
            "half": self.half,
            "start_minute": self.start_minute,
            "end_minute": self.end_minute,
            "module": self.module,
            "state": self.state,
            "channel": self.channel,
            "signed_at": self.signed_at.isoformat() if self.signed_at else None,
            "arrived_minute": self.arrived_minute,
            "left_minute": self.left_minute,
            "signature_sha256": self.signature_sha256,
            "outside_window": self.outside_window,
        }


class HalfDayClosure(models.Model):
    """The trainer closed a half-day: every trainee signed or was marked, and the trainer
    countersigned — or the paper route: the signed sheet was scanned and uploaded."""

    class Route(models.TextChoices):
        ELECTRONIC = "electronic", "Émargement électronique"
        SCAN = "scan", "Feuille papier signée (scan)"

    session = models.ForeignKey(
        TrainingSession, on_delete=models.PROTECT, related_name="half_day_closures"
    )
    day = models.ForeignKey(SessionDay, on_delete=models.PROTECT, related_name="closures")
    half = models.CharField("demi-journée", max_length=2, choices=Attendance.Half.choices)
    route = models.CharField("voie", max_length=10, choices=Route.choices)
    closed_at = models.DateTimeField("close le")
    closed_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+"
    )
    countersignature = models.BinaryField("contreseing du formateur (PNG)", null=True, blank=True)
    countersignature_sha256 = models.CharField(max_length=64, blank=True)
    scan = models.ForeignKey(
        AttendanceScan, on_delete=models.PROTECT, null=True, blank=True, related_name="+"
    )

    class Meta:
        verbose_name = "demi-journée close"
        verbose_name_plural = "demi-journées closes"
        ordering = ["day__date", "half"]
        constraints = [
            models.UniqueConstraint(
                fields=["session", "day", "half"], name="halfdayclosure_unique"
            ),
            models.CheckConstraint(
                condition=models.Q(route="electronic", countersignature_sha256__gt="")
                | models.Q(route="scan", scan__isnull=False),
                name="halfdayclosure_has_proof",
            ),
        ]

    def __str__(self):
        return f"{self.day} {self.get_half_display()} — {self.get_route_display()}"


class SigningCode(models.Model):
    """A one-time code e-mailed to a trainee who came through the QR code (hash kept only)."""

    slot = models.ForeignKey(SigningSlot, on_delete=models.CASCADE, related_name="codes")
    code_hash = models.CharField(max_length=64)
    created_at = models.DateTimeField(default=timezone.now)
    expires_at = models.DateTimeField()
    used_at = models.DateTimeField(null=True, blank=True)
    attempts = models.PositiveSmallIntegerField(default=0)

    class Meta:
        verbose_name = "code à usage unique"
        verbose_name_plural = "codes à usage unique"

    def __str__(self):
        return f"code n° {self.pk} ({self.slot_id})"


class AttendanceEvidence(models.Model):
    """The evidence log: append-only, one chain per session, each entry carrying the hash of
    the previous one. Nothing is updated or deleted; a correction is a new entry with a reason."""

    session = models.ForeignKey(
        TrainingSession, on_delete=models.PROTECT, related_name="attendance_evidence"
    )
    seq = models.PositiveIntegerField("n°")
    created_at = models.DateTimeField("horodatage serveur")
    action = models.CharField("action", max_length=40)
    slot = models.ForeignKey(
        SigningSlot, on_delete=models.PROTECT, null=True, blank=True, related_name="evidence"
    )
    data = models.JSONField("données", default=dict)
    prev_hash = models.CharField("empreinte précédente", max_length=64)
    hash = models.CharField("empreinte", max_length=64, unique=True)

    class Meta:
        verbose_name = "preuve d'émargement"
        verbose_name_plural = "journal de preuve d'émargement"
        ordering = ["session", "seq"]
        constraints = [
            models.UniqueConstraint(fields=["session", "seq"], name="evidence_unique_seq"),
        ]

    def __str__(self):
        return f"{self.session_id}#{self.seq} {self.action}"

    def save(self, *args, **kwargs):
        if not self._state.adding:
            raise ValueError("Le journal de preuve ne se modifie pas : ajoutez une correction.")
        super().save(*args, **kwargs)

    def delete(self, *args, **kwargs):
        raise ValueError("Le journal de preuve ne se supprime pas.")


# Qualiopi evidence (issue 15), in its own module to keep this one readable.
from .quality_models import (  # noqa: E402, F401
    Complaint,
    ObjectiveAssessment,
    ObjectiveResult,
    Questionnaire,
    QuestionnaireKind,
    QuestionnaireResponse,
)
