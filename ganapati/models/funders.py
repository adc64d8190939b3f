"""Funders: the 11 OPCOs, AGEFICE and FIFPL. Reference data that every app names (a session
chooses its funder at creation), so it lives in the core; edited by staff."""

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
    # Invoicing details (invoices under subrogation are addressed to the funder).
    billing_address = models.CharField("adresse de facturation", max_length=300, blank=True)
    siret = models.CharField("SIRET", max_length=14, blank=True)
    website = models.URLField("site web", blank=True)
    contact_email = models.EmailField("e-mail de contact", blank=True)
    contact_phone = models.CharField("téléphone", max_length=30, blank=True)
    active = models.BooleanField("actif", default=True)

    class Meta:
        # The table keeps the name it had when funders lived in the funding app.
        db_table = "funding_funder"
        verbose_name = "financeur"
        verbose_name_plural = "financeurs"
        ordering = ["kind", "name"]

    def __str__(self):
        return self.name
