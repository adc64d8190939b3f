"""The training organisation's legal identity: one row, edited by staff, read by every document."""

from decimal import Decimal

from django.core.validators import MaxValueValidator, MinValueValidator
from django.db import models

from .. import legal, validators
from ..fields import BicField, IbanField, NdaField, SiretField, VatNumberField

PERCENT = [MinValueValidator(Decimal("0")), MaxValueValidator(Decimal("100"))]


class EInvoiceScheme(models.TextChoices):
    """How an electronic invoicing address (BT-34 / BT-49) is identified (EAS code list). From
    the 2026–2027 reform, a French company's address in the central directory is its SIREN,
    possibly with a suffix: scheme 0225."""

    SIREN = "0225", "Annuaire de la facturation électronique (SIREN, 0225)"


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
    vat_number = VatNumberField(
        "numéro de TVA intracommunautaire",
        max_length=20,  # as before: values typed with spaces are compacted on the next save
        blank=True,
        help_text="FR, une clé et le SIREN. Obligatoire sur une facture électronique exonérée "
        "(règle BR-E-02 de la norme EN 16931).",
    )
    einvoice_address = models.CharField(
        "adresse de facturation électronique",
        max_length=125,
        blank=True,
        validators=[validators.validate_einvoice_address],
        help_text="L'adresse où l'organisme reçoit les factures électroniques, inscrite à "
        "l'annuaire par sa plateforme agréée. Vide : le SIREN.",
    )
    einvoice_scheme = models.CharField(
        "schéma de l'adresse électronique",
        max_length=4,
        choices=EInvoiceScheme.choices,
        default=EInvoiceScheme.SIREN,
    )
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
        from django.db import transaction

        from ..selectors import organisation_forget

        self.pk = self.SINGLETON_PK
        super().save(*args, **kwargs)
        # Not business logic: the pages' copy of the identity (selectors.organisation_for_pages)
        # is dropped now and once more at commit (a read in between would keep the old row).
        organisation_forget()
        transaction.on_commit(organisation_forget)

    def clean(self):
        from django.core.exceptions import ValidationError

        if self.vat_exempt and self.vat_rate is not None:
            raise ValidationError(
                {"vat_rate": "Un organisme exonéré de TVA n'a pas de taux de TVA : videz ce champ."}
            )
        if not self.vat_exempt and self.vat_rate is None:
            raise ValidationError({"vat_rate": "Indiquez le taux de TVA, ou cochez l'exonération."})
        siren = (self.siret or "")[:9]
        if self.vat_number and siren and self.vat_number[4:] != siren:
            message = f"Ce numéro de TVA ne correspond pas au SIREN {siren} de l'organisme."
            raise ValidationError({"vat_number": message})
        if (
            self.einvoice_address
            and self.einvoice_scheme == EInvoiceScheme.SIREN
            and not self.einvoice_address.startswith(siren)
        ):
            raise ValidationError(
                {"einvoice_address": f"Une adresse de l'annuaire commence par le SIREN ({siren})."}
            )

    @property
    def siren(self) -> str:
        return self.siret[:9]

    @property
    def einvoice_endpoint(self) -> tuple[str, str]:
        """(address, scheme) where the organisation receives electronic invoices (BT-34)."""
        return self.einvoice_address or self.siren, self.einvoice_scheme

    def invoicing_problems(self) -> list[str]:
        """What the organisation's identity lacks for an invoice the reform accepts (French)."""
        problems = []
        if not self.vat_number:
            problems.append(
                "le numéro de TVA intracommunautaire de l'organisme (obligatoire sur une facture "
                "exonérée : règle BR-E-02)"
            )
        if not self.iban:
            problems.append("l'IBAN de l'organisme")
        return problems

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
