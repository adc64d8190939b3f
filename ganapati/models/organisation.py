"""The training organisation's legal identity: one row, edited by staff, read by every document."""

from decimal import Decimal

from django.core.validators import MaxValueValidator, MinValueValidator
from django.db import models

from .. import legal
from ..fields import BicField, IbanField, NdaField, SiretField

PERCENT = [MinValueValidator(Decimal("0")), MaxValueValidator(Decimal("100"))]


class Organisation(models.Model):
    SINGLETON_PK = 1

    legal_name = models.CharField("raison sociale", max_length=200)
    legal_form = models.CharField("forme juridique", max_length=80, help_text="ex. SAS, SARL")
    share_capital = models.CharField("capital social", max_length=40, blank=True)
    rcs = models.CharField("immatriculation RCS", max_length=80, blank=True)
    address = models.CharField("adresse", max_length=250)
    postal_code = models.CharField("code postal", max_length=10)
    city = models.CharField("ville", max_length=120)
    siret = SiretField("SIRET")
    nda = NdaField("numéro de déclaration d'activité (NDA)")
    nda_region = models.CharField(
        "région du NDA", max_length=80, help_text="Région de la préfecture qui l'a enregistré."
    )
    qualiopi_number = models.CharField("numéro du certificat Qualiopi", max_length=80)
    qualiopi_certifier = models.CharField("organisme certificateur Qualiopi", max_length=120)
    legal_representative = models.CharField(
        "représentant légal", max_length=150, help_text="Signataire des conventions et certificats."
    )
    legal_representative_title = models.CharField(
        "qualité du représentant légal", max_length=80, default="Président"
    )
    vat_exempt = models.BooleanField(
        "exonéré de TVA (article 261-4-4° a du CGI)",
        default=True,
        help_text="Les actions de formation professionnelle continue d'un organisme déclaré "
        "sont exonérées de TVA.",
    )
    vat_rate = models.DecimalField(
        "taux de TVA (%)",
        max_digits=5,
        decimal_places=2,
        null=True,
        blank=True,
        validators=PERCENT,
        help_text="Seulement si l'organisme n'est pas exonéré (ex. 20,00).",
    )
    vat_number = models.CharField("numéro de TVA intracommunautaire", max_length=20, blank=True)
    iban = IbanField("IBAN")
    bic = BicField("BIC")
    logo = models.ImageField("logo", upload_to="organisation/", blank=True)
    contact_email = models.EmailField("e-mail de contact")
    contact_phone = models.CharField("téléphone de contact", max_length=30)
    website = models.URLField("site web", blank=True)
    commission_rate = models.DecimalField(
        "commission de la plateforme (%)",
        max_digits=5,
        decimal_places=2,
        default=Decimal("15.00"),
        validators=PERCENT,
        help_text="Part retenue sur les sommes encaissées avant reversement au formateur.",
    )
    updated_at = models.DateTimeField("mis à jour le", auto_now=True)

    class Meta:
        verbose_name = "organisme de formation"
        verbose_name_plural = "organisme de formation"
        constraints = [
            models.CheckConstraint(condition=models.Q(pk=1), name="organisation_singleton"),
            models.CheckConstraint(
                condition=models.Q(vat_exempt=True, vat_rate__isnull=True)
                | models.Q(vat_exempt=False, vat_rate__isnull=False),
                name="organisation_vat_exempt_xor_rate",
            ),
            models.CheckConstraint(
                condition=models.Q(commission_rate__gte=0, commission_rate__lte=100),
                name="organisation_commission_percent",
            ),
        ]

    def __str__(self):
        return self.legal_name

    def save(self, *args, **kwargs):
        self.pk = self.SINGLETON_PK
        super().save(*args, **kwargs)

    def clean(self):
        from django.core.exceptions import ValidationError

        if self.vat_exempt and self.vat_rate is not None:
            raise ValidationError(
                {"vat_rate": "Un organisme exonéré de TVA n'a pas de taux de TVA : videz ce champ."}
            )
        if not self.vat_exempt and self.vat_rate is None:
            raise ValidationError({"vat_rate": "Indiquez le taux de TVA, ou cochez l'exonération."})

    @property
    def siren(self) -> str:
        return self.siret[:9]

    @property
    def nda_mention(self) -> str:
        return legal.NDA_MENTION.format(nda=self.nda, region=self.nda_region)

    @property
    def vat_mention(self) -> str:
        if self.vat_exempt:
            return legal.VAT_EXEMPTION_MENTION
        rate = format(self.vat_rate.normalize(), "f").replace(".", ",")
        return f"TVA {rate} %"

    @property
    def full_address(self) -> str:
        return f"{self.address}, {self.postal_code} {self.city}"
