"""One-use form tokens: the proof that a form which creates money or state was recorded."""

from django.conf import settings
from django.db import models
from django.utils import timezone


class FormToken(models.Model):
    """A form's token, written when the form's change is recorded, in the same transaction:
    the unique constraint makes a second submission of the same rendered form fail, and
    a rolled-back change frees the token (see `ganapati.idempotency`)."""

    token = models.CharField("jeton", max_length=64, unique=True)
    scope = models.CharField("formulaire", max_length=120)
    user = models.ForeignKey(
        settings.AUTH_USER_MODEL, verbose_name="utilisateur", on_delete=models.SET_NULL,
        null=True, blank=True, related_name="+",
    )  # fmt: skip
    used_at = models.DateTimeField("utilisé le", default=timezone.now, db_index=True)

    class Meta:
        verbose_name = "jeton de formulaire"
        verbose_name_plural = "jetons de formulaire"

    def __str__(self):
        return f"{self.scope} ({timezone.localtime(self.used_at):%d/%m/%Y %H:%M})"
