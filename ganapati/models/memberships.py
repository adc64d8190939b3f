"""Who belongs to a client company. A company's space belongs to its members (users whose
`company` is it); becoming a member takes an invitation by a member, or a member's or staff's
acceptance of a request — never the knowledge of a SIRET."""

from django.db import models
from django.utils import timezone


class JoinRequest(models.Model):
    """Someone (who completed a session's link for an existing company, typically) asks to
    join a company. Until a member or staff accepts, they only see the sessions they are the
    contact of."""

    class Status(models.TextChoices):
        PENDING = "pending", "En attente"
        ACCEPTED = "accepted", "Acceptée"
        REFUSED = "refused", "Refusée"

    company = models.ForeignKey(
        "ganapati.Company", on_delete=models.CASCADE, related_name="join_requests",
        verbose_name="entreprise",
    )  # fmt: skip
    user = models.ForeignKey(
        "ganapati.User", on_delete=models.CASCADE, related_name="join_requests",
        verbose_name="personne",
    )  # fmt: skip
    status = models.CharField(
        "statut", max_length=10, choices=Status.choices, default=Status.PENDING, db_index=True
    )
    # Where it comes from ("lien de la session S-2026-00012"), for the members and staff.
    via = models.CharField("origine", max_length=200, blank=True)
    # The company's details as this person typed them: never applied to the company's record;
    # staff see the differences and decide.
    proposed = models.JSONField("informations saisies", default=dict, blank=True)
    created_at = models.DateTimeField("demandée le", default=timezone.now)
    decided_by = models.ForeignKey(
        "ganapati.User", on_delete=models.SET_NULL, null=True, blank=True, related_name="+",
        verbose_name="décidée par",
    )  # fmt: skip
    decided_at = models.DateTimeField("décidée le", null=True, blank=True)

    class Meta:
        verbose_name = "demande de rattachement"
        verbose_name_plural = "demandes de rattachement à une entreprise"
        ordering = ["-created_at"]
        constraints = [
            models.UniqueConstraint(
                fields=["company", "user"],
                condition=models.Q(status="pending"),
                name="joinrequest_one_pending_per_person",
            ),  # fmt: skip
            models.CheckConstraint(
                condition=models.Q(status__in=["pending", "accepted", "refused"]),
                name="joinrequest_status_valid",
            ),
        ]

    def __str__(self):
        return f"{self.user} → {self.company} ({self.get_status_display().lower()})"

    def differences(self) -> list[tuple[str, str, str]]:
        """(label, on record, as typed) for each company detail typed differently."""
        labels = {
            "legal_name": "raison sociale",
            "address": "adresse",
            "postal_code": "code postal",
            "city": "ville",
            "naf_code": "code NAF",
            "idcc": "IDCC",
        }
        rows = []
        for name, label in labels.items():
            typed = str(self.proposed.get(name) or "").strip()
            current = str(getattr(self.company, name) or "").strip()
            if typed and typed.casefold() != current.casefold():
                rows.append((label, current, typed))
        return rows
