"""The organisation's own documents (règlement intérieur, CGV): versioned, managed by staff.

A new text is a new version: earlier versions stay, so that what a trainee or client received
on a given day can still be shown to an auditor.
"""

from django.db import models
from django.utils import timezone


class OrganisationDocument(models.Model):
    class Kind(models.TextChoices):
        RULES = "reglement", "Règlement intérieur"
        TERMS = "cgv", "Conditions générales de vente"

    kind = models.CharField("document", max_length=10, choices=Kind.choices)
    version = models.PositiveIntegerField("version", editable=False)
    text = models.TextField("texte")
    valid_from = models.DateField("en vigueur depuis", default=timezone.localdate)
    created_at = models.DateTimeField("enregistré le", default=timezone.now, editable=False)

    class Meta:
        verbose_name = "document de l'organisme"
        verbose_name_plural = "documents de l'organisme (règlement intérieur, CGV)"
        ordering = ["kind", "-version"]
        constraints = [
            models.UniqueConstraint(fields=["kind", "version"], name="orgdoc_unique_version"),
        ]

    def __str__(self):
        return f"{self.get_kind_display()} — version {self.version}"
