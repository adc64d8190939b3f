"""People and companies: one user model, email as login, exactly one role."""

from django.contrib.auth.base_user import AbstractBaseUser, BaseUserManager
from django.contrib.auth.models import PermissionsMixin
from django.core.validators import MaxValueValidator, MinValueValidator
from django.db import models
from django.db.models.functions import Lower
from django.utils import timezone

from .. import validators
from ..fields import BicField, IbanField, NdaField, SiretField, VatNumberField


class Role(models.TextChoices):
    TRAINER = "trainer", "Formateur"
    CLIENT = "client", "Client"
    STAFF = "staff", "Équipe (back-office)"


class UserManager(BaseUserManager):
    use_in_migrations = True

    def normalize_email(self, email):
        return (email or "").strip().lower()

    def get_by_natural_key(self, username):
        return self.get(email__iexact=self.normalize_email(username))

    def _create_user(self, email, password, **extra):
        if not email:
            raise ValueError("L'adresse e-mail est obligatoire.")
        user = self.model(email=self.normalize_email(email), **extra)
        if password:
            user.set_password(password)
        else:
            user.set_unusable_password()
        user.full_clean(exclude=["password"])
        user.save(using=self._db)
        return user

    def create_user(self, email, password=None, **extra):
        extra.setdefault("role", Role.TRAINER)
        extra.setdefault("is_staff", False)
        extra.setdefault("is_superuser", False)
        return self._create_user(email, password, **extra)

    def create_superuser(self, email, password=None, **extra):
        extra.update(role=Role.STAFF, is_staff=True, is_superuser=True)
        return self._create_user(email, password, **extra)


class Company(models.Model):
    """A client company: the employer of the trainees, the party to the agreement."""

    legal_name = models.CharField("raison sociale", max_length=200)
    siret = SiretField("SIRET", unique=True)
    address = models.CharField("adresse", max_length=250)
    postal_code = models.CharField("code postal", max_length=10)
    city = models.CharField("ville", max_length=120)
    naf_code = models.CharField(
        "code NAF", max_length=6, blank=True, validators=[validators.validate_naf]
    )
    idcc = models.CharField(
        "IDCC (convention collective)",
        max_length=4,
        blank=True,
        validators=[validators.validate_idcc],
    )
    employee_count = models.PositiveIntegerField("nombre de salariés", null=True, blank=True)
    created_at = models.DateTimeField("créée le", default=timezone.now, editable=False)

    class Meta:
        verbose_name = "entreprise cliente"
        verbose_name_plural = "entreprises clientes"
        ordering = ["legal_name"]

    def __str__(self):
        return self.legal_name

    @property
    def siren(self) -> str:
        return self.siret[:9]


class User(AbstractBaseUser, PermissionsMixin):
    email = models.EmailField("adresse e-mail", unique=True)
    first_name = models.CharField("prénom", max_length=150)
    last_name = models.CharField("nom", max_length=150)
    phone = models.CharField("téléphone", max_length=30, blank=True)
    role = models.CharField("rôle", max_length=10, choices=Role.choices)
    company = models.ForeignKey(
        Company,
        verbose_name="entreprise",
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="contacts",
        help_text="Pour un client : l'entreprise dont il est membre (son espace client). Vide : "
        "il ne voit que les sessions dont il est le contact, en attendant d'être accepté.",
    )
    job_title = models.CharField("fonction", max_length=150, blank=True)
    is_active = models.BooleanField("actif", default=True)
    is_staff = models.BooleanField("accès au back-office", default=False)
    date_joined = models.DateTimeField("inscrit le", default=timezone.now)

    objects = UserManager()

    USERNAME_FIELD = "email"
    EMAIL_FIELD = "email"
    REQUIRED_FIELDS = ["first_name", "last_name"]

    class Meta:
        verbose_name = "utilisateur"
        verbose_name_plural = "utilisateurs"
        ordering = ["last_name", "first_name"]
        constraints = [
            models.UniqueConstraint(Lower("email"), name="user_email_ci_unique"),
            models.CheckConstraint(
                condition=models.Q(role__in=Role.values), name="user_role_valid"
            ),
            # Only staff reach the back-office; only a client belongs to a company.
            models.CheckConstraint(
                condition=models.Q(role=Role.STAFF) | models.Q(is_staff=False, is_superuser=False),
                name="user_only_staff_role_has_admin_access",
            ),
            models.CheckConstraint(
                condition=models.Q(role=Role.CLIENT) | models.Q(company__isnull=True),
                name="user_only_client_has_company",
            ),
        ]

    def __str__(self):
        return f"{self.get_full_name()} <{self.email}>" if self.get_full_name() else self.email

    def clean(self):
        super().clean()
        self.email = User.objects.normalize_email(self.email)
        from django.core.exceptions import ValidationError

        if self.role != Role.CLIENT and self.company_id:
            raise ValidationError({"company": "Seul un client est rattaché à une entreprise."})
        if self.role != Role.STAFF and (self.is_staff or self.is_superuser):
            raise ValidationError(
                {"is_staff": "Seuls les membres de l'équipe ont accès au back-office."}
            )

    def get_full_name(self) -> str:
        return f"{self.first_name} {self.last_name}".strip()

    def get_short_name(self) -> str:
        return self.first_name or self.email

    @property
    def is_trainer(self) -> bool:
        return self.role == Role.TRAINER


class TrainerVatRegime(models.TextChoices):
    """The trainer's VAT status, printed on the invoice drawn up in their name."""

    FRANCHISE = "franchise", "Franchise en base (TVA non applicable, article 293 B du CGI)"
    VAT = "vat", "Assujetti à la TVA (au taux indiqué)"
    TRAINING_EXEMPT = (
        "training_exempt",
        "Exonéré comme organisme de formation déclaré (article 261-4-4° a du CGI, avec NDA)",
    )


class TrainerProfile(models.Model):
    """A freelance trainer's identity and payout details."""

    user = models.OneToOneField(
        User,
        on_delete=models.CASCADE,
        related_name="trainer_profile",
        limit_choices_to={"role": Role.TRAINER},
        verbose_name="formateur",
    )
    trade_name = models.CharField("nom commercial", max_length=200, blank=True)
    # The secret of the trainer's private calendar feed URL (192 bits); renewing it revokes the
    # old URL. Empty: no feed.
    calendar_token = models.CharField(
        "jeton de l'agenda", max_length=64, blank=True, db_index=True, editable=False
    )
    siret = SiretField("SIRET", blank=True)
    address = models.CharField("adresse", max_length=250, blank=True)
    postal_code = models.CharField("code postal", max_length=10, blank=True)
    city = models.CharField("ville", max_length=120, blank=True)
    iban = IbanField("IBAN", blank=True)
    bic = BicField("BIC", blank=True)
    nda = NdaField(
        "numéro de déclaration d'activité",
        blank=True,
        help_text="Seulement si vous êtes vous-même déclaré comme organisme de formation.",
    )
    vat_regime = models.CharField(
        "régime de TVA", max_length=20, choices=TrainerVatRegime.choices, blank=True,
        help_text="Il figure sur les factures établies en votre nom (autofacturation).",
    )  # fmt: skip
    vat_rate = models.DecimalField(
        "taux de TVA (%)", max_digits=5, decimal_places=2, null=True, blank=True,
        help_text="Seulement si vous êtes assujetti à la TVA (ex. 20,00).",
    )  # fmt: skip
    vat_number = VatNumberField("numéro de TVA intracommunautaire", blank=True)
    self_billing_accepted_at = models.DateTimeField(
        "mandat d'autofacturation accepté le", null=True, blank=True,
        help_text="L'organisme établit alors la facture du formateur en son nom et pour son "
        "compte.",
    )  # fmt: skip
    commission_rate = models.DecimalField(
        "commission propre (%)", max_digits=5, decimal_places=2, null=True, blank=True,
        validators=[MinValueValidator(0), MaxValueValidator(100)],
        help_text="Entre 0 et 100. Vide : le taux de l'organisme s'applique.",
    )  # fmt: skip
    updated_at = models.DateTimeField("mis à jour le", auto_now=True)

    class Meta:
        verbose_name = "profil formateur"
        verbose_name_plural = "profils formateurs"
        constraints = [
            models.CheckConstraint(
                condition=models.Q(commission_rate__isnull=True)
                | models.Q(commission_rate__gte=0, commission_rate__lte=100),
                name="trainer_commission_rate_0_100",
            ),
        ]

    def __str__(self):
        return self.user.get_full_name()

    def clean(self):
        from django.core.exceptions import ValidationError

        if self.vat_regime == TrainerVatRegime.VAT and self.vat_rate is None:
            raise ValidationError({"vat_rate": "Indiquez votre taux de TVA."})
        if self.vat_regime != TrainerVatRegime.VAT and self.vat_rate is not None:
            raise ValidationError({"vat_rate": "Un taux de TVA ne s'indique que si vous y êtes "
                                               "assujetti."})  # fmt: skip
        if self.vat_regime == TrainerVatRegime.TRAINING_EXEMPT and not self.nda:
            raise ValidationError({"nda": "L'exonération d'un organisme de formation suppose son "
                                          "numéro de déclaration d'activité."})  # fmt: skip

    @property
    def missing_self_billing_fields(self) -> list[str]:
        """What an invoice drawn up in the trainer's name needs (CGI 242 nonies A), in French."""
        needed = {
            "siret": "SIRET",
            "address": "adresse",
            "postal_code": "code postal",
            "city": "ville",
            "vat_regime": "régime de TVA",
        }
        missing = [label for field, label in needed.items() if not getattr(self, field)]
        if self.vat_regime == TrainerVatRegime.VAT:
            if self.vat_rate is None:
                missing.append("taux de TVA")
            if not self.vat_number:
                missing.append("numéro de TVA intracommunautaire")
        if self.vat_regime == TrainerVatRegime.TRAINING_EXEMPT and not self.nda:
            missing.append("numéro de déclaration d'activité")
        return missing

    @property
    def missing_payout_fields(self) -> list[str]:
        """What is still needed before the trainer can be paid, as French labels."""
        needed = {
            "address": "adresse",
            "postal_code": "code postal",
            "city": "ville",
            "iban": "IBAN",
            "bic": "BIC",
        }
        return [label for field, label in needed.items() if not getattr(self, field)]
