"""Funders: the 11 OPCOs, AGEFICE and FIFPL. Reference data, edited by staff."""

from django.db import models


class Funder(models.Model):
    class Kind(models.TextChoices):
        OPCO = "opco", "OPCO"
        AGEFICE = "agefice", "AGEFICE"
        FIFPL = "fifpl", "FIFPL"

    code = models.SlugField("code", max_length=30, unique=True)
    name = models.CharField("nom", max_length=120)
    kind = models.CharField("type", max_length=10, choices=Kind.choices)
    sector = models.TextField("secteurs couverts", blank=True)
    website = models.URLField("site web", blank=True)
    contact_email = models.EmailField("e-mail de contact", blank=True)
    contact_phone = models.CharField("téléphone", max_length=30, blank=True)
    active = models.BooleanField("actif", default=True)

    class Meta:
        verbose_name = "financeur"
        verbose_name_plural = "financeurs"
        ordering = ["kind", "name"]

    def __str__(self):
        return self.name


class CollectiveAgreement(models.Model):
    """A collective agreement (IDCC) and the OPCO it belongs to: how a company finds its OPCO."""

    class Source(models.TextChoices):
        REPOSITORY = "repo", "Table de la plateforme"
        FRANCE_COMPETENCES = "france_competences", "Import France Compétences"

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
