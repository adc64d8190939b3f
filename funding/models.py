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
