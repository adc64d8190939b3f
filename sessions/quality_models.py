"""Qualiopi evidence kept per trainee: questionnaires and their answers, the assessment of
each objective, complaints. Imported by sessions/models.py (one app, one migration history)."""

from __future__ import annotations

from django.conf import settings
from django.db import models
from django.utils import timezone


class QuestionnaireKind(models.TextChoices):
    NEEDS = "needs", "Analyse du besoin et positionnement"
    HOT = "hot", "Satisfaction à chaud"
    COLD = "cold", "Satisfaction à froid"
    CLIENT = "client", "Satisfaction de l'entreprise cliente"
    TRAINER = "trainer", "Retour du formateur"


# Asked of each trainee; the others once per session (the client contact, the trainer).
PER_TRAINEE = {QuestionnaireKind.NEEDS, QuestionnaireKind.HOT, QuestionnaireKind.COLD}


class Questionnaire(models.Model):
    """One version of the questions of a kind. Editing in the admin adds a version: an answer
    keeps pointing at the very questions it answered.

    `questions` is a list of {"key", "label", "type": "scale" | "text" | "yesno"}; a "scale"
    question is rated 1 to 5; the one keyed "satisfaction" feeds the published figures.
    """

    kind = models.CharField("questionnaire", max_length=10, choices=QuestionnaireKind.choices)
    version = models.PositiveIntegerField("version", editable=False)
    questions = models.JSONField("questions")
    created_at = models.DateTimeField("créé le", default=timezone.now, editable=False)

    class Meta:
        verbose_name = "questionnaire"
        verbose_name_plural = "questionnaires (analyse du besoin, satisfaction)"
        ordering = ["kind", "-version"]
        constraints = [
            models.UniqueConstraint(
                fields=["kind", "version"], name="questionnaire_unique_version"
            ),
        ]

    def __str__(self):
        return f"{self.get_kind_display()} — version {self.version}"


class QuestionnaireResponse(models.Model):
    """A questionnaire of one kind for a trainee (or, for the client's and the trainer's, for
    the session): created when the invitation is sent, answered once through a signed link."""

    session = models.ForeignKey(
        "training_sessions.TrainingSession", on_delete=models.CASCADE, related_name="questionnaires"
    )
    trainee = models.ForeignKey(
        "training_sessions.Trainee",
        on_delete=models.CASCADE,
        related_name="questionnaires",
        null=True,
        blank=True,
    )
    email = models.EmailField("destinataire")
    kind = models.CharField("questionnaire", max_length=10, choices=QuestionnaireKind.choices)
    questionnaire = models.ForeignKey(
        Questionnaire, on_delete=models.PROTECT, related_name="responses"
    )
    answers = models.JSONField("réponses", default=dict, blank=True)
    # 1–5, copied from the "satisfaction" answer: the published figures read it.
    satisfaction = models.PositiveSmallIntegerField("satisfaction (1 à 5)", null=True, blank=True)
    invited_at = models.DateTimeField("invité le", default=timezone.now)
    reminded_at = models.DateTimeField("relancé le", null=True, blank=True)
    submitted_at = models.DateTimeField("répondu le", null=True, blank=True)
    # Needs analysis only: what the trainer decided to adapt.
    trainer_adaptation = models.TextField("adaptation décidée par le formateur", blank=True)

    class Meta:
        verbose_name = "réponse à un questionnaire"
        verbose_name_plural = "réponses aux questionnaires"
        constraints = [
            models.UniqueConstraint(fields=["trainee", "kind"], name="response_one_per_kind"),
            models.UniqueConstraint(
                fields=["session", "kind"],
                condition=models.Q(trainee__isnull=True),
                name="response_one_per_session_kind",
            ),
            models.CheckConstraint(
                condition=models.Q(kind__in=["needs", "hot", "cold"], trainee__isnull=False)
                | models.Q(kind__in=["client", "trainer"], trainee__isnull=True),
                name="response_trainee_iff_per_trainee",
            ),
            models.CheckConstraint(
                condition=models.Q(satisfaction__isnull=True)
                | models.Q(satisfaction__gte=1, satisfaction__lte=5),
                name="response_satisfaction_1_5",
            ),
        ]

    def __str__(self):
        return f"{self.trainee or self.email} — {self.get_kind_display()}"

    @property
    def first_name(self) -> str:
        return self.trainee.first_name if self.trainee_id else ""


class ObjectiveResult(models.TextChoices):
    ACQUIRED = "acquired", "Acquis"
    PARTLY = "partly", "Partiellement acquis"
    NOT_ACQUIRED = "not_acquired", "Non acquis"


class ObjectiveAssessment(models.Model):
    """What the trainer assessed, per trainee and per objective of the session's programme."""

    trainee = models.ForeignKey(
        "training_sessions.Trainee", on_delete=models.CASCADE, related_name="objective_results"
    )
    position = models.PositiveSmallIntegerField(default=0)
    objective = models.TextField("objectif")
    result = models.CharField("résultat", max_length=12, choices=ObjectiveResult.choices)
    assessed_at = models.DateTimeField("évalué le", default=timezone.now)

    class Meta:
        verbose_name = "évaluation d'un objectif"
        verbose_name_plural = "évaluations des objectifs"
        ordering = ["trainee", "position"]
        constraints = [
            models.UniqueConstraint(fields=["trainee", "position"], name="assessment_unique"),
            models.CheckConstraint(
                condition=models.Q(result__in=["acquired", "partly", "not_acquired"]),
                name="assessment_result_valid",
            ),
        ]

    def __str__(self):
        return f"{self.trainee} — {self.objective[:40]} : {self.get_result_display()}"


class Complaint(models.Model):
    """A complaint (réclamation), from anyone, treated by staff; the log is the auditor's."""

    class Status(models.TextChoices):
        RECEIVED = "received", "Reçue"
        ANALYSED = "analysed", "Analysée"
        ANSWERED = "answered", "Répondue"
        CLOSED = "closed", "Clôturée"

    class Origin(models.TextChoices):
        TRAINEE = "trainee", "Stagiaire"
        CLIENT = "client", "Entreprise cliente"
        TRAINER = "trainer", "Formateur"
        OTHER = "other", "Autre"

    status = models.CharField(
        "statut", max_length=10, choices=Status.choices, default=Status.RECEIVED
    )
    origin = models.CharField("de la part de", max_length=10, choices=Origin.choices)
    name = models.CharField("nom", max_length=200)
    email = models.EmailField("e-mail")
    session = models.ForeignKey(
        "training_sessions.TrainingSession",
        verbose_name="session concernée",
        on_delete=models.SET_NULL,
        null=True,
        blank=True,
        related_name="complaints",
    )
    author = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.SET_NULL, null=True, blank=True
    )
    text = models.TextField("réclamation")
    received_at = models.DateTimeField("reçue le", default=timezone.now)
    analysis = models.TextField("analyse", blank=True)
    analysed_at = models.DateTimeField("analysée le", null=True, blank=True)
    answer = models.TextField("réponse apportée", blank=True)
    answered_at = models.DateTimeField("répondue le", null=True, blank=True)
    improvement = models.TextField("action d'amélioration décidée", blank=True)
    closed_at = models.DateTimeField("clôturée le", null=True, blank=True)

    class Meta:
        verbose_name = "réclamation"
        verbose_name_plural = "réclamations et amélioration continue"
        ordering = ["-received_at"]
        constraints = [
            models.CheckConstraint(
                condition=models.Q(status__in=["received", "analysed", "answered", "closed"]),
                name="complaint_status_valid",
            ),
        ]

    def __str__(self):
        return f"Réclamation {self.pk} — {self.name}"
