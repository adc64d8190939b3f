"""The audit log: who did what to which object, when, with which data."""

from django.conf import settings
from django.contrib.contenttypes.fields import GenericForeignKey
from django.contrib.contenttypes.models import ContentType
from django.core.serializers.json import DjangoJSONEncoder
from django.db import models
from django.utils import timezone


class AuditEvent(models.Model):
    created_at = models.DateTimeField("date", default=timezone.now, db_index=True)
    actor = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name="auteur",
        on_delete=models.SET_NULL,
        null=True,
        blank=True,
        related_name="+",
    )
    # Kept as text too: the log must still say who acted after an account is deleted.
    actor_repr = models.CharField("auteur (texte)", max_length=254)
    action = models.CharField("action", max_length=80, db_index=True)
    content_type = models.ForeignKey(ContentType, on_delete=models.PROTECT, verbose_name="type")
    object_id = models.CharField("identifiant", max_length=64)
    target = GenericForeignKey("content_type", "object_id")
    object_repr = models.CharField("objet", max_length=250)
    data = models.JSONField("données", default=dict, blank=True, encoder=DjangoJSONEncoder)

    class Meta:
        verbose_name = "événement du journal"
        verbose_name_plural = "journal d'audit"
        ordering = ["-created_at", "-pk"]
        indexes = [
            models.Index(fields=["content_type", "object_id", "created_at"], name="audit_object"),
        ]

    def __str__(self):
        when = timezone.localtime(self.created_at)
        return f"{when:%d/%m/%Y %H:%M} {self.actor_repr} {self.action} {self.object_repr}"
