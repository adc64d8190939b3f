"""A trainer's qualifications (Qualiopi indicators 21–22): diplomas, certifications, experience,
with an expiry date for dated certifications (a reminder goes out before it)."""

from django.conf import settings
from django.db import models


class TrainerQualification(models.Model):
    class Kind(models.TextChoices):
        DIPLOMA = "diploma", "Diplôme"
        CERTIFICATION = "certification", "Certification ou habilitation"
        EXPERIENCE = "experience", "Expérience professionnelle"
        CV = "cv", "CV (résumé)"

    trainer = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        on_delete=models.CASCADE,
        related_name="qualifications",
        limit_choices_to={"role": "trainer"},
        verbose_name="formateur",
    )
    kind = models.CharField("type", max_length=15, choices=Kind.choices)
    title = models.CharField("intitulé", max_length=200)
    details = models.TextField("détails (organisme, contenu, durée)", blank=True)
    obtained_on = models.DateField("obtenu le", null=True, blank=True)
    expires_on = models.DateField(
        "expire le", null=True, blank=True, help_text="Pour une certification à durée limitée."
    )
    # The proof (the CV itself, a diploma, a certificate): a PDF checked on upload
    # (ganapati/uploads.py), stored under a random name, served only by a view that checks rights.
    file = models.FileField("justificatif (PDF)", upload_to="qualifications/%Y/%m/", blank=True)
    original_name = models.CharField("nom du fichier déposé", max_length=200, blank=True)
    sha256 = models.CharField("empreinte SHA-256", max_length=64, blank=True)

    class Meta:
        verbose_name = "qualification du formateur"
        verbose_name_plural = "qualifications du formateur (CV, diplômes, certifications)"
        ordering = ["trainer", "kind", "-obtained_on"]
        constraints = [
            models.CheckConstraint(
                condition=models.Q(expires_on__isnull=True)
                | models.Q(obtained_on__isnull=True)
                | models.Q(expires_on__gt=models.F("obtained_on")),
                name="qualification_expires_after_obtained",
            ),
        ]

    def __str__(self):
        return f"{self.title} ({self.get_kind_display()})"
