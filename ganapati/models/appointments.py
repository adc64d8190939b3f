"""Calls with an advisor: advisors' weekly hours, their exceptions, and the bookings.

Times of day (availability) are Europe/Paris wall-clock times: "9 h le lundi" stays 9 h across
daylight-saving changes. Bookings store instants (UTC in the database).
"""

import secrets

from django.conf import settings
from django.db import models
from django.utils import timezone


class Weekday(models.IntegerChoices):
    MONDAY = 0, "lundi"
    TUESDAY = 1, "mardi"
    WEDNESDAY = 2, "mercredi"
    THURSDAY = 3, "jeudi"
    FRIDAY = 4, "vendredi"
    SATURDAY = 5, "samedi"
    SUNDAY = 6, "dimanche"


ADVISOR_CHOICES = {"role": "staff", "is_active": True}


class AdvisorAvailability(models.Model):
    """Every week, on this day, the advisor takes calls between start and end."""

    advisor = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name="conseiller",
        on_delete=models.CASCADE,
        related_name="availabilities",
        limit_choices_to=ADVISOR_CHOICES,
    )
    weekday = models.PositiveSmallIntegerField("jour", choices=Weekday.choices)
    start = models.TimeField("de")
    end = models.TimeField("à")

    class Meta:
        verbose_name = "disponibilité hebdomadaire"
        verbose_name_plural = "disponibilités hebdomadaires"
        ordering = ["advisor", "weekday", "start"]
        constraints = [
            models.CheckConstraint(
                condition=models.Q(weekday__gte=0, weekday__lte=6),
                name="availability_weekday_valid",
            ),
            models.CheckConstraint(
                condition=models.Q(end__gt=models.F("start")), name="availability_ends_after_start"
            ),
        ]

    def __str__(self):
        return f"{self.get_weekday_display()} {self.start:%H:%M}–{self.end:%H:%M}"


class AvailabilityException(models.Model):
    """A date or a range of dates off (whole days, or only some hours), or extra hours."""

    class Kind(models.TextChoices):
        UNAVAILABLE = "unavailable", "Indisponible"
        EXTRA = "extra", "Heures en plus"

    advisor = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name="conseiller",
        on_delete=models.CASCADE,
        related_name="availability_exceptions",
        limit_choices_to=ADVISOR_CHOICES,
    )
    kind = models.CharField("type", max_length=12, choices=Kind.choices)
    start_date = models.DateField("du")
    end_date = models.DateField("au", help_text="Le même jour pour une seule date.")
    start = models.TimeField(
        "de", null=True, blank=True, help_text="Vide (avec « à ») : journées entières."
    )
    end = models.TimeField("à", null=True, blank=True)
    note = models.CharField("note", max_length=200, blank=True)

    class Meta:
        verbose_name = "exception (absence ou heures en plus)"
        verbose_name_plural = "exceptions (absences ou heures en plus)"
        ordering = ["advisor", "start_date", "start"]
        constraints = [
            models.CheckConstraint(
                condition=models.Q(kind__in=["unavailable", "extra"]), name="exception_kind_valid"
            ),
            models.CheckConstraint(
                condition=models.Q(end_date__gte=models.F("start_date")),
                name="exception_dates_in_order",
            ),
            # Both hours or none; when given, in order. Extra hours always have hours.
            models.CheckConstraint(
                condition=models.Q(start__isnull=True, end__isnull=True, kind="unavailable")
                | models.Q(start__isnull=False, end__isnull=False, end__gt=models.F("start")),
                name="exception_hours_valid",
            ),
        ]

    def __str__(self):
        days = f"{self.start_date:%d/%m/%Y}"
        if self.end_date != self.start_date:
            days += f" – {self.end_date:%d/%m/%Y}"
        hours = f" {self.start:%H:%M}–{self.end:%H:%M}" if self.start and self.end else ""
        return f"{self.get_kind_display()} {days}{hours}"

    def clean(self):
        from django.core.exceptions import ValidationError

        if self.start_date and self.end_date and self.end_date < self.start_date:
            raise ValidationError({"end_date": "La date de fin précède la date de début."})
        if (self.start is None) != (self.end is None):
            raise ValidationError("Indiquez les deux heures (de… à…), ou aucune.")
        if self.start and self.end and self.end <= self.start:
            raise ValidationError({"end": "L'heure de fin doit suivre l'heure de début."})
        if self.kind == self.Kind.EXTRA and self.start is None:
            raise ValidationError("Des heures en plus ont une heure de début et de fin.")


def _new_nonce() -> str:
    return secrets.token_urlsafe(12)


class Appointment(models.Model):
    """A 30-minute call booked with an advisor."""

    class Status(models.TextChoices):
        BOOKED = "booked", "Réservé"
        CANCELLED = "cancelled", "Annulé"

    class Topic(models.TextChoices):
        OPCO = "opco", "Financement par un OPCO (PEC, subrogation)"
        SELF_EMPLOYED = "self_employed", "AGEFICE ou FIFPL (travailleur indépendant)"
        SESSION = "session", "Créer ou suivre une session de formation"
        BILLING = "billing", "Facturation et paiement"
        OTHER = "other", "Autre question"

    advisor = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name="conseiller",
        on_delete=models.PROTECT,
        related_name="advisor_appointments",
    )
    start = models.DateTimeField("début", db_index=True)
    end = models.DateTimeField("fin")
    status = models.CharField(
        "statut", max_length=10, choices=Status.choices, default=Status.BOOKED
    )
    topic = models.CharField("sujet", max_length=20, choices=Topic.choices)
    # The person's details, copied (a visitor has no account); anonymised after retention.
    name = models.CharField("nom", max_length=150)
    email = models.EmailField("e-mail", blank=True)
    phone = models.CharField("téléphone", max_length=30, blank=True)
    message = models.TextField("précisions", max_length=1000, blank=True)
    booked_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name="compte",
        on_delete=models.SET_NULL,
        null=True,
        blank=True,
        related_name="booked_appointments",
    )
    source = models.CharField("venu de", max_length=40, blank=True)
    consent_at = models.DateTimeField("consentement donné le")
    # Part of the signed management link: changed on every move, which kills the older links.
    nonce = models.CharField(max_length=32, default=_new_nonce, editable=False)
    sequence = models.PositiveSmallIntegerField("version (iCalendar)", default=0)
    created_at = models.DateTimeField("réservé le", default=timezone.now, editable=False)
    cancelled_at = models.DateTimeField("annulé le", null=True, blank=True)
    anonymised_at = models.DateTimeField("anonymisé le", null=True, blank=True)

    class Meta:
        verbose_name = "rendez-vous conseiller"
        verbose_name_plural = "rendez-vous conseillers"
        ordering = ["start"]
        constraints = [
            # Two people can never hold the same advisor at the same time.
            models.UniqueConstraint(
                fields=["advisor", "start"],
                condition=models.Q(status="booked"),
                name="appointment_one_booking_per_slot",
            ),
            models.CheckConstraint(
                condition=models.Q(status__in=["booked", "cancelled"]),
                name="appointment_status_valid",
            ),
            models.CheckConstraint(
                condition=models.Q(end__gt=models.F("start")), name="appointment_ends_after_start"
            ),
            models.CheckConstraint(
                condition=~models.Q(status="cancelled") | models.Q(cancelled_at__isnull=False),
                name="appointment_cancelled_has_date",
            ),
        ]

    def __str__(self):
        # No personal data here: this text lands in the audit log.
        when = timezone.localtime(self.start)
        return f"Rendez-vous n° {self.pk} du {when:%d/%m/%Y à %H:%M}"
