"""Funders: the 11 OPCOs, AGEFICE and FIFPL. Reference data that every app names (a session
chooses its funder at creation), so it lives in the core; edited by staff."""

import re

from django.db import models

from .. import validators
from ..fields import SirenField


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
    legal_name = models.CharField(
        "raison sociale", max_length=200, blank=True,
        help_text="Le nom légal du financeur, tel qu'il figure au répertoire Sirene.",
    )  # fmt: skip
    siren = SirenField(
        "SIREN", blank=True, help_text="Obligatoire sur ses factures (réforme 2026–2027)."
    )
    billing_address = models.CharField(
        "adresse de facturation", max_length=300, blank=True,
        help_text="Rue, code postal et ville, sur une ligne.",
    )  # fmt: skip
    siret = models.CharField("SIRET", max_length=14, blank=True)
    invoicing_email = models.EmailField(
        "e-mail de facturation", blank=True,
        help_text="Où envoyer les factures. Vide si le financeur les reçoit sur son portail.",
    )  # fmt: skip
    invoicing_portal = models.URLField(
        "portail de dépôt des factures", blank=True,
        help_text="Si le financeur reçoit les factures sur son portail : l'équipe les y dépose.",
    )  # fmt: skip
    einvoice_address = models.CharField(
        "adresse de facturation électronique", max_length=125, blank=True,
        validators=[validators.validate_einvoice_address],
        help_text="Son adresse à l'annuaire de la facturation électronique. Vide : son SIREN.",
    )  # fmt: skip
    sources = models.TextField(
        "sources", blank=True, help_text="D'où viennent ces informations (pages publiques)."
    )
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

    def clean(self):
        from django.core.exceptions import ValidationError

        if (
            self.einvoice_address
            and self.siren
            and not self.einvoice_address.startswith(self.siren)
        ):
            raise ValidationError({"einvoice_address": "Une adresse de l'annuaire commence par "
                                   f"le SIREN du financeur ({self.siren})."})  # fmt: skip

    def missing_invoicing_fields(self) -> list[str]:
        """What an invoice to this funder still needs, as French labels (empty: ready)."""
        missing = []
        if not self.legal_name:
            missing.append("la raison sociale")
        if not self.siren:
            missing.append("le SIREN")
        if not self.billing_address:
            missing.append("l'adresse de facturation")
        elif not re.search(r"\b\d{5}\b", self.billing_address):
            missing.append("le code postal et la ville dans l'adresse de facturation")
        if not self.invoicing_email and not self.invoicing_portal:
            missing.append("l'e-mail de facturation ou le portail de dépôt des factures")
        return missing

    @property
    def einvoice_endpoint(self) -> str:
        return self.einvoice_address or self.siren
